"""Demo news for the embedded default (``make run``): the shipped sample
feeds ingested through the database sink, the press releases published so a
new user sees news at once, the CAP cold-wave warning as a ticker message,
and one operator per role. Idempotent."""

from __future__ import annotations

import logging

from broadcast_feed import samples, store, tasks, workflow
from broadcast_feed.models import INGESTED, PUBLISHED
from services.models import utcnow

log = logging.getLogger(__name__)

SOURCES = {
    samples.RSS.name: ("마포구청 보도자료", "rss"),
    samples.ATOM.name: ("마포 동네소식", "atom"),
    samples.CAP.name: ("재난 경보 (CAP)", "cap"),
}
PRESS = samples.RSS.name


def seed(rt, now=None) -> list[tuple[str, str, str]]:
    """Ingest the samples, publish the press releases; returns the demo logins."""
    now = now or utcnow()
    for filename, data in samples.demo_documents(now):
        name, kind = SOURCES[filename]
        with rt.session() as s:
            source_id = store.ensure_source(s, name, kind).id
        result = tasks.ingest_into(rt, source_id, data=data, now=now)
        if filename == PRESS and result.status == "ok":
            with rt.session() as s:
                for item in store.list_items(s, INGESTED, limit=500):
                    if item.source_id == source_id:
                        item.state, item.went_live_at = PUBLISHED, now
                        store.audit(s, "demo", "publish", "item", item.id)
    if rt.config.is_production:
        log.info("demo operators not created in production")
        return []
    logins = workflow.ensure_demo_operators(rt)
    log.info("demo news seeded")
    return logins
