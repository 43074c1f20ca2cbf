"""`make run`'s launcher: clear one-line failures, and a whole system that
starts, answers /healthz 200 and stops every process on Ctrl-C."""

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from tests.support.procs import ROOT, free_port, wait_for


def launch(tmp_path, output=None, **env):
    """The launcher as `make run` starts it; its output (and its children's, which
    inherit it) to pipes, or to ``output``, an open file, for a long run: a pipe
    nobody reads fills and stops every process that writes to it."""
    e = dict(os.environ)
    for k in ("REDIS_URL", "BACKEND_URL", "DATABASE_URL", "TVGOV_ENV"):
        e.pop(k, None)
    e.update({"VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)})
    e.update({k: str(v) for k, v in env.items()})
    return subprocess.Popen([sys.executable, "-m", "tvapp.launcher"], env=e, cwd=str(ROOT),
                            stdout=output or subprocess.PIPE, stderr=output or subprocess.PIPE, text=True,
                            start_new_session=True)


def one_line_failure(p):
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = one_line_failure(launch(tmp_path, PORT=port))
    assert "port %d is in use" % port in line and "PORT=" in line


def test_missing_redis_server_is_one_clear_line(tmp_path):
    line = one_line_failure(launch(tmp_path, PORT=free_port(), PATH="/nonexistent",
                                   REDIS_SERVER="no-such-redis-server"))
    assert "redis-server" in line and "apt-get install redis-server" in line


def test_redis_that_will_not_start_is_one_clear_line(tmp_path):
    fake = tmp_path / "bin" / "redis-server"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'fatal: cannot start' >&2\nexit 1\n")
    fake.chmod(0o755)
    line = one_line_failure(launch(tmp_path, PORT=free_port(), REDIS_SERVER=str(fake)))
    assert "Redis would not start" in line and "redis.log" in line


def test_missing_font_is_one_clear_line(tmp_path):
    line = one_line_failure(launch(tmp_path, PORT=free_port(), FONT_DIR="/nonexistent"))
    assert "fonts-nanum" in line


def _our_processes(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if marker.encode() in (d / "environ").read_bytes() or marker.encode() in (d / "cmdline").read_bytes():
                pids.append(int(d.name))
        except (OSError, PermissionError):
            continue
    return pids


@pytest.mark.slow
def test_whole_system_starts_healthy_and_ctrl_c_stops_everything(tmp_path):
    port = free_port()
    p = launch(tmp_path, PORT=port, WORKERS=1, WEB_WORKERS=1)
    marker = str(tmp_path / "var")
    try:
        wait_for(lambda: requests.get("http://127.0.0.1:%d/healthz" % port, timeout=2).status_code == 200,
                 120, "healthz 200")
        wait_for(lambda: len(_our_processes(marker)) >= 5, 20,
                 "redis, back end, web, worker and sweeper")
        # behind the front (nginx is installed for the tests): gunicorn on its unix socket
        sock = tmp_path / "var" / "run" / "web.sock"
        assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o660
    finally:
        os.killpg(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err[-2000:]
    assert "http://127.0.0.1:%d/healthz" % port in out
    wait_for(lambda: _our_processes(marker) == [], 20, "every child process to exit")
    assert (tmp_path / "var" / "redis" / "appendonlydir").exists()  # AOF on


def _pids_running(launcher_pid: int, word: bytes) -> list[int]:
    """The launcher's children whose command line has ``word`` (Redis rewrites its
    own title and environment, so the VAR_DIR marker cannot find it)."""
    found = []
    for child in psutil.Process(launcher_pid).children():
        try:
            if word.decode() in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
def test_redis_killed_under_make_run_is_restarted_and_the_launcher_keeps_running(tmp_path):
    """Issue 19 item 8, as the attack: SIGKILL the launcher's private Redis,
    then a worker; each comes back, /healthz returns to 200, the launcher runs on."""
    port = free_port()
    log = open(tmp_path / "launcher.out", "w")
    p = launch(tmp_path, output=log, PORT=port, WORKERS=1, WEB_WORKERS=1, WEB_FRONT="none")
    marker = str(tmp_path / "var")
    health = "http://127.0.0.1:%d/healthz" % port
    try:
        wait_for(lambda: requests.get(health, timeout=2).status_code == 200, 120, "healthz 200")
        # the launcher has seen the system up too, and supervises it from now on
        wait_for(lambda: "is running" in (tmp_path / "launcher.out").read_text(errors="replace"), 60,
                 "the launcher's banner")
        for word in (b"redis-server", b"services.worker"):
            wait_for(lambda w=word: len(_pids_running(p.pid, w)) == 1, 20, word.decode())
            [old] = _pids_running(p.pid, word)
            os.kill(old, signal.SIGKILL)
            wait_for(lambda w=word, o=old: [pid for pid in _pids_running(p.pid, w) if pid != o], 60,
                     "%s started again" % word.decode())
            wait_for(lambda: requests.get(health, timeout=2).status_code == 200, 60, "healthz 200 again")
            assert p.poll() is None, "the launcher stopped"
    finally:
        os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=60)
        log.close()
    out = (tmp_path / "launcher.out").read_text(errors="replace")
    assert p.returncode == 0, out[-2000:]
    assert "redis exited" in out
    wait_for(lambda: _our_processes(marker) == [], 20, "every child process to exit")
