"""``python -m tvapp.launcher [all|web|front|worker|sweeper|fax|migrate]``: what `make run` and the
container image start.

``all`` (the default) starts the whole system on embedded defaults: a private
Redis (AOF on) when REDIS_URL is unset, the reference back end when
BACKEND_URL is unset, migrations, demo data, the web app under gunicorn
behind the nginx front on PORT (``tvapp.front``; gunicorn then listens on the
unix socket VAR_DIR/run/web.sock only; gunicorn alone on PORT with
WEB_FRONT=none or no nginx installed), workers and the sweep; prints where to open each part; Ctrl-C stops every
process it started. Problems it can foresee (port in use, no Redis, no font)
end with one line saying what and how to fix it.

Settings come from ``load_config()``. The launcher hands its own environment
to the processes it starts (they read it with ``load_config()`` in turn), with
the addresses of the Redis, back end and front it started added to it.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from services.core.config import ConfigError, load_config


class Stop(Exception):
    """A clear one-line reason to stop."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class _Child:
    def __init__(self, name: str, cmd: list[str], logfile: bool) -> None:
        self.name, self.cmd, self.logfile = name, cmd, logfile
        self.p: subprocess.Popen | None = None
        self.started = 0.0
        self.delay = Supervisor.BACKOFF_FIRST
        self.next_start = 0.0


class Supervisor:
    """Starts the parts of the system and keeps them running: a part that exits
    (Redis, the back end, gunicorn, nginx, a worker) is started again after a
    pause that doubles up to BACKOFF_MAX while it keeps failing, and returns to
    BACKOFF_FIRST once it has run for STABLE_SECONDS. The launcher itself never
    stops because a part did (issue 19)."""

    LAST = ("redis", "backend")  # stopped after everything that uses them
    BACKOFF_FIRST = 0.5
    BACKOFF_MAX = 30.0
    STABLE_SECONDS = 60.0

    def __init__(self, log_dir: Path):
        self.children: list[_Child] = []
        self.log_dir = log_dir
        self.env = dict(os.environ)  # what the children start with (they read it with load_config())

    def _spawn(self, child: _Child) -> subprocess.Popen:
        out = open(self.log_dir / ("%s.log" % child.name), "ab") if child.logfile else None
        try:
            child.p = subprocess.Popen(child.cmd, env=self.env, stdout=out, stderr=out, start_new_session=True)
        finally:
            if out is not None:
                out.close()
        child.started = time.monotonic()
        return child.p

    def start(self, name: str, cmd: list[str], restart: bool = True, logfile: bool = False):
        """Start ``cmd`` and supervise it (``restart`` is kept for callers: every part is restarted)."""
        child = _Child(name, cmd, logfile)
        self.children.append(child)
        return self._spawn(child)

    @property
    def procs(self) -> list[tuple[str, list[str], subprocess.Popen | None]]:
        return [(c.name, c.cmd, c.p) for c in self.children]

    def check(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.p is not None:
                if child.p.poll() is None:
                    if now - child.started >= self.STABLE_SECONDS:
                        child.delay = self.BACKOFF_FIRST
                    continue
                print("launcher: %s exited (%s); starting it again in %.1f s; see var/log/"
                      % (child.name, child.p.returncode, child.delay), flush=True)
                child.p = None
                child.next_start = now + child.delay
                child.delay = min(child.delay * 2, self.BACKOFF_MAX)
            if now >= child.next_start:
                try:
                    self._spawn(child)
                except OSError as exc:
                    print("launcher: %s would not start (%s); trying again" % (child.name, exc), flush=True)
                    child.next_start = now + child.delay
                    child.delay = min(child.delay * 2, self.BACKOFF_MAX)

    def stop_all(self) -> None:
        """Stop what uses Redis and the back end first, then them: a worker
        finishing its job as it stops still reaches them."""
        live = [c for c in reversed(self.children) if c.p is not None]
        first = [c.p for c in live if c.name not in self.LAST]
        last = [c.p for c in live if c.name in self.LAST]
        for group in (first, last):
            for p in group:
                if p.poll() is None:
                    p.terminate()
            deadline = time.time() + 10
            for p in group:
                try:
                    p.wait(max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise Stop("%s did not come up within %d s" % (what, seconds))


def start_redis(sup: Supervisor, var: Path, config) -> str:
    if config.REDIS_SERVER:
        binary = shutil.which(config.REDIS_SERVER)
    else:  # on PATH, or where Debian puts it
        binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin:/usr/bin")
    if not binary:
        raise Stop("no redis-server found: apt-get install redis-server (or set REDIS_URL)")
    port = free_port()
    data = var / "redis"
    data.mkdir(parents=True, exist_ok=True)
    sup.start("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                        "--appendonly", "yes", "--save", "", "--daemonize", "no"], logfile=True)
    url = "redis://127.0.0.1:%d/0" % port
    import redis

    try:
        wait_until(lambda: redis.Redis.from_url(url).ping(), 15, "Redis")
    except Stop:
        raise Stop("Redis would not start; see var/log/redis.log") from None
    return url


def start_backend(sup: Supervisor, var: Path) -> str:
    port = free_port()
    sup.start("backend", [sys.executable, "-m", "reference_backend", "--port", str(port),
                          "--db", str(var / "backend.sqlite3")], logfile=True)
    url = "http://127.0.0.1:%d" % port
    try:
        wait_until(lambda: requests.get(url + "/healthz", timeout=1).ok, 30, "reference back end")
    except Stop:
        raise Stop("the reference back end would not start; see var/log/backend.log") from None
    return url


SOCKET_UMASK = "0o117"  # the front's socket: 0660, for gunicorn's user and group (nginx) only


def web_socket_dir(path: str) -> None:
    """The folder of WEB_SOCKET, closed to other users (0750): no one else
    reaches the socket, whatever its own mode."""
    if len(os.fsencode(path)) > 100:  # sun_path holds 108 bytes
        raise Stop("WEB_SOCKET is too long for a unix socket (%s): use a shorter VAR_DIR or WEB_SOCKET" % path)
    folder = Path(path).parent
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o750)


def gunicorn_cmd(config, bind: str | None = None) -> list[str]:
    """gunicorn on ``bind``; else on the unix socket WEB_SOCKET only (behind the
    front: no TCP port at all), else on HOST:PORT."""
    if bind is None and config.WEB_SOCKET:
        web_socket_dir(config.WEB_SOCKET)
        bind = "unix:%s" % config.WEB_SOCKET
    return [sys.executable, "-m", "gunicorn", "tvapp.wsgi:app",
            "--bind", bind or "%s:%d" % (config.HOST, config.PORT), "--umask", SOCKET_UMASK,
            "--workers", str(config.WEB_WORKERS), "--worker-class", config.WEB_WORKER_CLASS,
            "--threads", str(config.WEB_THREADS), "--keep-alive", str(config.WEB_KEEPALIVE),
            "--worker-connections", str(config.WEB_CONNECTIONS),
            "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning"]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def unix_get(path: str, url: str, timeout: float = 2.0) -> int:
    """The status of ``GET url`` over the unix socket ``path`` (gunicorn behind the front)."""
    conn = UnixHTTPConnection(path, timeout)
    try:
        conn.request("GET", url)
        return conn.getresponse().status
    finally:
        conn.close()


def front_cmd(config) -> list[str]:
    """nginx's command for the front (``tvapp.front``); a missing nginx or upstream is one clear line."""
    from tvapp import front

    try:
        return front.prepare(config)[0]
    except RuntimeError as exc:
        raise Stop(str(exc)) from None


def run_all() -> int:
    config = load_config()
    var = config.VAR_DIR
    (var / "log").mkdir(parents=True, exist_ok=True)
    if not port_free(config.HOST, config.PORT):
        raise Stop("port %d is in use: stop what uses it, or run with PORT=<another port>" % config.PORT)
    if not os.path.exists(os.path.join(config.FONT_DIR, "NanumGothic.ttf")):
        raise Stop("the Korean font is missing: apt-get install fonts-nanum (or set FONT_DIR)")
    sup = Supervisor(var / "log")
    stopping = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        # What the launcher starts itself goes into its config and into the
        # children's environment (their load_config() reads it there).
        if not config.REDIS_URL:
            sup.env["REDIS_URL"] = config.REDIS_URL = start_redis(sup, var, config)
        if not config.BACKEND_URL:
            sup.env["BACKEND_URL"] = config.BACKEND_URL = start_backend(sup, var)
        from services import demo
        from services.core.migrate import upgrade
        from services.core.runtime import Runtime, set_runtime

        runtime = Runtime(config)
        set_runtime(runtime)  # for anything in this process that asks get_runtime()
        upgrade(config.DATABASE_URL)
        demo.seed(runtime)
        __import__("broadcast_feed.demo").demo.seed(runtime)  # sample news, ticker, operators
        front = __import__("tvapp.front").front
        if front.wanted(config):
            # nginx on PORT holds the boxes' connections; gunicorn behind it on a
            # unix socket only nginx uses (X-Forwarded-For is believed over it alone)
            config.WEB_SOCKET = sup.env["WEB_SOCKET"] = str(var / "run" / "web.sock")
            sup.start("web", gunicorn_cmd(config))
            wait_until(lambda: unix_get(config.WEB_SOCKET, "/livez") == 204, 90, "the web app (gunicorn)")
            sup.start("front", front_cmd(config), logfile=True)
        else:
            sup.start("web", gunicorn_cmd(config))
        for i in range(config.WORKERS):
            sup.start("worker-%d" % i, [sys.executable, "-m", "services.worker"], restart=True)
        sup.start("sweeper", [sys.executable, "-m", "tvapp.sweeper"], restart=True)
        sup.start("fax", [sys.executable, "-m", "services.fax_worker"], restart=True)
        base = "http://%s:%d" % (config.HOST, config.PORT)
        wait_until(lambda: requests.get(base + "/healthz", timeout=2).status_code == 200, 90,
                   "the system (/healthz)")
        print_banner(base, config)
        while not stopping:
            sup.check()
            time.sleep(0.5)
        print("\nlauncher: stopping every process it started...", flush=True)
        return 0
    finally:
        sup.stop_all()


PAGES = (
    ("TV app", "/tv/"),
    ("TV simulator", "/tv/simulator"),
    ("Operators' console", "/console/"),
    ("Phone simulator", "/phone/"),
    ("Health", "/healthz"),
)


def print_banner(base: str, config) -> None:
    lines = ["", "TV 민원 서비스 is running (Ctrl-C stops everything):"]
    for label, path in PAGES:
        try:
            found = requests.get(base + path, timeout=5, allow_redirects=False).status_code != 404
        except requests.RequestException:
            found = False
        if found:
            lines.append("  %-19s %s%s" % (label, base, path))
    lines += [
        "  %-19s %s" % ("Back end", config.BACKEND_URL),
        "  %-19s %s" % ("Redis", config.REDIS_URL),
        "  %-19s %s" % ("Database", config.DATABASE_URL.split("@")[-1]),
        "  %-19s %s" % ("Console logins", ", ".join("%s / %s" % o[:2] for o in __import__(
            "broadcast_feed.workflow").workflow.DEMO_OPERATORS)),
        "",
    ]
    print("\n".join(lines), flush=True)


def exec_role(role: str) -> int:
    config = load_config()
    if role == "web":
        os.execv(sys.executable, gunicorn_cmd(config))
    if role == "front":
        cmd = front_cmd(config)
        os.execv(cmd[0], cmd)
    if role == "worker":
        from services.worker import main

        return main()
    if role == "sweeper":
        from services.sweeper import main
        from tvapp.sweeper import wire

        wire()  # news polling, scheduled publish and expiry
        return main()
    if role == "fax":
        from services.fax_worker import main

        return main()
    if role == "migrate":
        from services.core.migrate import upgrade

        upgrade(config.DATABASE_URL)
        return 0
    raise Stop("unknown role %r: use all, web, front, worker, sweeper, fax or migrate" % role)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    role = argv[0] if argv else "all"
    try:
        return run_all() if role == "all" else exec_role(role)
    except (Stop, ConfigError) as exc:
        print("launcher: %s" % exc, file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
