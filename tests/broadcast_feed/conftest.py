"""Fixtures for broadcast_feed tests: fixture files and real local servers."""

from __future__ import annotations

import pytest
from feed_testlib import FIXTURES, SAMPLES, FileWatch, Listener, LocalServer


@pytest.fixture
def fixture_bytes():
    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def sample_bytes():
    def load(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()

    return load


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
