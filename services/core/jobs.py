"""The job queue: RQ on Redis.

Why RQ: jobs are plain functions that take ids, queues are names in Redis,
and workers need nothing but Redis; it is small enough to read in an
afternoon. The database row stays the source of truth: a job only says
"look at request N now", so a lost or doubled job costs nothing (the
sweep re-queues lost ones; a lease on the row turns doubled ones away).
"""

from __future__ import annotations

import logging

from rq import Queue

from services.core.config import QUEUES

log = logging.getLogger(__name__)

JOB_TIMEOUT = 600


def get_queue(redis, name: str) -> Queue:
    if name not in QUEUES:
        raise ValueError("unknown queue %r" % name)
    return Queue(name, connection=redis)


def enqueue(redis, queue_name: str, func: str, *args, **kwargs) -> str | None:
    """Queue ``func`` (a dotted path) with id arguments; the job's id. None,
    and a log line, if Redis is unreachable: the sweep will queue the work later."""
    try:
        job = get_queue(redis, queue_name).enqueue(
            func, *args, job_timeout=JOB_TIMEOUT, result_ttl=300, failure_ttl=86400, **kwargs
        )
        return job.id
    except Exception as exc:  # redis down: the row is safe, the sweep will retry
        log.warning("enqueue failed (%s); the sweep will queue it", type(exc).__name__)
        return None

