"""Ingestion into sinks: outcomes, dedup, uploads, refusals, demo samples."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from feed_testlib import SAMPLES

from broadcast_feed.errors import FeedRefused
from broadcast_feed.fetch import Fetched
from broadcast_feed.ingest import JsonFileSink, MemorySink, ingest, ingest_bytes, ingest_upload
from broadcast_feed.parsing import parse_document
from broadcast_feed.samples import DEMO_DISTRICT, demo_documents
from broadcast_feed.text import SEOUL

RSS = (SAMPLES / "mapo_press_rss.xml").read_bytes()


def test_memory_sink_outcomes_and_duplicate_guids():
    sink = MemorySink()
    doc = (
        b'<rss version="2.0"><channel><title>c</title>'
        b"<item><guid>1</guid><title>a</title></item>"
        b"<item><guid>1</guid><title>a</title></item>"
        b"<item><guid>1</guid><title>b</title></item>"
        b"</channel></rss>"
    )
    report = ingest_bytes(doc, sink)
    assert (report.new, report.updated, report.skipped) == (1, 1, 1)
    assert len(sink.entries) == 1


def test_same_guid_in_two_sources_is_two_items():
    sink = MemorySink()
    ingest_bytes(RSS, sink, source_name="A")
    report = ingest_bytes(RSS, sink, source_name="B")
    assert report.new == 12 and len(sink.entries) == 24


def test_refused_document_leaves_sink_untouched():
    sink = MemorySink()
    with pytest.raises(FeedRefused):
        ingest_bytes(b"<!DOCTYPE x><rss/>", sink)
    assert sink.entries == {}


class _FileStorage:
    """The shape of werkzeug's FileStorage: a ``stream`` attribute."""

    def __init__(self, data: bytes):
        self.stream = io.BytesIO(data)


def test_uploads():
    assert ingest_upload(_FileStorage(RSS), MemorySink()).new == 12
    assert ingest_upload(RSS, MemorySink(), source_name="up").source == "up"
    with pytest.raises(FeedRefused, match="body over 100 bytes"):
        ingest_upload(io.BytesIO(RSS), MemorySink(), max_bytes=100)


class SandboxFetcher:
    """A sandbox adapter: serves bytes by URL, answers 304 to a matching ETag."""

    def __init__(self, docs):
        self.docs = docs
        self.calls = []

    def fetch(self, url, *, etag=None, last_modified=None):
        self.calls.append((url, etag))
        if etag == '"1"':
            return Fetched(url=url, content=b"", not_modified=True, status=304, etag='"1"')
        return Fetched(url=url, content=self.docs[url], etag='"1"')


def test_ingest_with_a_fetcher_and_validators():
    fetcher = SandboxFetcher({"https://feeds.example.kr/press": RSS})
    sink = MemorySink()
    report = ingest("https://feeds.example.kr/press", sink, fetcher=fetcher)
    assert report.new == 12 and report.etag == '"1"' and report.kind == "rss"
    again = ingest("https://feeds.example.kr/press", sink, fetcher=fetcher, etag=report.etag)
    assert again.not_modified and again.new == 0 and again.etag == '"1"'


def test_json_file_sink_round_trip(tmp_path):
    store = tmp_path / "s.json"
    sink = JsonFileSink(store)
    ingest(SAMPLES / "mapo_cold_wave_cap.xml", sink)
    sink.remember("https://x", '"e"', None)
    sink.save()
    again = JsonFileSink(store)
    assert again.validators("https://x") == ('"e"', None)
    assert ingest(SAMPLES / "mapo_cold_wave_cap.xml", again).skipped == 1


def test_demo_cap_is_current_and_concerns_the_district():
    now = datetime(2027, 1, 15, 9, 30, tzinfo=SEOUL)
    docs = dict(demo_documents(now))
    (alert,) = parse_document(docs["mapo_cold_wave_cap.xml"]).alerts
    assert alert.sent == now
    assert alert.expires - alert.sent == timedelta(hours=46)
    assert alert.references[0][2] == (now - timedelta(hours=1)).isoformat()
    assert alert.ticker_candidate(DEMO_DISTRICT, now + timedelta(hours=1))
    assert not alert.ticker_candidate(DEMO_DISTRICT, now + timedelta(days=3))
    assert len(parse_document(docs["mapo_press_rss.xml"]).items) == 12
