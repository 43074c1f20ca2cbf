"""Fixtures for the hostile-input tests: a watched secret file, a listener
that counts connections, a local HTTP server (from the feed tests' library),
and console logins."""

from __future__ import annotations

import re

import pytest

from tests.broadcast_feed.feed_testlib import http_server, listener, secret_file  # noqa: F401 - fixtures


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
