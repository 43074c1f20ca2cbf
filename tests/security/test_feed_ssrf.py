"""Issue 19 item 5, as the attack: a feed server (on loopback) redirects the
unattended poll to the back end's /admin/stats (a loopback listener that
counts connections). With the allow-list empty nothing on loopback is
fetched; with only the feed server allowed, its redirect inward is refused
on that hop and the back end never sees a connection. All on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcast_feed import store, tasks, workflow
from broadcast_feed.models import S_OK, S_REFUSED
from broadcast_feed.samples import __file__ as samples_init
from tests.broadcast_feed.feed_testlib import send

ADMIN = workflow.Actor(1, "admin", "admin")


def _source(rt, url: str) -> int:
    with rt.session() as s:
        return store.ensure_source(s, "probe", "rss", url).id


@pytest.fixture
def rss() -> bytes:
    return (Path(samples_init).parent / "mapo_press_rss.xml").read_bytes()


def test_with_the_allow_list_empty_a_loopback_feed_is_not_fetched(runtime, http_server, rss):
    runtime.config.FEED_ALLOW_HOSTS = ""
    http_server.routes["/feed"] = lambda h: send(h, rss)
    result = tasks.poll_source(runtime, _source(runtime, http_server.url("/feed")))
    assert result.status == S_REFUSED and "non-public" in result.reason
    assert http_server.paths() == []  # not one request reached it
    with pytest.raises(workflow.WorkflowError):
        workflow.add_source(runtime, ADMIN, "inside", "rss", http_server.url("/feed"))


def test_an_allowed_feed_server_cannot_redirect_the_poll_inward(runtime, http_server, listener):
    runtime.config.FEED_ALLOW_HOSTS = "127.0.0.1:%d" % http_server.port  # the development feed server
    inward = "http://127.0.0.1:%d/admin/stats" % listener.port  # the back end
    http_server.routes["/feed"] = lambda h: send(h, b"", status=302, headers={"Location": inward})
    result = tasks.poll_source(runtime, _source(runtime, http_server.url("/feed")))
    assert result.status == S_REFUSED and "non-public" in result.reason
    assert http_server.paths() == ["/feed"]
    assert listener.connections() == 0


def test_an_allowed_development_feed_server_is_polled(runtime, http_server, rss):
    runtime.config.FEED_ALLOW_HOSTS = "127.0.0.1:%d" % http_server.port
    http_server.routes["/feed"] = lambda h: send(h, rss, headers={"Content-Type": "application/rss+xml"})
    result = tasks.poll_source(runtime, _source(runtime, http_server.url("/feed")))
    assert result.status == S_OK, result.reason
    assert result.report.new > 0
