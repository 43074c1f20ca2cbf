"""Periodic news work for the sweep process: poll due sources, publish what
is scheduled, expire items and ticker messages, push ticker changes.

``news_tick(runtime)`` appends itself to ``services.sweeper.PERIODIC`` when
this module is imported in the sweep process (services may not import
broadcast_feed, tests/test_layering.py: the wiring belongs to whoever starts
the sweep). Every step is safe to run twice: the sink
skips unchanged entries, state changes check the current state.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from broadcast_feed import push, store, workflow
from broadcast_feed.errors import FeedError, FeedRefused
from broadcast_feed.fetch import feed_policy
from broadcast_feed.images import fetch_image
from broadcast_feed.ingest import IngestReport, ingest, ingest_bytes, ingest_upload
from broadcast_feed.items import District
from broadcast_feed.models import S_FAILED, S_OK, S_REFUSED
from broadcast_feed.parsing import one_line
from broadcast_feed.samples import DEMO_DISTRICT
from services.models import utcnow

log = logging.getLogger(__name__)


def district(config) -> District:
    """The district CAP alerts are matched against (``Config.NEWS_DISTRICT_NAMES``, comma
    separated, overrides the names; the demo district's centre and geocode stay)."""
    names = config.NEWS_DISTRICT_NAMES
    if not names:
        return DEMO_DISTRICT
    return District(names=[n.strip() for n in names.split(",") if n.strip()],
                    centre=DEMO_DISTRICT.centre, geocodes=list(DEMO_DISTRICT.geocodes))


@dataclass
class PollResult:
    source_id: int
    status: str  # ok | refused | failed
    reason: str = ""
    report: IngestReport | None = None

    @property
    def line(self) -> str:
        return self.report.line() if self.report else self.reason


def _counts(report: IngestReport) -> str:
    if report.not_modified:
        return "변경 없음 (not modified)"
    return "새 글 %d, 변경 %d, 같음 %d" % (report.new, report.updated, report.skipped)


def ingest_into(rt, source_id: int, *, upload=None, data: bytes | None = None,
                fetch_images: bool = False, now=None) -> PollResult:
    """Ingest one document into a source; a refusal is recorded on the source."""
    now = now or utcnow()
    images = fetch_image if fetch_images else None
    cfg = workflow.settings(rt.config)
    sink = None
    try:
        with rt.session() as s:
            src = store.get_source(s, source_id)
            sink = store.DbSink(s, src, district=district(rt.config), autopublish=cfg["cap_autopublish"],
                                now=now, images=images)
            if upload is not None:
                report = ingest_upload(upload, sink, source_name=src.name)
            elif data is not None:
                report = ingest_bytes(data, sink, source_name=src.name)
            else:
                report = ingest(src.url, sink, source_name=src.name, etag=src.etag,
                                last_modified=src.last_modified, policy=feed_policy(rt.config))
            store.record_poll(src, now, status=S_OK, counts=_counts(report), etag=report.etag,
                              last_modified=report.last_modified)
            store.audit(s, "feed", "poll", "source", src.id, new=report.new,
                        updated=report.updated, skipped=report.skipped)
    except FeedError as exc:
        status = S_REFUSED if isinstance(exc, FeedRefused) else S_FAILED
        reason = one_line(exc.reason)
        with rt.session() as s:
            src = store.get_source(s, source_id)
            store.record_poll(src, now, status=status, reason=reason, keep_validators=True)
            store.audit(s, "feed", "poll_" + status, "source", src.id, reason=reason)
        log.warning("source %s %s: %s", source_id, status, reason)
        return PollResult(source_id, status, reason)
    if sink is not None and sink.tickers_changed:
        push.announce(rt)
    log.info("source %s: %s", source_id, _counts(report))
    return PollResult(source_id, S_OK, "", report)


def poll_source(rt, source_id: int) -> PollResult:
    with rt.session() as s:
        src = store.get_source(s, source_id)
        if src is None or not src.url:
            raise workflow.NotFound("주소가 있는 출처가 아닙니다")
    return ingest_into(rt, source_id, fetch_images=True)


def poll_due(rt, now=None) -> list[PollResult]:
    now = now or utcnow()
    with rt.session() as s:
        due = [src.id for src in store.due_sources(s, now)]
    results = []
    for source_id in due:
        try:
            results.append(poll_source(rt, source_id))
        except Exception:  # one source must not stop the others
            log.exception("polling source %s failed", source_id)
    return results


def news_tick(runtime) -> None:
    """One sweep tick: poll due sources, then the publication schedule."""
    poll_due(runtime)
    workflow.run_schedule(runtime)


# -- console actions (an operator's, checked and audited) ---------------------------

def poll_source_now(rt, actor: workflow.Actor, source_id: int):
    workflow.require(actor, "sources")
    with rt.session() as s:
        store.audit(s, actor.username, "source_poll", "source", source_id)
    return poll_source(rt, source_id)


def upload_document(rt, actor: workflow.Actor, name: str, upload):
    workflow.require(actor, "sources")
    name = " ".join((name or "").split())[:120] or "업로드"
    with rt.session() as s:
        src = store.ensure_source(s, name, "upload")
        store.audit(s, actor.username, "upload", "source", src.id)
        source_id = src.id
    return ingest_into(rt, source_id, upload=upload)


def _register() -> None:
    """Append news_tick to the sweeper's PERIODIC list (also when it runs as __main__)."""
    for mod in list(sys.modules.values()):
        spec = getattr(mod, "__spec__", None)
        if spec is not None and spec.name == "services.sweeper":
            periodic = getattr(mod, "PERIODIC", None)
            if isinstance(periodic, list) and news_tick not in periodic:
                periodic.append(news_tick)


_register()
