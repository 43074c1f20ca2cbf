"""News storage on SQLite and PostgreSQL: the database sink (new, updated,
skipped, dedup per source), CAP alerts as ticker messages, the TV queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from feed_testlib import FIXTURES, SAMPLES
from sqlalchemy import func, select

from broadcast_feed import store
from broadcast_feed.ingest import ingest_bytes
from broadcast_feed.models import (
    INGESTED,
    PUBLISHED,
    T_IGNORED,
    T_PENDING,
    T_PUBLISHED,
    AuditEntry,
    NewsItem,
    NewsRevision,
    TickerMessage,
)
from broadcast_feed.samples import DEMO_DISTRICT, demo_documents
from services.core.db import get_engine, session_scope
from services.models import utcnow

RSS = (SAMPLES / "mapo_press_rss.xml").read_bytes()
ATOM = (SAMPLES / "mapo_community_atom.xml").read_bytes()


def one_item(guid: str, title: str) -> bytes:
    return ('<rss version="2.0"><channel><title>c</title><item><guid>%s</guid><title>%s</title>'
            '<description>본문</description><category>복지</category></item></channel></rss>'
            % (guid, title)).encode()


def ingest_into(url, name, data, now=None, autopublish=True):
    with session_scope(url) as s:
        src = store.ensure_source(s, name, "rss")
        sink = store.DbSink(s, src, district=DEMO_DISTRICT, autopublish=autopublish, now=now)
        report = ingest_bytes(data, sink, source_name=name)
        return report, sink.tickers_changed


def test_sink_new_updated_skipped_and_dedup(any_db_url):
    report, _ = ingest_into(any_db_url, "구청", RSS)
    assert report.new == 12 and report.updated == 0
    report, _ = ingest_into(any_db_url, "구청", RSS)
    assert (report.new, report.updated, report.skipped) == (0, 0, 12)
    # the same guid in another source is another item
    report, _ = ingest_into(any_db_url, "다른 출처", one_item("mapo-press-29418", "다른 글"))
    assert report.new == 1
    report, _ = ingest_into(any_db_url, "구청", one_item("mapo-press-29418", "고친 제목"))
    assert report.updated == 1
    with session_scope(any_db_url) as s:
        assert s.scalar(select(func.count()).select_from(NewsItem)) == 13
        src = store.source_by_name(s, "구청")
        item = store.item_by_key(s, src.id, "mapo-press-29418")
        assert item.title == "고친 제목" and item.state == INGESTED and item.category == "복지"
        revs = store.revisions(s, item.id)
        assert [r.number for r in revs] == [2, 1] and revs[1].title.startswith("마포구, 겨울철")
        assert revs[0].author == "feed"
        assert s.scalar(select(func.count()).select_from(NewsRevision)) == 14
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "ingest")) == 13


def test_published_items_newest_first_without_expired(any_db_url):
    ingest_into(any_db_url, "구청", RSS)
    now = utcnow()
    with session_scope(any_db_url) as s:
        items = store.list_items(s, limit=50)
        for item in items:
            item.state, item.went_live_at = PUBLISHED, now
        items[0].expires_at = now - timedelta(minutes=1)
        expired_id = items[0].id
    with session_scope(any_db_url) as s:
        rows, total = store.published_items(s, now, offset=0, limit=5)
        assert total == 11 and len(rows) == 5
        assert expired_id not in [r.id for r in rows]
        dates = [r.published_at for r in rows]
        assert dates == sorted(dates, reverse=True)
        cats = store.published_categories(s, now)
        assert "복지" in cats or cats
        welfare, n = store.published_items(s, now, category=cats[0])
        assert n >= 1 and all(r.category == cats[0] for r in welfare)
        assert store.live_item(s, expired_id, now) is None


def test_cap_alert_becomes_a_ticker_once(any_db_url):
    now = utcnow()
    cap = dict(demo_documents(now))["mapo_cold_wave_cap.xml"]
    report, changed = ingest_into(any_db_url, "경보", cap, now=now)
    assert report.new == 1 and changed
    report, changed = ingest_into(any_db_url, "경보", cap, now=now)
    assert report.skipped == 1 and not changed
    with session_scope(any_db_url) as s:
        (t,) = s.scalars(select(TickerMessage)).all()
        assert t.state == T_PUBLISHED and t.severity == "Severe" and t.created_by == "cap"
        assert "한파" in t.text and t.expires_at > now
        assert [x.id for x in store.active_tickers(s, now)] == [t.id]
        tid, expires = t.id, t.expires_at
    with get_engine(any_db_url).connect() as conn:  # what every TV screen reads, on a plain connection
        (row,) = store.active_ticker_rows(conn, now)
        assert row.id == tid and "한파" in row.text and row.expires_at == expires
        assert store.active_ticker_rows(conn, expires) == []


def test_cap_held_for_approval_and_foreign_alerts_ignored(any_db_url):
    now = utcnow()
    cap = dict(demo_documents(now))["mapo_cold_wave_cap.xml"]
    ingest_into(any_db_url, "경보", cap, now=now, autopublish=False)
    multi = (FIXTURES / "cap_multi.xml").read_bytes()
    ingest_into(any_db_url, "다른 경보", multi, now=now, autopublish=False)
    with session_scope(any_db_url) as s:
        states = {t.source_id: t.state for t in s.scalars(select(TickerMessage))}
        mine = store.source_by_name(s, "경보").id
        assert states[mine] == T_PENDING
        assert store.active_tickers(s, now) == []
        other = store.source_by_name(s, "다른 경보").id
        assert states[other] in (T_IGNORED, T_PENDING)


@pytest.mark.parametrize("doc", [RSS, ATOM])
def test_sink_keeps_paragraphs_and_published_time(any_db_url, doc):
    ingest_into(any_db_url, "s", doc)
    with session_scope(any_db_url) as s:
        item = store.list_items(s, limit=1)[0]
        assert item.title and item.fingerprint and item.published_at is not None
        assert item.published_at.tzinfo is not None


def test_the_most_severe_ticker_comes_first(any_db_url):
    """Issue 17 item 11: an Extreme alert before a Severe one (newer or not),
    then the rest; newest first within a level."""
    now = utcnow()
    with session_scope(any_db_url) as s:
        for minutes_ago, severity, text in [(1, "Severe", "newest severe"), (5, "Extreme", "older extreme"),
                                            (3, "Moderate", "moderate"), (8, "Severe", "oldest severe"),
                                            (2, "Extreme", "newer extreme")]:
            at = now - timedelta(minutes=minutes_ago)
            s.add(TickerMessage(text=text, severity=severity, state=T_PUBLISHED, created_by="t",
                                published_at=at, expires_at=now + timedelta(hours=1)))
    with session_scope(any_db_url) as s:
        order = ["newer extreme", "older extreme", "newest severe", "oldest severe", "moderate"]
        assert [r.text for r in store.active_ticker_rows(s, now)] == order
        assert [t.text for t in store.active_tickers(s, now)] == order
