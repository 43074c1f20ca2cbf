"""What a request's pipeline is made of, and how a request is queued.

A pipeline is a list of :class:`Step`; each runs with a :class:`StepContext`
and may raise :class:`Retry` (try again later) or :class:`Fail` (end the
request as failed, with a reason the resident can read). The pipelines
themselves live with their domains (``services.certificates.pipeline``,
``services.taxes.pipeline``); the runner that walks them is
``services.pipeline``. :func:`start` queues a request's job by name, so any
domain module may queue work without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from services import ledger
from services.core.config import QUEUE_REQUESTS
from services.core.errors import AppError
from services.core.jobs import enqueue
from services.core.runtime import Runtime
from services.models import Request, utcnow


class Retry(AppError):
    """Try this step again later. ``reason`` is a short code; ``message`` is for people."""

    status_code = 503

    def __init__(self, reason: str, message: str = "", after: float | None = None,
                 count: bool = True):
        super().__init__(reason)
        self.reason, self.message, self.after, self.count = reason, message, after, count


class Fail(AppError):
    """End the request as failed with a reason the resident can read."""

    status_code = 422

    def __init__(self, reason: str, message: str = "", detail: dict | None = None):
        super().__init__(reason)
        self.reason, self.message, self.detail = reason, message, detail or {}


@dataclass
class StepContext:
    runtime: Runtime
    session: object
    request: Request

    def event(self, key: str, kind: str, detail: dict | None = None) -> bool:
        return ledger.append_event(self.session, self.request.id, key, kind, detail)

    def commit(self) -> None:
        """Commit what the step has written so far (do it before a slow outside call,
        so no database lock is held while waiting)."""
        self.session.commit()

    def extend_lease(self) -> None:
        self.request.lease_until = utcnow() + timedelta(
            seconds=self.runtime.config.JOB_LEASE_SECONDS
        )
        self.session.flush()


@dataclass
class Step:
    name: str
    run: Callable[[StepContext], None]
    status_after: str
    events: list = field(default_factory=list)


QUEUED_KEY = "tvgov:queued:%d"  # request id -> the id of its job waiting in the queue
QUEUED_TTL = 86400


def start(runtime: Runtime, request_id: int) -> bool:
    """Queue a request's job now (called after the creating transaction commits)."""
    job_id = enqueue(runtime.redis, QUEUE_REQUESTS, "services.pipeline.process_request", request_id)
    if job_id:
        try:
            runtime.redis.set(QUEUED_KEY % request_id, job_id, ex=QUEUED_TTL)
        except Exception:  # noqa: BLE001 - only lets the sweep skip a waiting job
            pass
    return job_id is not None
