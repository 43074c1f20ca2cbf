"""The periodic sweep: ``python -m services.sweeper``.

Every SWEEP_INTERVAL seconds it queues each unfinished request that is due
and that no job holds (see services.pipeline.sweep). Periodic tasks that
later issues add (feed polling, expiry) register in PERIODIC.
"""

from __future__ import annotations

import logging
import signal
import sys
import time

from services.core.config import ConfigError, load_config
from services.core.logs import setup_logging
from services.core.runtime import Runtime, set_runtime
from services.pipeline import sweep

log = logging.getLogger(__name__)

PERIODIC = [sweep]


def run_once(runtime: Runtime) -> None:
    for task in PERIODIC:
        try:
            task(runtime)
        except Exception:  # one bad tick must not stop the sweep
            log.exception("periodic task %s failed", task.__name__)


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print("sweeper: %s" % exc, file=sys.stderr)
        return 2
    setup_logging(config.LOG_LEVEL, config.LOG_FORMAT)
    runtime = Runtime(config)
    set_runtime(runtime)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    log.info("sweeper running every %.1fs", config.SWEEP_INTERVAL)
    try:
        while not stop:
            run_once(runtime)
            time.sleep(config.SWEEP_INTERVAL)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
