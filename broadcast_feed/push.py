"""Live ticker for the TVs: Redis pub/sub to server-sent events.

``announce(rt)`` publishes the current list of active ticker messages on
``CHANNEL`` after any change; every web process streams what it hears to
its open TV pages (``sse_stream``). A stream ends after ``max_seconds`` so a
gthread worker is never held for long; EventSource reconnects by itself.
Old TV browsers without EventSource poll ``/tv/ticker.json`` instead.
"""

from __future__ import annotations

import json
import logging
import time

from redis.exceptions import RedisError

from broadcast_feed import store
from services.models import utcnow

log = logging.getLogger(__name__)

CHANNEL = "news:ticker"
STREAM_SECONDS = 55.0
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 1000


def ticker_payload(rt, now=None) -> dict:
    now = now or utcnow()
    with rt.connect() as conn:
        messages = [{"id": t.id, "text": t.text, "severity": t.severity, "expires_at": t.expires_at.isoformat()}
                    for t in store.active_ticker_rows(conn, now)]
    return {"messages": messages, "at": now.isoformat()}


def ticker_texts(rt, now=None) -> list[str]:
    return [m["text"] for m in ticker_payload(rt, now)["messages"]]


def announce(rt) -> bool:
    """Publish the active messages; False (logged) when Redis is unreachable:
    the polling fallback and the next page load still show the truth."""
    payload = json.dumps(ticker_payload(rt), ensure_ascii=False)
    try:
        rt.redis.publish(CHANNEL, payload)
        return True
    except (RedisError, RuntimeError):
        log.exception("ticker announce failed")
        return False


def _event(payload: str) -> str:
    return "event: ticker\ndata: %s\n\n" % payload


def sse_once(payload: dict, retry_ms: int):
    """``payload`` (``ticker_payload``'s shape) as one event, then the end: the
    browser's EventSource comes back after ``retry_ms`` (what a web process
    with no thread to spare for a live stream answers; see
    tvapp.news.views.ticker_stream)."""
    yield "retry: %d\n" % retry_ms
    yield _event(json.dumps(payload, ensure_ascii=False))


def sse_stream(rt, max_seconds: float | None = None, keepalive: float | None = None):
    """Yield SSE text: the current state at once, then every change heard."""
    max_seconds = STREAM_SECONDS if max_seconds is None else max_seconds
    keepalive = KEEPALIVE_SECONDS if keepalive is None else keepalive
    pubsub = None
    try:
        pubsub = rt.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)  # before reading the state, so nothing is missed
    except (RedisError, RuntimeError):
        log.warning("ticker stream without Redis; the page falls back to polling")
        pubsub = None
    try:
        yield "retry: %d\n" % RETRY_MS
        yield _event(json.dumps(ticker_payload(rt), ensure_ascii=False))
        if pubsub is None:
            return
        end = time.monotonic() + max_seconds
        quiet_since = time.monotonic()
        while time.monotonic() < end:
            msg = pubsub.get_message(timeout=1.0)
            if msg and msg.get("type") == "message":
                data = msg["data"]
                yield _event(data.decode("utf-8") if isinstance(data, bytes) else data)
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= keepalive:
                yield ": keepalive\n\n"
                quiet_since = time.monotonic()
    except RedisError:
        log.warning("ticker stream lost Redis; the browser reconnects")
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except RedisError:
                pass
