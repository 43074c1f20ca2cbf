"""Redis slow or down (issue 17): the screens that can go on without it do
(``tests/tvapp/browser/test_screen_audit.py`` walks them with Redis paused and
away); a screen that needs what Redis keeps (a flow's state, a code) answers a
calm 503 that says so and offers OK to try the same screen again (a form sent:
the screen it was sent from, where tv.js gives back what was typed) and Back."""

from __future__ import annotations

import pytest

from services.core.config import load_config
from services.core.redisconn import get_redis
from services.models import Device
from tests.tvapp.test_certificate_screens import post, resident_id
from tests.tvapp.test_tv_screens import check_screen, device_of, pair

CLOSED = "redis://127.0.0.1:9/0"  # the discard port: nothing listens, the connection is refused


@pytest.fixture
def tv(demo, client):
    client.household_id = pair(client, demo)
    return client


def test_the_redis_timeouts_are_settings(env):
    env(REDIS_URL="redis://127.0.0.1:6379/0", REDIS_TIMEOUT="0.5", REDIS_CONNECT_TIMEOUT="0.25")
    config = load_config()
    assert (config.REDIS_TIMEOUT, config.REDIS_CONNECT_TIMEOUT) == (0.5, 0.25)
    kwargs = get_redis(config.REDIS_URL, 4, config.REDIS_TIMEOUT, config.REDIS_CONNECT_TIMEOUT) \
        .connection_pool.connection_kwargs
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (0.5, 0.25)
    assert get_redis(config.REDIS_URL, 4, 5.0, 2.0).connection_pool.connection_kwargs["socket_timeout"] == 5.0


def test_a_flow_screen_with_redis_down_is_a_calm_screen_to_try_again(tv, demo, monkeypatch):
    html = tv.get("/tv/certificates/resident-copy/").get_data(as_text=True)
    monkeypatch.setattr(demo.config, "REDIS_URL", CLOSED)
    r = tv.get("/tv/certificates/resident-copy/")
    page = r.get_data(as_text=True)
    assert r.status_code == 503
    assert "잠시 늦어지고 있습니다" in page and "입력하신 내용은 그대로 있습니다" in page
    assert 'id="calm-ok" href="/tv/certificates/resident-copy/"' in page and "다시 해 보기" in page
    check_screen(page, "history")
    # a form sent: OK goes back to the screen it was sent from
    r = post(tv, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, "R1003"))
    page = r.get_data(as_text=True)
    assert r.status_code == 503 and 'id="calm-ok" href="/tv/certificates/resident-copy/"' in page
    # the screens that only read what Redis keeps for speed still come
    for url in ("/tv/", "/tv/requests/", "/tv/taxes/", "/tv/news/", "/tv/settings/", "/tv/participation/"):
        assert tv.get(url).status_code == 200, url
    # machines get JSON
    j = tv.get("/tv/certificates/identity/status.json")
    assert j.status_code == 503 and j.is_json and j.json["error"] == "busy"


def test_the_slow_screen_in_english(tv, demo, monkeypatch):
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).lang = "en"
    monkeypatch.setattr(demo.config, "REDIS_URL", CLOSED)
    page = tv.get("/tv/certificates/identity").get_data(as_text=True)
    assert "This is taking a moment" in page and "Try again" in page and "Press OK to try again" in page
