"""A job worker: ``python -m services.worker`` (RQ on the queues in config).

It runs jobs in its own process (RQ's SimpleWorker): no fork per job, so
database pools and the bridge's circuit breaker live as long as the worker.
A worker killed mid-job loses nothing: the request row keeps its lease
until it runs out, then the sweep queues the request again.

RQ's work loop quits on a Redis error (Redis restarted, failed over, or
briefly unreachable). This process does not: it waits until Redis answers
and works again, so a Redis restart does not leave the queues without
workers. It ends only when asked (SIGTERM, Ctrl-C).
"""

from __future__ import annotations

import logging
import signal
import sys
import time

import redis
from rq import SimpleWorker

from services.bridge.protocol import SchemaUnavailable, schema
from services.core.config import QUEUES, ConfigError, load_config
from services.core.logs import setup_logging
from services.core.runtime import Runtime, set_runtime

log = logging.getLogger(__name__)


class Worker(SimpleWorker):
    """SimpleWorker that remembers it was asked to stop (RQ does not always)."""

    stop_asked = False

    def request_stop(self, signum, frame):
        Worker.stop_asked = True
        super().request_stop(signum, frame)

    def request_force_stop(self, signum, frame):
        Worker.stop_asked = True
        super().request_force_stop(signum, frame)


def _ask_stop(*_args) -> None:
    Worker.stop_asked = True


def _wait_for_redis(runtime: Runtime) -> None:
    """Until Redis answers (or a stop is asked), with our own signal handlers."""
    signal.signal(signal.SIGTERM, _ask_stop)
    signal.signal(signal.SIGINT, _ask_stop)
    delay = 0.2
    while not Worker.stop_asked:
        try:
            if runtime.redis.ping():
                return
        except redis.exceptions.RedisError:
            pass
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print("worker: %s" % exc, file=sys.stderr)
        return 2
    try:
        schema()  # a worker that cannot check back-end messages exits, and is restarted
    except SchemaUnavailable as exc:
        print("worker: %s" % exc, file=sys.stderr)
        return 3
    setup_logging(config.LOG_LEVEL, config.LOG_FORMAT)
    runtime = Runtime(config)
    set_runtime(runtime)
    while True:
        _wait_for_redis(runtime)
        if Worker.stop_asked:
            return 0
        try:
            worker = Worker(list(QUEUES), connection=runtime.redis, worker_ttl=60)
            log.info("worker %s listening on %s", worker.name, ", ".join(QUEUES))
            worker.work(logging_level=config.LOG_LEVEL, with_scheduler=False)
        except redis.exceptions.RedisError as exc:
            log.warning("worker lost Redis (%s)", type(exc).__name__)
        if Worker.stop_asked:
            return 0
        log.warning("worker stopped without being asked (Redis restarted?): working again when Redis answers")
        signal.signal(signal.SIGTERM, _ask_stop)
        signal.signal(signal.SIGINT, _ask_stop)
        time.sleep(1.0)  # not a busy loop if something else keeps stopping it


if __name__ == "__main__":
    sys.exit(main())
