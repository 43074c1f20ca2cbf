"""The web server's worker (``tvapp.webworker.ScreenWorker``): connections
that have sent nothing yet do not hold its threads.

A real gunicorn (``python -m tvapp.launcher web``, one process with two
threads) is given more silent connections than it has threads; a box's screen
must still be answered at once (gunicorn's own ``gthread`` keeps each silent
connection on a thread for five seconds first, so the 3-second client limit
below fails with it), and a silent connection is closed after the keep-alive
time rather than kept forever.
"""

import socket

import pytest
import requests

from tests.support import procs


@pytest.fixture
def web(demo, log_dir, tmp_path):
    cfg = demo.config
    port = procs.free_port()
    env = procs.service_env(PORT=port, WEB_WORKERS=1, WEB_THREADS=2, TICKER_STREAMS=1, WEB_KEEPALIVE=2,
                            DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL,
                            VAR_DIR=tmp_path / "web-var")
    proc = procs.Proc("web-worker", [procs.sys.executable, "-m", "tvapp.launcher", "web"], log_dir, env).start()
    url = "http://127.0.0.1:%d" % port
    procs.wait_for(lambda: requests.get(url + "/livez", timeout=1).status_code == 204, 30, "gunicorn")
    yield port, url
    proc.stop()


def _silent(port, n):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        conns.append(s)
    return conns


def test_silent_connections_do_not_hold_the_threads(web):
    port, url = web
    silent = _silent(port, 6)  # three times the threads
    try:
        for path in ("/livez", "/tv/pair", "/livez"):
            r = requests.get(url + path, timeout=3)  # gthread would answer after 5 s
            assert r.status_code in (200, 204), (path, r.status_code)
    finally:
        for s in silent:
            s.close()


def test_a_silent_connection_is_closed_after_the_keepalive_time(web):
    port, _url = web
    s = _silent(port, 1)[0]
    try:
        s.settimeout(15)
        assert s.recv(1) == b""  # closed by the server (WEB_KEEPALIVE=2), not left open
    finally:
        s.close()


def test_a_request_sent_in_pieces_is_still_answered(web):
    """The first bytes wake the connection; the rest arrive while a thread reads."""
    port, _url = web
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(b"GET /livez HTTP/1.1\r\n")
        s.sendall(b"Host: tv\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 204")
    finally:
        s.close()
