"""Real servers for tests: Redis, the reference back end, PostgreSQL, our
worker and sweep processes. Every process started here is stopped here."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")

# Every file our subprocesses log to; the session-end scan reads them all.
LOG_FILES: list[Path] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float = 20.0, what: str = "condition") -> None:
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001
            last = exc
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s (%s)" % (what, last))


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name: str, cmd: list[str], log_dir: Path, env: dict | None = None):
        self.name, self.cmd = name, cmd
        self.log_path = log_dir / ("%s.log" % name)
        LOG_FILES.append(self.log_path)
        self.env = dict(os.environ if env is None else env)
        self.p: subprocess.Popen | None = None

    def start(self) -> "Proc":
        out = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                  cwd=str(ROOT), start_new_session=True)
        out.close()
        return self

    @property
    def alive(self) -> bool:
        return self.p is not None and self.p.poll() is None

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.alive:
            os.killpg(self.p.pid, sig)
            self.p.wait(10)

    def stop(self) -> None:
        if self.alive:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
            except ProcessLookupError:
                pass

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class RedisServer(Proc):
    def __init__(self, log_dir: Path, data_dir: Path):
        self.port = free_port()
        data_dir.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        super().__init__("redis-%d" % self.port, [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
        ], log_dir)
        self.url = "redis://127.0.0.1:%d/0" % self.port

    def start(self) -> "RedisServer":
        super().start()
        import redis

        wait_for(lambda: redis.Redis.from_url(self.url).ping(), 15, "redis")
        return self


class BackendServer(Proc):
    def __init__(self, log_dir: Path, db_path: Path, port: int | None = None):
        self.port = port or free_port()
        super().__init__("backend-%d" % self.port, [
            sys.executable, "-m", "reference_backend", "--port", str(self.port), "--db", str(db_path),
        ], log_dir)
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self) -> "BackendServer":
        super().start()
        wait_for(lambda: requests.get(self.url + "/healthz", timeout=1).ok, 30, "reference back end")
        return self

    def stats(self) -> dict:
        return requests.get(self.url + "/admin/stats", params={"keys": "1"}, timeout=5).json()


class PostgresServer:
    """A private PostgreSQL cluster (Debian's binaries, initdb as postgres)."""

    def __init__(self, base: Path | None = None):
        # pytest's temp folders are private to root; the server runs as postgres.
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="tvgov-pg-"))
        self.base = base
        self.dir = base / "pgdata"
        self.port = free_port()
        self.sock = base / "pgsock"
        self.url = "postgresql+psycopg://postgres@127.0.0.1:%d/postgres" % self.port

    def _as_postgres(self, args: list[str]) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, capture_output=True, text=True, timeout=120)

    def start(self) -> "PostgresServer":
        for d in (self.dir.parent, self.sock):
            d.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(d, "postgres", "postgres")
        r = self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        if r.returncode:
            raise RuntimeError("initdb failed: %s" % r.stderr[-500:])
        r = self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-w", "-l",
                               str(self.dir / "server.log"), "-o",
                               "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port, self.sock),
                               "start"])
        if r.returncode:
            raise RuntimeError("pg_ctl start failed: %s" % (r.stderr or r.stdout)[-500:])
        return self

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:%d/postgres" % self.port,
                             autocommit=True) as conn:
            conn.execute('CREATE DATABASE "%s"' % name)
        return "postgresql+psycopg://postgres@127.0.0.1:%d/%s" % (self.port, name)

    def stop(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop"])
        shutil.rmtree(self.base, ignore_errors=True)


def service_env(**overrides) -> dict:
    env = dict(os.environ)
    env.update({"TVGOV_ENV": "test", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO"})
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def worker(log_dir: Path, name: str, **env) -> Proc:
    return Proc(name, [sys.executable, "-m", "services.worker"], log_dir, service_env(**env)).start()


def sweeper(log_dir: Path, name: str, **env) -> Proc:
    return Proc(name, [sys.executable, "-m", "services.sweeper"], log_dir, service_env(**env)).start()


def fax_worker(log_dir: Path, name: str, **env) -> Proc:
    return Proc(name, [sys.executable, "-m", "services.fax_worker"], log_dir, service_env(**env)).start()
