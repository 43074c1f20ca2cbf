"""A job worker: ``python -m services.worker`` (RQ on the queues in config).

It runs jobs in its own process (RQ's SimpleWorker): no fork per job, so
database pools and the bridge's circuit breaker live as long as the worker.
A worker killed mid-job loses nothing: the request row keeps its lease
until it runs out, then the sweep queues the request again.
"""

from __future__ import annotations

import logging
import sys

from rq import SimpleWorker

from services.core.config import QUEUES, ConfigError, load_config
from services.core.logs import setup_logging
from services.core.runtime import Runtime, set_runtime

log = logging.getLogger(__name__)


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print("worker: %s" % exc, file=sys.stderr)
        return 2
    setup_logging(config.LOG_LEVEL, config.LOG_FORMAT)
    runtime = Runtime(config)
    set_runtime(runtime)
    worker = SimpleWorker(list(QUEUES), connection=runtime.redis, worker_ttl=60)
    log.info("worker %s listening on %s", worker.name, ", ".join(QUEUES))
    worker.work(logging_level=config.LOG_LEVEL, with_scheduler=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
