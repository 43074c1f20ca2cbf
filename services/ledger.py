"""The request ledger: create requests and append events, each idempotently.

A request is a database row from its first moment; its events are an
append-only timeline. Creating the same request twice (the same
``client_token``, e.g. OK pressed twice on a confirm screen) returns the first
one; appending the same event ``key`` twice keeps one event.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import pii
from services.core import versions
from services.core.crypto import Crypto
from services.core.errors import AppError
from services.korean import KST
from services.models import TERMINAL, Request, RequestEvent, utcnow

log = logging.getLogger(__name__)

CHANNELS = ("tv", "sms")
DELIVERY_METHODS = ("fax", "email", "none")


class LedgerError(AppError, ValueError):
    """A request that cannot be recorded as asked; the message is for people."""


def new_receipt_no(now: datetime | None = None) -> str:
    """Receipt numbers: the KST date and six random digits (not sequential)."""
    now = (now or utcnow()).astimezone(KST)
    return "%s-%06d" % (now.strftime("%Y%m%d"), secrets.randbelow(1_000_000))


def mask_address(method: str, address: str | None) -> str | None:
    if not address:
        return None
    if method == "email":
        return pii.mask_email(address)
    if method == "fax":
        return pii.mask_phone(address)
    return None


def create_request(
    session: Session,
    crypto: Crypto,
    *,
    client_token: str,
    kind: str,
    household_id: int,
    resident_id: int | None,
    channel: str,
    delivery_method: str = "none",
    delivery_address: str | None = None,
    options: dict | None = None,
    grace_seconds: float = 30.0,
) -> tuple[Request, bool]:
    """Create a request once per ``client_token``; returns (request, created).

    The row's ``next_run_at`` is set a grace period ahead: if no job has
    claimed it by then (the process died between commit and enqueue), the
    sweep queues it.
    """
    if channel not in CHANNELS:
        raise LedgerError("unknown channel")
    if delivery_method not in DELIVERY_METHODS:
        raise LedgerError("unknown delivery method")
    if not client_token or len(client_token) > 64:
        raise LedgerError("client_token must be 1-64 characters")
    existing = session.scalar(select(Request).where(Request.client_token == client_token))
    if existing is not None:
        return existing, False
    now = utcnow()
    for _ in range(5):
        req = Request(
            receipt_no=new_receipt_no(now),
            client_token=client_token,
            kind=kind,
            household_id=household_id,
            resident_id=resident_id,
            channel=channel,
            delivery_method=delivery_method,
            delivery_address_enc=crypto.encrypt(delivery_address) if delivery_address else None,
            delivery_address_masked=mask_address(delivery_method, delivery_address),
            options=dict(options or {}),
            status="received",
            next_run_at=now + timedelta(seconds=grace_seconds),
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(req)
                session.flush()
        except IntegrityError:
            existing = session.scalar(select(Request).where(Request.client_token == client_token))
            if existing is not None:
                return existing, False
            continue  # receipt number collision: draw again
        append_event(session, req.id, "received", "received", {"channel": channel})
        log.info("request created", extra={"req": req.id})
        return req, True
    raise LedgerError("could not allocate a receipt number")


def append_event(
    session: Session, request_id: int, key: str, kind: str, detail: dict | None = None
) -> bool:
    """Append an event once per (request, key). Returns True if it was new
    (and counts a change to the household's screens)."""
    exists = session.scalar(
        select(RequestEvent.id).where(
            RequestEvent.request_id == request_id, RequestEvent.key == key
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                RequestEvent(request_id=request_id, key=key, kind=kind, detail=dict(detail or {}))
            )
            session.flush()
    except IntegrityError:
        return False
    req = session.get(Request, request_id)
    versions.household_changed(session, req.household_id if req is not None else None)
    return True


def get_request(session: Session, request_id: int) -> Request | None:
    return session.get(Request, request_id)


def get_by_receipt(session: Session, receipt_no: str, household_id: int | None = None):
    q = select(Request).where(Request.receipt_no == receipt_no)
    if household_id is not None:
        q = q.where(Request.household_id == household_id)
    return session.scalar(q)


def list_requests(session: Session, household_id: int, limit: int = 50) -> list[Request]:
    return list(
        session.scalars(
            select(Request)
            .where(Request.household_id == household_id)
            .order_by(Request.created_at.desc(), Request.id.desc())
            .limit(limit)
        )
    )


def _summary_columns():
    return (Request.id, Request.receipt_no, Request.kind,
            Request.options["certificate_type"].as_string().label("certificate_type"),
            Request.status, Request.created_at)


# The screens' statements are built once and executed with parameters: a
# statement built per request costs SQLAlchemy its cache key every time (more
# than the query itself).
_PAGE = (select(*_summary_columns(), func.count().over().label("total"))
         .where(Request.household_id == bindparam("household_id"))
         .order_by(Request.created_at.desc(), Request.id.desc())
         .limit(bindparam("limit")).offset(bindparam("offset")))
_COUNT = select(func.count()).select_from(Request).where(Request.household_id == bindparam("household_id"))


def request_page(session: Session, household_id: int, page: int, per_page: int,
                 limit: int | None = None) -> tuple[list, int, int]:
    """One page of a household's requests, newest first, with only what a list
    shows: rows of ``(id, receipt_no, kind, certificate_type, status,
    created_at, total)``. Returns ``(rows, page, count)``: the page asked for
    brought within range, and how many requests there are (at most
    ``limit``). One query (the count rides along as a window function), two
    when the page asked for is past the end. ``session`` may be a plain
    connection."""

    def fetch(n):
        return session.execute(_PAGE, {"household_id": household_id, "limit": per_page,
                                       "offset": (n - 1) * per_page}).all()

    page = max(1, page)
    rows = fetch(page)
    if rows:
        count = rows[0].total
    else:
        count = session.scalar(_COUNT, {"household_id": household_id}) if page > 1 else 0
    if limit is not None:
        count = min(count, limit)
    pages = max(1, -(-count // per_page))
    if page > pages:
        page = pages
        rows = fetch(page) if count else []
    return rows[:max(0, count - (page - 1) * per_page)], page, count


def request_summary(session: Session, receipt_no: str, household_id: int):
    """What a request's own screen shows, or None: ``(id, receipt_no, kind,
    certificate_type, status, created_at, delivery_method,
    delivery_address_masked)``."""
    return session.execute(
        select(*_summary_columns(), Request.delivery_method, Request.delivery_address_masked)
        .where(Request.receipt_no == receipt_no, Request.household_id == household_id)
    ).first()


class TimelineEvent(NamedTuple):
    kind: str
    detail: dict
    created_at: datetime
    id: int = 0


def version_of(status: str, events) -> str:
    """What :func:`request_version` answers, from a screen's own rows."""
    return "%s.%d.%d" % (status, len(events), max((e.id for e in events), default=0))


_SCREEN = (select(*_summary_columns(), Request.delivery_method, Request.delivery_address_masked,
                  Request.resident_id,
                  RequestEvent.kind.label("event_kind"), RequestEvent.detail.label("event_detail"),
                  RequestEvent.created_at.label("event_at"), RequestEvent.id.label("event_id"))
           .outerjoin(RequestEvent, RequestEvent.request_id == Request.id)
           .where(Request.receipt_no == bindparam("receipt_no"),
                  Request.household_id == bindparam("household_id"))
           .order_by(RequestEvent.id))


def request_with_timeline(session: Session, receipt_no: str, household_id: int):
    """A request's own screen in one query: ``(summary, events)``: the
    summary as :func:`request_summary` gives it and ``resident_id``, the
    events as :class:`TimelineEvent` oldest first; or ``(None, [])``.
    ``session`` may be a plain connection."""
    rows = session.execute(_SCREEN, {"receipt_no": receipt_no, "household_id": household_id}).all()
    if not rows:
        return None, []
    return rows[0], [TimelineEvent(r.event_kind, r.event_detail, r.event_at, r.event_id)
                     for r in rows if r.event_kind is not None]


def timeline_rows(session: Session, request_id: int) -> list:
    """A request's events as its timeline shows them: ``(kind, detail, created_at)``, oldest first."""
    return session.execute(
        select(RequestEvent.kind, RequestEvent.detail, RequestEvent.created_at)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.id)
    ).all()


def timeline(session: Session, request_id: int) -> list[RequestEvent]:
    return list(
        session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request_id)
            .order_by(RequestEvent.id)
        )
    )


def request_version(session: Session, receipt_no: str, household_id: int) -> dict | None:
    """What a request's screen needs to know whether it changed, cheaply and
    with nothing personal: ``{"version": "<status>.<events>.<last event id>",
    "final": bool}``, or None when the household has no such request."""
    row = session.execute(
        select(Request.status, func.count(RequestEvent.id), func.max(RequestEvent.id))
        .outerjoin(RequestEvent, RequestEvent.request_id == Request.id)
        .where(Request.receipt_no == receipt_no, Request.household_id == household_id)
        .group_by(Request.id, Request.status)
    ).first()
    if row is None:
        return None
    status, count, last = row
    return {"version": "%s.%d.%d" % (status, count or 0, last or 0), "final": status in TERMINAL}


def cancel(session: Session, request: Request, reason: str = "cancelled by resident") -> bool:
    if request.status in TERMINAL:
        return False
    request.status = "cancelled"
    request.lease_until = None
    versions.household_changed(session, request.household_id)
    append_event(session, request.id, "cancelled", "cancelled", {"reason": reason})
    return True


# -- one unit of work each, for the TV screens (which open no sessions of their own) ----

def find_by_receipt(runtime, receipt_no: str, household_id: int) -> Request | None:
    """The household's request with this receipt number (detached), or None."""
    with runtime.session() as s:
        return get_by_receipt(s, receipt_no, household_id=household_id)


def receipt_with_timeline(runtime, receipt_no: str, household_id: int) -> tuple[Request | None, list]:
    """The household's request and its timeline rows (:func:`timeline_rows`),
    or ``(None, [])``."""
    with runtime.session() as s:
        req = get_by_receipt(s, receipt_no, household_id=household_id)
        if req is None:
            return None, []
        return req, timeline_rows(s, req.id)


def household_request_page(runtime, household_id: int, page: int, per_page: int,
                           limit: int | None = None) -> tuple[list, int, int]:
    """:func:`request_page` on a plain connection of its own."""
    with runtime.connect() as conn:
        return request_page(conn, household_id, page, per_page, limit=limit)


def request_live(runtime, receipt_no: str, household_id: int) -> dict | None:
    """:func:`request_version` in its own unit of work."""
    with runtime.session() as s:
        return request_version(s, receipt_no, household_id)


def cancel_by_household(runtime, receipt_no: str, household_id: int,
                        reason: str = "cancelled on the TV") -> str:
    """The household cancels its request (the TV's 신청 취소), as SMS 취소 does:
    :func:`cancel`, whose fax job the fax worker then cancels at the fax server
    (HylaFAX ``JKILL``, the spool file removed), freeing the line. Returns
    ``"cancelled"``, ``"already"`` (a second OK) or ``"final"`` (it ended
    first); raises :class:`LedgerError` for no such request."""
    with runtime.session() as s:
        req = s.scalar(select(Request).where(Request.receipt_no == receipt_no,
                                             Request.household_id == household_id).with_for_update())
        if req is None:
            raise LedgerError("이 TV에서 신청한 민원이 아닙니다.")
        if cancel(s, req, reason=reason):
            return "cancelled"
        return "already" if req.status == "cancelled" else "final"


def request_screen(runtime, receipt_no: str, household_id: int):
    """:func:`request_with_timeline` on a plain connection of its own."""
    with runtime.connect() as conn:
        return request_with_timeline(conn, receipt_no, household_id)
