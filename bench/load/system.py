"""The pieces of the load run, each a separate process of its own: the whole
system (``python -m tvapp.launcher``: private Redis, reference back end,
migrations, demo data, the nginx front, gunicorn, workers, the sweep), a private nginx, wrk
and the boxes (wrk, ``bench.load.boxes``); and CPU accounting per process tree (psutil)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.3)
    raise RuntimeError("%s did not come up within %d s" % (what, seconds))


def stop(p: subprocess.Popen | None, sig=signal.SIGTERM, wait: float = 20) -> None:
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(wait)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class System:
    """``python -m tvapp.launcher`` in a temporary VAR_DIR on a free port."""

    def __init__(self, tmp: Path, **settings):
        self.tmp = tmp
        self.var = tmp / "var"
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.env = dict(os.environ, TVGOV_ENV="development", VAR_DIR=str(self.var), PORT=str(self.port),
                        LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
                        **{k: str(v) for k, v in settings.items()})
        for k in ("REDIS_URL", "BACKEND_URL", "DATABASE_URL"):
            self.env.pop(k, None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "System":
        self.var.mkdir(parents=True, exist_ok=True)
        self.log = open(self.tmp / "launcher.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "tvapp.launcher"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: requests.get(self.base + "/healthz", timeout=2).status_code == 200, 120,
                   "the system (launcher)")
        return self

    @property
    def database_url(self) -> str:
        return "sqlite:///%s" % (self.var / "tvgov.sqlite3")

    @property
    def backend_db(self) -> Path:
        return self.var / "backend.sqlite3"

    @property
    def upstream(self) -> str | None:
        """gunicorn's own TCP address behind the front: None since gunicorn listens
        there on a unix socket only (WEB_SOCKET, which wrk cannot use), or with no front."""
        conf = self.var / "front" / "nginx.conf"
        m = re.search(r"server (127\.0\.0\.1:\d+) ", conf.read_text()) if conf.exists() else None
        return "http://%s" % m.group(1) if m else None

    def stop(self) -> None:
        stop(self.proc, signal.SIGINT, 30)
        if getattr(self, "log", None):
            self.log.close()

    def logged_errors(self) -> list[str]:
        """ERROR lines and exception lines the system wrote (launcher output and var/log)."""
        found = []
        for path in [self.tmp / "launcher.log", *sorted((self.var / "log").glob("*.log"))]:
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                if " ERROR " in line or "Traceback" in line or re.match(r"^\w+(\.\w+)*(Error|Exception): ", line):
                    found.append("%s: %s" % (path.name, line[:200]))
        return found

    def pids(self) -> dict[str, list[int]]:
        """The launcher's processes by role (web = gunicorn master and workers)."""
        import psutil

        roles: dict[str, list[int]] = {}
        if self.proc is None:
            return roles
        for c in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                cmd = " ".join(c.cmdline())
            except psutil.Error:
                continue
            role = ("web" if "gunicorn" in cmd else "redis" if "redis-server" in cmd else "front" if "nginx" in cmd
                    else "back end" if "reference_backend" in cmd else "workers and sweep")
            roles.setdefault(role, []).append(c.pid)
        roles.setdefault("launcher", []).append(self.proc.pid)
        return roles


def tree_pids(proc: subprocess.Popen | None) -> list[int]:
    """A process and all its descendants."""
    import psutil

    if proc is None:
        return []
    return [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]


class BareGunicorn:
    """gunicorn with the app's settings serving fixed bytes from ``bench.load.bare``."""

    def __init__(self, tmp: Path, body: bytes, workers: int, threads: int, keepalive: int, connections: int):
        self.body = tmp / "bare-body.html"
        self.body.write_bytes(body)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.cmd = [sys.executable, "-m", "gunicorn", "bench.load.bare:app", "--bind", "127.0.0.1:%d" % self.port,
                    "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
                    "--keep-alive", str(keepalive), "--worker-connections", str(connections),
                    "--log-level", "warning"]
        self.proc: subprocess.Popen | None = None

    def start(self) -> "BareGunicorn":
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=dict(os.environ, BARE_BODY=str(self.body)),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: requests.get(self.base + "/", timeout=2).status_code == 200, 30, "bare gunicorn")
        return self

    def pids(self) -> list[int]:
        return tree_pids(self.proc)

    def stop(self) -> None:
        stop(self.proc)


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "?"
    except (OSError, subprocess.SubprocessError):
        return "not installed"


# -- nginx serving the same bytes ------------------------------------------------

NGINX_CONF = """worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp_body; proxy_temp_path {dir}/tmp_proxy;
  fastcgi_temp_path {dir}/tmp_fastcgi; uwsgi_temp_path {dir}/tmp_uwsgi; scgi_temp_path {dir}/tmp_scgi;
  types {{ text/html html; }}
  charset utf-8;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  etag on;
  server {{
    listen 127.0.0.1:{port};
    root {dir}/www;
    index index.html;
    add_header Cache-Control "private, no-cache";
  }}
}}
"""


class Nginx:
    def __init__(self, tmp: Path, workers: int):
        self.dir = tmp / "nginx"
        self.www = self.dir / "www"
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def put(self, path: str, body: bytes) -> None:
        """Serve ``body`` at ``path`` (a path ending in / gets index.html)."""
        target = self.www / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)

    def start(self) -> "Nginx":
        # nginx's workers run as nobody when started by root: they must be able to read the files
        for d in (self.dir.parent, self.dir, *[p for p in self.www.rglob("*") if p.is_dir()], self.www):
            if d.exists():
                d.chmod(0o755)
        for f in self.www.rglob("*"):
            if f.is_file():
                f.chmod(0o644)
        binary = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
        if not binary:
            raise RuntimeError("nginx is not installed (scripts/system-deps.sh test installs it)")
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=self.workers, dir=self.dir, port=self.port))
        self.proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(self.dir), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: requests.get(self.base + "/", timeout=2).status_code in (200, 403, 404), 20, "nginx")
        return self

    def pids(self) -> list[int]:
        return tree_pids(self.proc)

    def stop(self) -> None:
        stop(self.proc, signal.SIGQUIT)


# -- wrk -------------------------------------------------------------------------

WRK_LUA = """-- one box after another: its cookie, and its validator when revalidating
local boxes = {%s}
local i = 0
request = function()
  i = i %% #boxes + 1
  local b = boxes[i]
  local h = {["Cookie"] = b[1]}
  if b[2] ~= "" then h["If-None-Match"] = b[2] end
  return wrk.format("GET", "%s", h)
end
"""


def lua_quote(s: str) -> str:
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def wrk(base: str, path: str, boxes: list[tuple[str, str]], seconds: int, connections: int,
        threads: int, tmp: Path) -> dict:
    """Closed-loop wrk: ``connections`` keep-alive connections as fast as the
    server answers. Returns rps, latency percentiles (ms) and errors."""
    script = tmp / ("wrk-%d.lua" % time.monotonic_ns())
    script.write_text(WRK_LUA % (", ".join("{%s, %s}" % (lua_quote(t), lua_quote(e)) for t, e in boxes), path))
    out = subprocess.run(["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency",
                          "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 60).stdout
    res = {"rps": _f(r"Requests/sec:\s+([\d.]+)", out), "errors": 0, "raw": out}
    for p in ("50", "99"):
        m = re.search(r"\s%s(?:\.000)?%%\s+([\d.]+)(us|ms|s)\b" % p, out)
        if m:
            v = float(m.group(1))
            res["p" + p] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    for pat in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        m = re.search(pat, out)
        if m:
            res["errors"] += sum(int(x) for x in m.groups())
    return res


def _f(pattern: str, text: str) -> float:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else 0.0


# -- CPU -------------------------------------------------------------------------

def cpu_seconds(pids, children: bool = False) -> float:
    """User+system CPU seconds used so far by these processes (and, asked, their children)."""
    import psutil

    total = 0.0
    seen = set()
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs = [p] + (p.children(recursive=True) if children else [])
        except psutil.Error:
            continue
        for q in procs:
            if q.pid in seen:
                continue
            seen.add(q.pid)
            try:
                t = q.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total


def machine_busy() -> tuple[float, float]:
    """(all CPU seconds used on the machine, wall seconds) so far: busy share = d(busy)/d(wall)/cores."""
    import psutil

    t = psutil.cpu_times()
    busy = sum(getattr(t, k, 0.0) for k in ("user", "nice", "system", "irq", "softirq", "steal"))
    return busy, time.time()
