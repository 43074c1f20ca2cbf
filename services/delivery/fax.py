"""Fax delivery through fax_bridge: the host side.

- Jobs live in the database (``DatabaseJobStore``, services.delivery.fax_store),
  with the recipient number encrypted: job workers queue them, the fax worker
  sends them, the web process takes the HTTP fax API's callbacks, each on any
  host.
- The transport comes from the fax settings in ``Config`` (``FAX_TRANSPORT``:
  ``spool``, ``hylafax``, ``email`` or ``http``), built once per process as
  ``runtime.fax_transport``. Only the fax worker sends; a process that only
  queues never builds it.
- ``python -m services.fax_worker`` runs the dispatcher; its events become
  the request's timeline ("2/3 페이지 전송 중").
"""

from __future__ import annotations

from urllib.parse import urlparse

from sqlalchemy import or_, select

from fax_bridge import (
    EmailGatewayTransport,
    FaxDispatcher,
    FaxDocument,
    FaxJob,
    FaxNumber,
    FaxNumberPolicy,
    FaxTransport,
    HttpFaxApiTransport,
    HylaFaxTransport,
    JobState,
    RetryPolicy,
    SpoolTransport,
    TransportError,
)
from services.delivery.fax_store import DatabaseJobStore
from services.models import FaxJobRow, Request

__all__ = ["dispatcher_for", "enqueue", "policy", "retry_policy", "store_for", "transport_for"]


def store_for(runtime) -> DatabaseJobStore:
    """The fax jobs, in the runtime's database."""
    return DatabaseJobStore(runtime.config.DATABASE_URL, runtime.crypto)


def transport_for(config) -> FaxTransport:
    """The transport ``config`` chooses (use ``runtime.fax_transport``: built once)."""
    kind = config.FAX_TRANSPORT
    if kind == "spool":
        return SpoolTransport(config.FAX_SPOOL_DIR)
    if kind == "hylafax":
        return HylaFaxTransport(config.FAX_HYLAFAX_HOST, config.FAX_HYLAFAX_PORT,
                                user=config.FAX_HYLAFAX_USER, password=config.FAX_HYLAFAX_PASSWORD,
                                kill_after=config.FAX_RETRY_KILL_AFTER)
    if kind == "email":
        u = urlparse(config.SMTP_URL or "smtp://127.0.0.1:25")
        return EmailGatewayTransport(u.hostname or "127.0.0.1", u.port or 25,
                                     domain=config.FAX_EMAIL_DOMAIN,
                                     sender=config.MAIL_FROM)
    if kind == "http":
        return HttpFaxApiTransport(config.FAX_API_URL, config.FAX_API_KEY,
                                   callback_url=config.FAX_CALLBACK_URL,
                                   callback_secret=config.FAX_CALLBACK_SECRET.encode())
    raise ValueError("FAX_TRANSPORT must be spool, hylafax, email or http")


def retry_policy(config) -> RetryPolicy:
    return RetryPolicy(
        busy_delay=config.FAX_RETRY_BUSY_DELAY, no_answer_delay=config.FAX_RETRY_NO_ANSWER_DELAY,
        failed_delay=config.FAX_RETRY_FAILED_DELAY, unavailable_delay=config.FAX_RETRY_UNAVAILABLE_DELAY,
        max_tries=config.FAX_RETRY_MAX_TRIES, max_dials=config.FAX_RETRY_MAX_DIALS,
        kill_after=config.FAX_RETRY_KILL_AFTER)


def policy() -> FaxNumberPolicy:
    return FaxNumberPolicy()


def dispatcher_for(runtime, on_event=None) -> FaxDispatcher:
    """The dispatcher that sends (the fax worker) or takes callbacks (the web process)."""
    return _dispatcher(runtime, runtime.fax_transport, on_event=on_event)


class _SentElsewhere(FaxTransport):
    """The transport of a process that only queues faxes: the fax worker sends them."""

    name = "queue-only"

    def _submit(self, request):
        raise TransportError("faxes are sent by the fax worker", transient=True)

    def _status(self, provider_id):
        raise TransportError("faxes are followed by the fax worker", transient=True)

    def _cancel(self, provider_id):
        raise TransportError("calls are cancelled by the fax worker", transient=True)


def enqueue(runtime, job_id: str, owner: str, number: str | FaxNumber, document: FaxDocument) -> FaxJob:
    """Queue a fax job once (``job_id``: the receipt number) for the fax worker to send."""
    return _dispatcher(runtime, _SentElsewhere()).enqueue(job_id, owner, number, document)


OPEN_STATES = (JobState.QUEUED.value, JobState.SENDING.value, JobState.RETRY_WAIT.value)


def cancel_for_cancelled_requests(runtime, dispatcher: FaxDispatcher) -> list[str]:
    """Every cancellation of a request (the TV, SMS 취소, wherever ``ledger.cancel``
    ran) reaches its fax job: the fax worker cancels it at the transport too
    (HylaFAX: ``JKILL``, the spool file removed), which frees the line. So
    does a request switched to email (``certificates.requests.switch``)."""
    with runtime.session() as s:
        job_ids = list(s.scalars(
            select(FaxJobRow.job_id).join(Request, Request.receipt_no == FaxJobRow.job_id)
            .where(or_(Request.status == "cancelled", Request.delivery_method != "fax"),
                   FaxJobRow.state.in_(OPEN_STATES))))
    for job_id in job_ids:
        dispatcher.cancel(job_id)
    return job_ids


def _dispatcher(runtime, transport: FaxTransport, *, on_event=None) -> FaxDispatcher:
    config = runtime.config
    return FaxDispatcher(store_for(runtime), transport, lines=config.FAX_LINES,
                         retry=retry_policy(config), on_event=on_event, policy=policy(),
                         poll_interval=config.FAX_POLL)
