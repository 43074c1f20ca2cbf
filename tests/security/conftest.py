"""Fixtures for the hostile-input tests: a watched secret file, a listener
that counts connections, a local HTTP server (from the feed tests' library),
and console logins."""

from __future__ import annotations

import re

import pytest

from tests.broadcast_feed.feed_testlib import FileWatch, Listener, LocalServer


@pytest.fixture
def secret_file(tmp_path):
    """A file with a secret in it, and a watch that counts opens and reads."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-0xC0FFEE\n")
    watch = FileWatch(path)
    yield path, watch
    watch.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.sock.close()


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
def seeded(runtime):
    """The demo news (sources, items, a CAP ticker) and one operator per role."""
    from broadcast_feed import demo as news_demo

    news_demo.seed(runtime)
    return runtime


def csrf_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html).group(1)


def console_login(app, user: str):
    from broadcast_feed import workflow

    client = app.test_client()
    password = dict((u, p) for u, p, _ in workflow.DEMO_OPERATORS)[user]
    r = client.post("/console/login", data={"username": user, "password": password,
                                            "csrf_token": csrf_token(client, "/console/login")})
    assert r.status_code == 303, r.status_code
    return client
