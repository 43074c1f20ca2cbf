"""The ticker's live streams never take every web thread: past
``TICKER_STREAMS`` a box gets the current state at once and comes back in a
minute, and a closed stream gives its slot back."""

import json

import pytest

from tvapp.news import views


@pytest.fixture
def app2(runtime, monkeypatch):
    from tvapp import create_app

    monkeypatch.setattr(views, "_streams", {})
    monkeypatch.setattr(runtime.config, "TICKER_STREAMS", 2)
    application = create_app(runtime.config)
    application.config.update(TESTING=True, TICKER_STREAMS=2)
    return application


def first_chunks(resp, n):
    it = iter(resp.response)
    return [next(it) for _ in range(n)]


def test_streams_past_the_limit_get_the_state_and_a_later_retry(app2, monkeypatch):
    from broadcast_feed import push

    monkeypatch.setattr(push, "STREAM_SECONDS", 30.0)
    c = app2.test_client()
    live = [c.get("/tv/ticker") for _ in range(2)]
    for r in live:
        assert first_chunks(r, 2)[0].startswith(b"retry: 1000")
    busy = c.get("/tv/ticker")
    body = busy.get_data(as_text=True)  # ends at once
    assert body.startswith("retry: %d\n" % views.BUSY_RETRY_MS)
    assert json.loads(body.split("data: ", 1)[1])["messages"] == []
    live[0].close()  # a box went away: its slot is free again
    again = c.get("/tv/ticker")
    assert first_chunks(again, 1)[0].startswith(b"retry: 1000")
    for r in (live[1], again):
        r.close()
    never_read = c.get("/tv/ticker")
    never_read.close()  # closed before a byte was sent: the slot is still given back
    last = [c.get("/tv/ticker") for _ in range(2)]
    for r in last:
        assert first_chunks(r, 1)[0].startswith(b"retry: 1000")
        r.close()
