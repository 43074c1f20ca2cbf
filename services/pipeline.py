"""Runs a request through its steps, one idempotent step at a time.

A job calls ``process_request(request_id)``. It first takes a lease on the
row (an UPDATE that only one process can win), then runs the request's
remaining steps. A step either finishes (its events appended, the request
advanced), asks to be retried later (``Retry``: the back end is down, the
SMTP server said 4xx), or fails for good (``Fail``: a refusal the resident
must see). The lease ends when the job stops; a job killed mid-step leaves
a lease that runs out, and the sweep queues the request again. Steps must
be safe to run twice: every outside call carries an idempotency key.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import and_, or_, select, update

from services import ledger, steps
from services.certificates import pipeline as cert_pipeline
from services.core import versions
from services.core.config import QUEUE_REQUESTS
from services.core.jobs import get_queue
from services.core.runtime import Runtime, get_runtime
from services.models import COMPLETED, FAILED, TERMINAL, Request, utcnow
from services.steps import QUEUED_KEY, Fail, Retry, Step, StepContext
from services.taxes import pipeline as tax_pipeline

log = logging.getLogger(__name__)


# The pipelines: kind -> (its steps, what runs in the transaction that ends one as failed).
PIPELINES = {
    "certificate": (cert_pipeline.STEPS, cert_pipeline.on_fail),
    "tax_payment": (tax_pipeline.STEPS, None),
}


def pipeline_for(kind: str) -> list[Step]:
    try:
        return PIPELINES[kind][0]
    except KeyError as exc:
        raise Fail("unknown_kind", "알 수 없는 민원 종류입니다.") from exc


def backoff(config, attempts: int) -> float:
    return min(config.RETRY_MAX_SECONDS, config.RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1)))


def claim(runtime: Runtime, request_id: int) -> bool:
    """Take the lease on a request; only one process can hold it at a time."""
    now = utcnow()
    with runtime.session() as s:
        res = s.execute(
            update(Request)
            .where(
                Request.id == request_id,
                Request.status.notin_(TERMINAL),
                or_(Request.lease_until.is_(None), Request.lease_until < now),
            )
            .values(
                lease_owner=runtime.instance,
                lease_until=now + timedelta(seconds=runtime.config.JOB_LEASE_SECONDS),
            )
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1


def _release(s, req: Request) -> None:
    req.lease_until = None
    req.lease_owner = None


def process_request(request_id: int) -> str:
    """The job. Returns what happened, for the worker's log."""
    runtime = get_runtime()
    if not claim(runtime, request_id):
        return "busy-or-done"
    while True:
        with runtime.session() as s:
            req = s.get(Request, request_id)
            if req is None or req.status in TERMINAL:
                return "done"
            if req.lease_owner != runtime.instance:
                return "lease-lost"
            versions.household_changed(s, req.household_id)  # a step moves the request's status on
            try:
                steps = pipeline_for(req.kind)
            except Fail as f:
                _fail(s, req, f, runtime)
                return "failed"
            if req.step_index >= len(steps):
                req.status = COMPLETED
                _release(s, req)
                ledger.append_event(s, req.id, "completed", "completed")
                return "completed"
            step = steps[req.step_index]
            ctx = StepContext(runtime, s, req)
            try:
                step.run(ctx)
            except Retry as r:
                s.rollback()
                req = s.get(Request, request_id)
                if r.count:
                    req.attempts += 1
                if req.attempts >= runtime.config.MAX_ATTEMPTS:
                    _fail(s, req, Fail(r.reason, r.message or "여러 번 시도했지만 처리하지 못했습니다."), runtime)
                    return "failed"
                delay = r.after if r.after is not None else backoff(runtime.config, req.attempts)
                req.next_run_at = utcnow() + timedelta(seconds=delay)
                req.last_error = r.reason
                ledger.append_event(
                    s, req.id, "wait:%s:%s" % (step.name, r.reason), "waiting",
                    {"step": step.name, "reason": r.reason, "message": r.message},
                )
                _release(s, req)
                log.info("request waits: %s (attempt %d)", r.reason, req.attempts, extra={"req": req.id})
                return "retry"
            except Fail as f:
                s.rollback()
                req = s.get(Request, request_id)
                _fail(s, req, f, runtime)
                return "failed"
            except Exception:
                # A bug or an outage we did not foresee: keep the request, try later.
                log.exception("step %s crashed", step.name, extra={"req": request_id})
                s.rollback()
                req = s.get(Request, request_id)
                req.attempts += 1
                req.next_run_at = utcnow() + timedelta(seconds=backoff(runtime.config, req.attempts))
                req.last_error = "internal_error"
                _release(s, req)
                if req.attempts >= runtime.config.MAX_ATTEMPTS:
                    _fail(s, req, Fail("internal_error", "처리 중 문제가 생겼습니다. 구청에 문의해 주세요."), runtime)
                return "error"
            req.step_index += 1
            req.status = step.status_after
            req.attempts = 0
            req.last_error = None
            if req.step_index >= len(steps):
                if req.status not in TERMINAL:
                    req.status = COMPLETED
                    ledger.append_event(s, req.id, "completed", "completed")
                _release(s, req)
                return req.status
            req.lease_until = utcnow() + timedelta(seconds=runtime.config.JOB_LEASE_SECONDS)


def _fail(s, req: Request, f: Fail, runtime: Runtime | None = None) -> None:
    req.status = FAILED
    req.last_error = f.reason
    _release(s, req)
    detail = {"reason": f.reason, "message": f.message}
    detail.update(f.detail)
    ledger.append_event(s, req.id, "failed", "failed", detail)
    log.info("request failed: %s", f.reason, extra={"req": req.id})
    hook = PIPELINES[req.kind][1] if req.kind in PIPELINES else None
    if hook and runtime is not None:
        try:
            with s.begin_nested():
                hook(runtime, s, req, f)
        except Exception:  # the failure itself must be recorded whatever the notice does
            log.exception("failure hook failed", extra={"req": req.id})


def _still_waiting(runtime: Runtime, ids: list[int]) -> set[int]:
    """The requests whose last job is still in the queue, not yet taken by a
    worker (one read of the queue, one of the markers). At a deadline the
    backlog outlasts the sweep's grace; without this the sweep would add a job
    per waiting request on every pass. A job taken by a worker (even one killed
    since) or lost with Redis is not in the queue, so its request is queued
    again. Redis unsure: none are."""
    try:
        in_queue = set(get_queue(runtime.redis, QUEUE_REQUESTS).get_job_ids())
        marks = runtime.redis.mget([QUEUED_KEY % rid for rid in ids])
    except Exception:  # noqa: BLE001 - Redis down: enqueue will say so
        return set()
    return {rid for rid, m in zip(ids, marks, strict=True)
            if m and (m.decode() if isinstance(m, bytes) else m) in in_queue}


def sweep(runtime: Runtime, limit: int = 500) -> int:
    """Queue every unfinished request that is due and that no job holds.

    This is what makes the row, not the queue, the source of truth: a job lost
    with Redis, a process killed between commit and enqueue, a worker killed
    mid-job (its lease runs out): all come back here.
    """
    now = utcnow()
    grace = timedelta(seconds=runtime.config.SWEEP_GRACE_SECONDS)
    with runtime.session() as s:
        ids = list(
            s.scalars(
                select(Request.id)
                .where(
                    Request.status.notin_(TERMINAL),
                    Request.next_run_at <= now,
                    or_(Request.lease_until.is_(None), Request.lease_until < now),
                )
                .order_by(Request.next_run_at)
                .limit(limit)
            )
        )
        if not ids:
            return 0
        s.execute(
            update(Request)
            .where(and_(Request.id.in_(ids)))
            .values(next_run_at=now + grace)
            .execution_options(synchronize_session=False)
        )
    queued = 0
    waiting = _still_waiting(runtime, ids)
    for rid in ids:
        if rid not in waiting and steps.start(runtime, rid):
            queued += 1
    if queued:
        log.info("sweep queued %d request(s)", queued)
    return queued
