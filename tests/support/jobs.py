"""Queued jobs run in the test's own process: what a worker would do next."""

from __future__ import annotations

from rq import SimpleWorker

from services.core.config import QUEUE_DEFAULT
from services.core.jobs import get_queue


def queued(runtime, name: str = QUEUE_DEFAULT) -> list:
    """The jobs waiting on a queue: ``[(function name, args)]``."""
    return [(j.func_name, j.args) for j in get_queue(runtime.redis, name).get_jobs()]


def run_queued(runtime, name: str = QUEUE_DEFAULT) -> None:
    """Run the jobs waiting now on a queue (the default one: pairing codes' SMS)
    as a worker would: RQ in burst mode, in this process, whose ``get_runtime()``
    is the test's runtime."""
    SimpleWorker([get_queue(runtime.redis, name)], connection=runtime.redis).work(burst=True, with_scheduler=False)
