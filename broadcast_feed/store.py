"""Data access for news: plain functions on a SQLAlchemy session, and the
database sink the ingestion core writes into (``DbSink``).

Nothing here commits: callers own the unit of work (``runtime.session()``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select

from broadcast_feed.errors import FeedError
from broadcast_feed.items import CapAlert, District, FeedItem
from broadcast_feed.models import (
    INGESTED,
    PUBLISHED,
    S_NEW,
    T_EXPIRED,
    T_IGNORED,
    T_PENDING,
    T_PUBLISHED,
    AuditEntry,
    NewsItem,
    NewsRevision,
    NewsSource,
    Operator,
    TickerMessage,
)
from services.models import utcnow

log = logging.getLogger(__name__)

CAP_DEFAULT_TTL = timedelta(hours=6)  # an alert without <expires>
TICKER_MAX = 500


# -- audit -----------------------------------------------------------------------

def audit(s, actor: str, action: str, object_type: str, object_id: int | None, **detail) -> None:
    s.add(AuditEntry(actor=actor, action=action, object_type=object_type,
                     object_id=object_id, detail=detail))


def audit_entries(s, limit: int = 200, object_type: str | None = None,
                  object_id: int | None = None) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if object_type:
        q = q.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        q = q.where(AuditEntry.object_id == object_id)
    return list(s.scalars(q))


# -- sources ---------------------------------------------------------------------

def get_source(s, source_id: int) -> NewsSource | None:
    return s.get(NewsSource, source_id)


def source_by_name(s, name: str) -> NewsSource | None:
    return s.scalar(select(NewsSource).where(NewsSource.name == name))


def ensure_source(s, name: str, kind: str, url: str | None = None,
                  poll_minutes: int = 30) -> NewsSource:
    src = source_by_name(s, name)
    if src is None:
        src = NewsSource(name=name, kind=kind, url=url, poll_minutes=poll_minutes,
                         status=S_NEW, last_reason="", last_counts="")
        s.add(src)
        s.flush()
    return src


def list_sources(s) -> list[NewsSource]:
    return list(s.scalars(select(NewsSource).order_by(NewsSource.name)))


def due_sources(s, now: datetime) -> list[NewsSource]:
    q = select(NewsSource).where(
        NewsSource.enabled.is_(True), NewsSource.url.is_not(None),
        or_(NewsSource.next_poll_at.is_(None), NewsSource.next_poll_at <= now))
    return list(s.scalars(q))


def record_poll(src: NewsSource, now: datetime, *, status: str, reason: str = "",
                counts: str = "", etag=None, last_modified=None, keep_validators=False) -> None:
    src.status = status
    src.last_reason = reason[:1000]
    if counts:
        src.last_counts = counts
    src.last_polled_at = now
    src.next_poll_at = now + timedelta(minutes=max(1, src.poll_minutes or 30))
    if not keep_validators:
        src.etag = (etag or None) and etag[:255]
        src.last_modified = (last_modified or None) and last_modified[:64]


# -- items -----------------------------------------------------------------------

def get_item(s, item_id: int) -> NewsItem | None:
    return s.get(NewsItem, item_id)


def item_by_key(s, source_id: int, key: str) -> NewsItem | None:
    return s.scalar(select(NewsItem).where(NewsItem.source_id == source_id, NewsItem.key == key))


def list_items(s, state: str | None = None, limit: int = 100) -> list[NewsItem]:
    q = select(NewsItem).order_by(NewsItem.updated_at.desc(), NewsItem.id.desc()).limit(limit)
    if state:
        q = q.where(NewsItem.state == state)
    return list(s.scalars(q))


def state_counts(s) -> dict[str, int]:
    rows = s.execute(select(NewsItem.state, func.count()).group_by(NewsItem.state))
    return {state: n for state, n in rows}


def _live(now: datetime):
    return (NewsItem.state == PUBLISHED,
            or_(NewsItem.expires_at.is_(None), NewsItem.expires_at > now))


def published_items(s, now: datetime, category: str | None = None,
                    offset: int = 0, limit: int = 20) -> tuple[list[NewsItem], int]:
    """What the TV shows: published, not expired, newest first."""
    where = list(_live(now))
    if category:
        where.append(NewsItem.category == category)
    total = s.scalar(select(func.count()).select_from(NewsItem).where(*where)) or 0
    newest = func.coalesce(NewsItem.published_at, NewsItem.went_live_at)
    q = (select(NewsItem).where(*where).order_by(newest.desc(), NewsItem.id.desc())
         .offset(offset).limit(limit))
    return list(s.scalars(q)), total


def published_categories(s, now: datetime) -> list[str]:
    q = (select(NewsItem.category).where(*_live(now), NewsItem.category != "")
         .group_by(NewsItem.category).order_by(func.count().desc(), NewsItem.category))
    return [c for c in s.scalars(q)]


def live_item(s, item_id: int, now: datetime) -> NewsItem | None:
    return s.scalar(select(NewsItem).where(NewsItem.id == item_id, *_live(now)))


def due_to_publish(s, now: datetime) -> list[NewsItem]:
    return list(s.scalars(select(NewsItem).where(
        NewsItem.state == "submitted", NewsItem.publish_at.is_not(None),
        NewsItem.publish_at <= now)))


def due_to_expire(s, now: datetime) -> list[NewsItem]:
    return list(s.scalars(select(NewsItem).where(
        NewsItem.state == PUBLISHED, NewsItem.expires_at.is_not(None),
        NewsItem.expires_at <= now)))


def add_revision(s, item: NewsItem, author: str, note: str = "") -> NewsRevision:
    number = (s.scalar(select(func.max(NewsRevision.number))
                       .where(NewsRevision.item_id == item.id)) or 0) + 1
    rev = NewsRevision(item_id=item.id, number=number, title=item.title, summary=item.summary,
                       body=item.body, category=item.category, author=author, note=note[:255])
    item.revision = number
    s.add(rev)
    return rev


def revisions(s, item_id: int) -> list[NewsRevision]:
    return list(s.scalars(select(NewsRevision).where(NewsRevision.item_id == item_id)
                          .order_by(NewsRevision.number.desc())))


# -- ticker ----------------------------------------------------------------------

def get_ticker(s, ticker_id: int) -> TickerMessage | None:
    return s.get(TickerMessage, ticker_id)


def _ticker_order():
    """The most severe first (Extreme, then Severe, then the rest), newest first within."""
    rank = case({"Extreme": 0, "Severe": 1}, value=TickerMessage.severity, else_=2)
    return rank, TickerMessage.published_at.desc(), TickerMessage.id.desc()


def active_tickers(s, now: datetime) -> list[TickerMessage]:
    return list(s.scalars(select(TickerMessage).where(
        TickerMessage.state == T_PUBLISHED, TickerMessage.expires_at > now)
        .order_by(*_ticker_order())))


# Built once (every TV screen asks): a statement built per call costs
# SQLAlchemy its cache key each time, more than the query.
_ACTIVE_TICKER = (select(TickerMessage.id, TickerMessage.text, TickerMessage.severity,
                         TickerMessage.expires_at)
                  .where(TickerMessage.state == T_PUBLISHED, TickerMessage.expires_at > bindparam("now"))
                  .order_by(*_ticker_order()))


def active_ticker_rows(s, now: datetime):
    """What the ticker shows now: (id, text, severity, expires_at) rows, the
    most severe first, newest first within (only the columns it needs). ``s``
    may be a plain connection."""
    return s.execute(_ACTIVE_TICKER, {"now": now}).all()


def list_tickers(s, limit: int = 50) -> list[TickerMessage]:
    return list(s.scalars(select(TickerMessage).where(TickerMessage.state != T_IGNORED)
                          .order_by(TickerMessage.id.desc()).limit(limit)))


def tickers_to_expire(s, now: datetime) -> list[TickerMessage]:
    return list(s.scalars(select(TickerMessage).where(
        TickerMessage.state.in_((T_PUBLISHED, T_PENDING)), TickerMessage.expires_at <= now)))


# -- operators -------------------------------------------------------------------

def operator_by_name(s, username: str) -> Operator | None:
    return s.scalar(select(Operator).where(Operator.username == username))


def get_operator(s, operator_id: int) -> Operator | None:
    return s.get(Operator, operator_id)


def list_operators(s) -> list[Operator]:
    return list(s.scalars(select(Operator).order_by(Operator.username)))


# -- the sink --------------------------------------------------------------------

def cap_ticker_text(alert: CapAlert) -> str:
    info = alert.info
    if info is None:
        return alert.identifier
    head = info.headline or info.event
    text = "[%s] %s" % (info.event, head) if info.event and info.event not in head else head
    if info.instruction:
        first = info.instruction.split("\n")[0].strip()
        text = "%s - %s" % (text, first)
    return " ".join(text.split())[:TICKER_MAX]


class DbSink:
    """Writes ingested entries into the database for one source.

    Items are deduplicated on (source, key); a changed fingerprint updates the
    stored copy and records a revision. CAP alerts become ticker messages:
    published at once (``autopublish``) or held for an approver when the
    alert is a ticker candidate for ``district``, else kept as "ignored" so a
    second poll is skipped. ``tickers_changed`` tells the caller to push.
    """

    def __init__(self, session, source: NewsSource, *, district: District,
                 autopublish: bool = True, now: datetime | None = None, images=None):
        self.s = session
        self.source = source
        self.district = district
        self.autopublish = autopublish
        self.now = now or utcnow()
        self.images = images  # optional callable(url) -> TvImage
        self.tickers_changed = False

    def upsert(self, entry) -> str:
        if isinstance(entry, CapAlert):
            return self._cap(entry)
        return self._item(entry)

    # items
    def _item(self, entry: FeedItem) -> str:
        fp = entry.fingerprint()
        item = item_by_key(self.s, self.source.id, entry.key[:512])
        if item is not None and item.fingerprint == fp:
            return "skipped"
        fields = dict(
            title=(entry.title or "(제목 없음)")[:500], summary=entry.summary or "",
            body=entry.body or "", category=(entry.category or "")[:60],
            link=(entry.link or None) and entry.link[:1000], author=(entry.author or "")[:120],
            image_url=(entry.image_url or None) and entry.image_url[:1000],
            published_at=entry.published, fingerprint=fp)
        new = item is None
        if new:
            item = NewsItem(source_id=self.source.id, key=entry.key[:512], state=INGESTED,
                            revision=0, **fields)
            self.s.add(item)
        else:
            for k, v in fields.items():
                setattr(item, k, v)
        if self.images and item.image_url and (new or item.image is None):
            item.image = self._image(item.image_url)
        self.s.flush()
        add_revision(self.s, item, "feed", "원문 수신" if new else "원문 변경")
        audit(self.s, "feed", "ingest" if new else "feed_update", "item", item.id,
              source=self.source.name)
        return "new" if new else "updated"

    def _image(self, url: str) -> bytes | None:
        try:
            return self.images(url).data
        except FeedError as exc:
            log.info("image skipped for source %s: %s", self.source.id, exc.reason)
        except Exception:  # noqa: BLE001 - an image never fails the item
            log.exception("image fetch failed for source %s", self.source.id)
        return None

    # CAP alerts
    def _cap(self, alert: CapAlert) -> str:
        fp = alert.fingerprint()
        key = alert.key[:512]
        row = self.s.scalar(select(TickerMessage).where(
            TickerMessage.source_id == self.source.id, TickerMessage.cap_key == key))
        if row is not None and row.fingerprint == fp:
            return "skipped"
        if alert.msg_type == "Cancel":
            self._cancel(alert)
        candidate = alert.ticker_candidate(self.district, self.now)
        expires = alert.expires or (self.now + CAP_DEFAULT_TTL)
        severity = next((i.severity for i in alert.infos if i.severity in ("Extreme", "Severe")),
                        alert.severity or "Unknown")
        new = row is None
        if new:
            row = TickerMessage(source_id=self.source.id, cap_key=key, created_by="cap")
            self.s.add(row)
        row.text = cap_ticker_text(alert)
        row.severity = severity[:16]
        row.expires_at = expires
        row.fingerprint = fp
        if not candidate:
            if row.state in (None, T_PENDING, T_IGNORED):
                row.state = T_IGNORED
        elif self.autopublish:
            if row.state != T_PUBLISHED:
                row.published_at = self.now
            row.state = T_PUBLISHED
            row.approved_by = "auto"
            self.tickers_changed = True
        elif row.state in (None, T_IGNORED):
            row.state = T_PENDING
        self.s.flush()
        audit(self.s, "feed", "cap_alert" if new else "cap_update", "ticker", row.id,
              source=self.source.name, state=row.state)
        return "new" if new else "updated"

    def _cancel(self, alert: CapAlert) -> None:
        for sender, ident, sent in alert.references:
            ref = "%s,%s,%s" % (sender, ident, sent)
            old = self.s.scalar(select(TickerMessage).where(TickerMessage.cap_key == ref))
            if old is not None and old.state in (T_PUBLISHED, T_PENDING):
                old.state = T_EXPIRED
                self.tickers_changed = True
                audit(self.s, "feed", "cap_cancel", "ticker", old.id)


# -- the TV's news screens, one unit of work each (the views open no sessions) --------

def published_titles(s, now: datetime, category: str | None = None) -> list[tuple[int, str]]:
    """``(id, title)`` of what the TV shows, in the list's order (newest first)."""
    where = list(_live(now))
    if category:
        where.append(NewsItem.category == category)
    newest = func.coalesce(NewsItem.published_at, NewsItem.went_live_at)
    q = select(NewsItem.id, NewsItem.title).where(*where).order_by(newest.desc(), NewsItem.id.desc())
    return [(i, t) for i, t in s.execute(q)]


def published_page(runtime, now: datetime, category: str | None, page: int, max_categories: int,
                   pages_of: Callable[[list[str]], list[tuple[int, int]]],
                   ) -> tuple[list[str], str | None, list[NewsItem], int, int, int]:
    """One page of the news list: ``(categories, category, items, total,
    page, pages)``; a category no live item has reads as none, a page past
    the end as the last. ``pages_of(titles)`` cuts the list into pages
    (``(start, end)`` each: as many rows as fit the screen, by their titles;
    broadcast_feed.tvtext.list_pages)."""
    with runtime.session() as s:
        categories = published_categories(s, now)[:max_categories]
        if category not in categories:
            category = None
        titles = published_titles(s, now, category)
        bounds = pages_of([t for _, t in titles]) or [(0, 0)]
        page = min(max(1, page), len(bounds))
        start, end = bounds[page - 1]
        ids = [i for i, _ in titles[start:end]]
        found = {r.id: r for r in s.scalars(select(NewsItem).where(NewsItem.id.in_(ids)))} if ids else {}
        rows = [found[i] for i in ids if i in found]
        return categories, category, rows, len(titles), page, len(bounds)


def live_item_of(runtime, item_id: int, now: datetime) -> NewsItem | None:
    """:func:`live_item` in its own unit of work."""
    with runtime.session() as s:
        return live_item(s, item_id, now)


def live_image(runtime, item_id: int, now: datetime) -> bytes | None:
    """A live item's image, if it has one."""
    with runtime.session() as s:
        row = live_item(s, item_id, now)
        return row.image if row is not None else None
