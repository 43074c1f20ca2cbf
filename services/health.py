"""Health of the parts: database, Redis, back end, workers."""

from __future__ import annotations

from rq import Worker
from sqlalchemy import text

from services.bridge.client import BackendClient, CircuitBreaker
from services.core.config import QUEUES
from services.core.db import get_engine


def check(runtime) -> tuple[bool, dict]:
    cfg = runtime.config
    parts: dict = {}
    try:
        with get_engine(cfg.DATABASE_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
        parts["database"] = {"ok": True}
    except Exception as exc:
        parts["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        runtime.redis.ping()
        parts["redis"] = {"ok": True}
    except Exception as exc:
        parts["redis"] = {"ok": False, "error": type(exc).__name__}
    probe = BackendClient(cfg.BACKEND_URL, timeout=2.0, retries=0, breaker=CircuitBreaker(1, 0))
    parts["backend"] = {"ok": probe.ping()}
    if parts["redis"]["ok"]:
        try:
            workers = Worker.all(connection=runtime.redis)
            served = {q for w in workers for q in w.queue_names()}
            missing = [q for q in QUEUES if q not in served]
            parts["workers"] = {"ok": bool(workers) and not missing, "count": len(workers),
                                "queues_without_worker": missing}
        except Exception as exc:
            parts["workers"] = {"ok": False, "error": type(exc).__name__}
    else:
        parts["workers"] = {"ok": False, "error": "redis down"}
    return all(p["ok"] for p in parts.values()), parts
