"""``python -m services.fax_worker``: runs the fax dispatcher (fax_bridge)
and turns its events into the request timeline.

Fax jobs come from the database, queued by job workers on any host. With the
embedded spool transport and ``FAX_SANDBOX`` on (the default outside
production), it also plays the fax line (services.delivery.fax_sandbox) in
``FAX_SPOOL_DIR``, on its own host: the one folder that is not shared.
"""

from __future__ import annotations

import logging
import signal
import sys
import time

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from services import ledger, steps
from services.core.config import ConfigError, load_config
from services.core.logs import setup_logging
from services.core.runtime import Runtime, set_runtime
from services.delivery import fax
from services.delivery.fax_sandbox import SpoolLine
from services.models import Request

log = logging.getLogger(__name__)


def on_event(runtime, event) -> None:
    with runtime.session() as s:
        req = s.scalar(select(Request).where(Request.receipt_no == event.job_id))
        if req is None:
            return
        if event.kind == "page":
            ledger.append_event(s, req.id, "fax:%d:page:%d" % (event.attempt, event.page), "delivering",
                                {"page": event.page, "pages": event.pages, "message": event.message_ko})
        elif event.kind == "dialing":
            ledger.append_event(s, req.id, "fax:%d:dialing" % event.attempt, "delivering",
                                {"page": 0, "pages": event.pages, "message": event.message_ko})
        elif event.kind == "retry":
            ledger.append_event(s, req.id, "fax:%d:retry" % event.attempt, "waiting",
                                {"reason": "fax_retry", "message": event.message_ko})
        elif event.kind == "cancelled":  # a cancelled request's, or one switched to email
            ledger.append_event(s, req.id, "fax:cancelled", "fax_stopped", {"message": event.message_ko})
        rid = req.id
    if event.kind in ("delivered", "handed_off", "failed", "cancelled"):
        steps.start(runtime, rid)  # the await step reads the outcome now


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print("fax worker: %s" % exc, file=sys.stderr)
        return 2
    setup_logging(config.LOG_LEVEL, config.LOG_FORMAT)
    runtime = Runtime(config)
    set_runtime(runtime)

    dispatcher = fax.dispatcher_for(runtime, on_event=lambda e: on_event(runtime, e))
    sandbox = None
    if config.FAX_TRANSPORT == "spool" and config.FAX_SANDBOX:
        sandbox = SpoolLine(config.FAX_SPOOL_DIR, page_seconds=config.FAX_SANDBOX_PAGE_SECONDS)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    log.info("fax worker running (%s)", config.FAX_TRANSPORT)
    try:
        while not stop:
            try:
                fax.cancel_for_cancelled_requests(runtime, dispatcher)  # JKILL for every cancellation
                dispatcher.step()
            except SQLAlchemyError as exc:  # the database restarting: the jobs wait there
                log.warning("fax worker: database unavailable (%s)", type(exc).__name__)
                time.sleep(1.0)
            if sandbox:
                sandbox.tick()
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
