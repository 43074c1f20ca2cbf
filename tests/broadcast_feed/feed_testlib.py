"""Helpers for broadcast_feed tests: local HTTP server, listener, inotify, peak RSS."""

from __future__ import annotations

import ctypes
import os
import re
import socket
import struct
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
HOSTILE = HERE / "hostile"
SAMPLES = HERE.parents[1] / "broadcast_feed" / "samples"

# -- a real HTTP server in a thread -------------------------------------------------


class LocalServer:
    """``routes[path] = fn(handler)``; every request is recorded in ``requests``."""

    def __init__(self):
        self.routes = {}
        self.requests = []  # (path, headers dict)
        self.stop = threading.Event()
        self.bytes_sent = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                server.requests.append((path, dict(self.headers)))
                route = server.routes.get(path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def send(handler, body: bytes, *, status=200, headers=None, length=True):
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


# -- a listener that tells whether anyone connected ---------------------------------


class Listener:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        """Connections the kernel accepted so far (a connect() completes before it returns)."""
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


# -- a file that tells whether anyone opened it (inotify) ---------------------------

IN_ACCESS, IN_OPEN = 0x1, 0x20


class FileWatch:
    def __init__(self, path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            pytest.fail("inotify is not available: the test could not prove that no file is read")
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(str(path)), IN_OPEN | IN_ACCESS)
        if wd < 0:
            pytest.fail("inotify_add_watch failed: the test could not prove that no file is read")

    def events(self) -> int:
        count = 0
        while True:
            try:
                data = os.read(self.fd, 4096)
            except BlockingIOError:
                return count
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, offset)
                offset += 16 + length
                count += 1

    def close(self):
        os.close(self.fd)


# -- peak memory ---------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(r"%s:\s+(\d+)" % field, fh.read()).group(1))


@contextmanager
def peak_rss_growth():
    """Yields a dict; after the block, ``growth_mb`` is peak RSS minus RSS before.

    Resets the kernel's high-water mark first (/proc/self/clear_refs), so this
    measures the block alone, C allocations (libxml2, zlib) included.
    """
    result = {}
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pytest.fail("cannot reset the RSS high-water mark (/proc/self/clear_refs): memory could not be measured")
    before = _status_kb("VmRSS")
    yield result
    result["growth_mb"] = (_status_kb("VmHWM") - before) / 1024


# -- fixtures shared by the feed tests and the hostile-input tests (tests/security) ---


@pytest.fixture
def http_server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = LocalServer()
    server.thread.start()
    yield server
    server.stop.set()
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.sock.close()


@pytest.fixture
def secret_file(tmp_path):
    """A file with a secret in it, and a watch that counts opens and reads."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-0xC0FFEE\n")
    watch = FileWatch(path)
    yield path, watch
    watch.close()
