"""TV news views: validate, ask broadcast_feed, render."""

from __future__ import annotations

import logging
import threading

from flask import Response, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError

from broadcast_feed import push, store, tvtext
from services.korean import english_date, english_datetime, korean_datetime, month_day
from services.models import utcnow
from tvapp.caching import shared_screen
from tvapp.news import bp
from tvapp.tv.device import tv_device_required
from tvapp.tv.service_texts import svc

log = logging.getLogger(__name__)

#: At most this many rows a page (number keys 1-5); fewer when they do not fit (long titles take
#: two lines or more; 크게 and 아주 크게): broadcast_feed.tvtext.list_pages.
PER_PAGE = 5
MAX_CATEGORIES = 6


def runtime():
    return current_app.extensions["runtime"]


_lock = threading.Lock()


def ticker_messages() -> list[dict]:
    """The ticker's active messages (one small query)."""
    return push.ticker_payload(runtime())["messages"]


def ticker_texts() -> list[str]:
    return [m["text"] for m in ticker_messages()]


def ticker_payload() -> dict:
    return push.ticker_payload(runtime())


@bp.app_context_processor
def _ticker_context():
    """``tv_ticker`` for every TV screen (a screen may still set its own)."""
    if not request.path.startswith("/tv") or request.path in ("/tv/ticker", "/tv/ticker.json"):
        return {}
    try:
        return {"tv_ticker": ticker_texts()}
    except SQLAlchemyError:
        log.exception("ticker unavailable for this page")
        return {"tv_ticker": []}


def news_date(value, long: bool = False) -> str:
    """11월 20일 / Nov 20 (list) or 2026년 11월 20일 16:30 / Nov 20, 2026 16:30
    (article), in Korea time, in the screen's language."""
    if get_locale() is not None and get_locale().language == "en":
        return english_datetime(value) if long else english_date(value, year=False)
    return korean_datetime(value) if long else month_day(value)


bp.add_app_template_filter(news_date, "news_date")  # the console shows news dates too


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return max(1, min(page, 1000))


@bp.get("/news/")
@tv_device_required
@shared_screen
def news_list():
    page = _page_arg()
    category = (request.args.get("cat") or "").strip()[:60] or None
    now = utcnow()
    size = g.device.text_size
    categories, category, rows, total, page, pages = store.published_page(
        runtime(), now, category, page, MAX_CATEGORIES,
        lambda titles: tvtext.list_pages(titles, size, PER_PAGE))
    # as many categories as fit their row in the screen's language (the rest are under 전체)
    labels = [(c, svc(c)) for c in categories]
    shown = tvtext.categories_that_fit([svc("전체")] + [lb for _, lb in labels], size) - 1
    if category and category not in [c for c, _ in labels[:shown]]:
        shown = max(0, shown - 1)  # the chosen one stays in the row, after those that fit
        labels = labels[:shown] + [(c, lb) for c, lb in labels if c == category]
    else:
        labels = labels[:shown]
    items = [{"id": r.id, "title": tvtext.list_title(r.title, size), "category": r.category,
              "when": r.published_at or r.went_live_at,
              "href": url_for("news.article", item_id=r.id,
                              **({"from": page} if page > 1 else {}),
                              **({"cat": category} if category else {}))}
             for r in rows]

    def page_url(n):
        return url_for("news.news_list", page=n, **({"cat": category} if category else {}))

    return render_template("news/list.html", items=items, page=page, pages=pages,
                           page_url=page_url, categories=labels, category=category,
                           total=total)


@bp.get("/news/<int:item_id>")
@tv_device_required
@shared_screen
def article(item_id: int):
    back_args = {}
    if request.args.get("from", type=int):
        back_args["page"] = request.args.get("from", type=int)
    if request.args.get("cat"):
        back_args["cat"] = request.args.get("cat")[:60]
    keep = {k: v for k, v in (("from", back_args.get("page")), ("cat", back_args.get("cat"))) if v}
    row = store.live_item_of(runtime(), item_id, utcnow())
    if row is None:
        abort(404)
    ctx = tvtext.article_context(
        row, request.args.get("p", 1, type=int), g.device.text_size,
        lambda p: url_for("news.article", item_id=item_id, p=p, **keep),
        url_for("news.news_list", **back_args))
    return render_template("news/article.html", **ctx)


@bp.get("/news/image/<int:item_id>.jpg")
def image(item_id: int):
    data = store.live_image(runtime(), item_id, utcnow())
    if not data:
        abort(404)
    resp = Response(data, mimetype="image/jpeg")
    resp.cache_control.public = True
    resp.cache_control.max_age = 3600
    return resp


@bp.get("/ticker.json")
def ticker_json():
    resp = jsonify(ticker_payload())
    resp.cache_control.no_store = True
    return resp


_streams: dict = {}  # per process: the semaphore bounding live streams
BUSY_RETRY_MS = 60_000


def _stream_slots() -> threading.BoundedSemaphore:
    with _lock:
        if "slots" not in _streams:
            _streams["slots"] = threading.BoundedSemaphore(current_app.config.get("TICKER_STREAMS", 4))
        return _streams["slots"]


class _Held:
    """A live stream holding one slot until the server closes it (WSGI calls
    ``close`` whether the stream ran out, the box went away, or it never began)."""

    def __init__(self, stream, slots):
        self.stream, self.slots, self.closed = stream, slots, False

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.stream)

    def close(self):
        if not self.closed:
            self.closed = True
            self.stream.close()
            self.slots.release()


@bp.get("/ticker")
def ticker_stream():
    """A live stream while this process has a thread to spare for it (at most
    ``TICKER_STREAMS``: a stream holds a gthread thread for up to a minute, and
    screens need threads too); past that, the current state at once and
    ``retry`` in a minute - every screen the box opens renders the ticker anyway."""
    rt = runtime()
    slots = _stream_slots()
    if slots.acquire(blocking=False):
        body = _Held(push.sse_stream(rt), slots)
    else:
        body = push.sse_once(ticker_payload(), BUSY_RETRY_MS)
    resp = Response(body, mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp
