"""Paying a tax bill exactly once.

1. ``prepare`` (the confirm screen is shown): the bill's one live payment
   order, with its order id and idempotency key, created or reused. Two boxes
   of a household looking at the same bill share it (``active_key``).
2. ``pay_card`` (OK pressed): a Redis lock (SET NX) per order; a second,
   third or concurrent press waits for and replays the first result. Before
   any charge the back end is asked again: a bill paid elsewhere, or whose
   amount changed since the screen was shown, is refused. Then the provider
   charges once (its idempotency key is the order's); a lost answer leaves
   the outcome unknown, resolved later by looking the order up, never by
   paying again.
3. A paid (or unknown, or waiting virtual-account) payment becomes a
   ``tax_payment`` request: its pipeline tells the back end once, issues the
   receipt and delivers it (services.taxes.pipeline).

Card data passes through ``pay_card`` in memory and goes to the provider
only: it is never stored, logged or shown again.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from services import ledger, steps
from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.core import versions
from services.core.errors import AppError
from services.delivery import email as email_delivery
from services.models import Household, Resident, utcnow
from services.payments import Card, Declined, NotCharged, OutcomeUnknown, setting
from services.pii import mask_email, mask_phone
from services.taxes import bills as bills_mod
from services.taxes.models import (
    ACTIVE,
    DECLINED,
    NOT_CHARGED,
    PAID,
    PROCESSING,
    READY,
    REFUSED,
    UNKNOWN,
    WAITING,
    TaxPayment,
)

log = logging.getLogger(__name__)

LOCK_SECONDS = 90
WAIT_SECONDS = 20.0
CHECKING = "확인 중이며 나의 민원에 표시됩니다."
NOTHING_CHARGED = "요금은 청구되지 않았습니다."
METHODS = ("card", "phone", "virtual_account")


class PaymentFlowError(AppError):
    status_code = 409

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message, self.fields = message, fields or {}


@dataclass(frozen=True)
class Outcome:
    """What the resident is shown after pressing OK."""

    order_id: str
    status: str
    reason: str | None
    message: str
    receipt_no: str | None
    epay_no: str
    total: int
    tax_item: str

    @property
    def final(self) -> bool:
        return self.status not in (READY, PROCESSING)


def order_name(p: TaxPayment) -> str:
    return "%d년 %s (%s)" % (p.tax_year, p.tax_item, bills_mod.group_epay(p.epay_no))


def outcome(session, p: TaxPayment) -> Outcome:
    receipt = None
    if p.request_id:
        req = ledger.get_request(session, p.request_id)
        receipt = req.receipt_no if req else None
    return Outcome(p.order_id, p.status, p.reason, p.message or "", receipt, p.epay_no, p.total, p.tax_item)


def get_payment(session, order_id: str, household_id: int) -> TaxPayment | None:
    return session.scalar(select(TaxPayment).where(TaxPayment.order_id == order_id,
                                                   TaxPayment.household_id == household_id))


_PAYER_EMAIL = select(Resident.email_enc).where(Resident.ref == bindparam("payer_ref"),
                                               Resident.household_id == bindparam("household_id"))


def payer_email(runtime, household_id: int, payer_ref: str) -> str | None:
    """The registered email of a bill's payer in this household, if any (one
    read on a plain connection: the bill and card screens ask)."""
    with runtime.connect() as conn:
        enc = conn.scalar(_PAYER_EMAIL, {"payer_ref": payer_ref, "household_id": household_id})
    return runtime.crypto.decrypt(enc) if enc else None


def epay_of(runtime, order_id: str, household_id: int) -> str | None:
    """The bill an order of this household pays, or None."""
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        return p.epay_no if p is not None else None


# -- paying on the phone: a short-lived token in a QR code names the order -----------

PHONE_TTL = 900


def phone_token(runtime, order_id: str, household_id: int) -> str:
    token = secrets.token_urlsafe(16)
    runtime.redis.set("taxphone:%s" % token, json.dumps([order_id, household_id]), ex=PHONE_TTL)
    return token


def phone_order(runtime, token: str) -> dict | None:
    """What the phone page shows of the order its token names; None when the
    token has run out or the order is gone."""
    raw = runtime.redis.get("taxphone:%s" % token)
    if not raw:
        return None
    order_id, household_id = json.loads(raw)
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if p is None:
            return None
        return dict(order_id=order_id, household_id=household_id, tax_item=p.tax_item, subject=p.subject,
                    total=p.total, status=p.status, epay=bills_mod.group_epay(p.epay_no), year=p.tax_year)


def _changed(p: TaxPayment) -> None:
    """The order changed what the household's screens show (its card screen,
    its result, the bills): count it when the session commits."""
    session = object_session(p)
    if session is not None:
        versions.household_changed(session, p.household_id)


def _provider_name(runtime) -> str:
    return setting(runtime.config, "PAYMENT_PROVIDER", "sandbox")


def prepare(session, runtime, household_id: int, bill: bills_mod.Bill, method: str,
            delivery: dict | None = None) -> TaxPayment:
    """The bill's live payment order (created once; fixed when the confirm screen shows)."""
    if method not in METHODS:
        raise PaymentFlowError("알 수 없는 납부 방법입니다.")
    if bill.paid:
        raise PaymentFlowError("이미 납부된 고지서입니다.")
    for _ in range(3):
        p = session.scalar(select(TaxPayment).where(TaxPayment.active_key == bill.epay_no))
        if p is None:
            order_id = "tax-" + secrets.token_hex(10)
            p = TaxPayment(order_id=order_id, idempotency_key=order_id + ":charge", active_key=bill.epay_no,
                           household_id=household_id, epay_no=bill.epay_no, bill_ref=bill.ref,
                           payer_ref=bill.payer_ref, tax_item=bill.tax_item, subject=bill.subject,
                           tax_year=bill.tax_year, due_date=bill.due_date, amount=bill.amount,
                           late_charge=bill.late_charge, total=bill.total, method=method,
                           provider=_provider_name(runtime), status=READY)
            if delivery is not None:  # in the row as made (a new order is no change to what screens show)
                set_delivery(runtime, p, delivery.get("method", "none"), delivery.get("address"))
            try:
                with session.begin_nested():
                    session.add(p)
                    session.flush()
                # A new order changes no screen: the one that made it shows it already.
            except IntegrityError:
                continue  # another box made it a moment ago: use theirs
        if p.household_id != household_id:
            raise PaymentFlowError("이 세대의 고지서가 아닙니다.")
        if p.status == READY:
            # Nothing has been sent yet: the order shows what this screen shows.
            p.method = method
            p.amount, p.late_charge, p.total = bill.amount, bill.late_charge, bill.total
            if delivery is not None:
                set_delivery(runtime, p, delivery.get("method", "none"), delivery.get("address"))
            if session.is_modified(p):
                _changed(p)
            session.flush()
        return p
    raise PaymentFlowError("잠시 뒤에 다시 해 주세요.")


def _delivery_is(runtime, have_method: str | None, have_enc: str | None, method: str,
                 address: str | None) -> bool:
    """An order whose receipt goes to ``have_method``/``have_enc`` already says
    what :func:`set_delivery` would write for ``method``/``address``."""
    if method in ("email", "fax") and address and have_method == method and have_enc:
        try:
            return runtime.crypto.decrypt(have_enc) == address
        except ValueError:
            return False
    to_none = not ((method == "email" and address and email_delivery.valid_address(address))
                   or (method == "fax" and address))
    return to_none and have_method == "none" and have_enc is None


def set_delivery(runtime, p: TaxPayment, method: str, address: str | None) -> None:
    """Where the receipt goes; an order that already says so is left as it is
    (a box showing its confirm screen again writes nothing)."""
    if _delivery_is(runtime, p.delivery_method, p.delivery_address_enc, method, address):
        return
    if method == "email" and address and email_delivery.valid_address(address):
        p.delivery_method, p.delivery_masked = "email", mask_email(address)
        p.delivery_address_enc = runtime.crypto.encrypt(address)
    elif method == "fax" and address:
        p.delivery_method, p.delivery_masked = "fax", mask_phone(address)
        p.delivery_address_enc = runtime.crypto.encrypt(address)
    else:
        p.delivery_method, p.delivery_masked, p.delivery_address_enc = "none", None, None
    if p.id is not None:  # a new order changes no screen (see prepare)
        _changed(p)


# -- the lock -----------------------------------------------------------------

def _lock_key(order_id: str) -> str:
    return "taxpay:lock:%s" % order_id


def _acquire(runtime, order_id: str) -> str | None:
    token = secrets.token_hex(8)
    return token if runtime.redis.set(_lock_key(order_id), token, nx=True, ex=LOCK_SECONDS) else None


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


def _release(runtime, order_id: str, token: str) -> None:
    runtime.redis.eval(_RELEASE, 1, _lock_key(order_id), token)


def _wait_for_result(runtime, order_id: str, household_id: int, wait: float) -> Outcome | None:
    deadline = time.monotonic() + wait
    while True:
        with runtime.session() as s:
            p = get_payment(s, order_id, household_id)
            if p is None:
                return None
            if p.status not in (READY, PROCESSING) or time.monotonic() > deadline:
                return outcome(s, p)
        time.sleep(0.2)


# -- paying -----------------------------------------------------------------

def pay_card(runtime, *, order_id: str, household_id: int, card: Card | None, shown_total: int | None,
             wait: float = WAIT_SECONDS) -> Outcome:
    """Press OK. Exactly one charge per order however often, from however many boxes."""
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if p is None:
            raise PaymentFlowError("납부 주문을 찾을 수 없습니다. 처음부터 다시 해 주세요.")
        interrupted = p.status == PROCESSING
        if p.status not in (READY, PROCESSING):
            return outcome(s, p)  # a later press: the first result, replayed
    if interrupted:
        return _replay(runtime, order_id, household_id, wait)
    if card is None:
        raise PaymentFlowError("카드 정보를 입력해 주세요.")
    problems = card.problems()
    if problems:
        raise PaymentFlowError("카드 정보를 다시 확인해 주세요.", problems)
    token = _acquire(runtime, order_id)
    if token is None:
        return _wait_for_result(runtime, order_id, household_id, wait)
    try:
        return _pay_locked(runtime, order_id, household_id, card, shown_total)
    finally:
        _release(runtime, order_id, token)


def _replay(runtime, order_id, household_id, wait):
    """A press while another is charging: wait for it. A processing order with
    no lock holder was interrupted mid-charge: its outcome is unknown."""
    token = _acquire(runtime, order_id)
    if token is None:
        return _wait_for_result(runtime, order_id, household_id, wait)
    try:
        with runtime.session() as s:
            q = get_payment(s, order_id, household_id)
            if q.status == PROCESSING:
                _unknown(s, runtime, q, "interrupted")
                rid = q.request_id
            else:
                rid = None
            result = outcome(s, q)
        if rid:
            steps.start(runtime, rid)
        return result
    finally:
        _release(runtime, order_id, token)


def _pay_locked(runtime, order_id, household_id, card: Card, shown_total) -> Outcome:
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if p.status != READY:  # someone finished while we waited for the lock
            return outcome(s, p)
        if shown_total is not None and shown_total != p.total:
            _close(p, REFUSED, "amount_changed", "화면에 보이던 금액과 납부할 금액이 다릅니다. " + NOTHING_CHARGED)
            return outcome(s, p)
        household_code = s.get(Household, household_id).code
        p.status = PROCESSING
        _changed(p)
    # Before any charge: is the bill still unpaid, for the same amount?
    try:
        bill = bills_mod.find([bills_mod.Bill(**b) for b in runtime.bridge.tax_bills(household_code)],
                              _epay(runtime, order_id, household_id))
    except (BackendUnavailable, BackendProtocolError, BackendRefused):
        return _back_to_ready(runtime, order_id, household_id, "backend_unavailable",
                              "구청 시스템에 연결할 수 없어 납부하지 않았습니다. " + NOTHING_CHARGED)
    if bill is None or bill.paid or bill.total != p.total:
        bills_mod.forget(runtime, household_code)  # the lists' copy is out of date
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if bill is None or bill.paid:
            _close(p, REFUSED, "already_paid", "이미 납부된 고지서입니다. " + NOTHING_CHARGED)
            return outcome(s, p)
        if bill.total != p.total:
            _close(p, REFUSED, "amount_changed",
                   "구청에서 납부할 금액이 바뀌었습니다(%s). 고지서를 다시 확인해 주세요. %s" % (
                       bills_mod.won(bill.total), NOTHING_CHARGED))
            return outcome(s, p)
        amount, name, key = p.total, order_name(p), p.idempotency_key
    provider = runtime.payments
    try:
        order = provider.charge_card(order_id=order_id, amount=amount, order_name=name, card=card,
                                     idempotency_key=key)
    except Declined as d:
        with runtime.session() as s:
            p = get_payment(s, order_id, household_id)
            _close(p, DECLINED, d.code, "%s %s" % (d.message, NOTHING_CHARGED))
            return outcome(s, p)
    except NotCharged as n:
        with runtime.session() as s:
            p = get_payment(s, order_id, household_id)
            _close(p, NOT_CHARGED, n.code, "%s %s" % (n.message.replace(" " + NOTHING_CHARGED, ""),
                                                       NOTHING_CHARGED))
            return outcome(s, p)
    except OutcomeUnknown as u:
        with runtime.session() as s:
            p = get_payment(s, order_id, household_id)
            _unknown(s, runtime, p, u.code)
            rid, result = p.request_id, outcome(s, p)
        steps.start(runtime, rid)
        return result
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        mark_paid(p, order.payment_key)
        _open_request(s, runtime, p)
        rid = p.request_id
        result = outcome(s, p)
    bills_mod.forget(runtime, household_code)
    steps.start(runtime, rid)
    log.info("tax payment charged", extra={"order": order_id})
    return result


def _epay(runtime, order_id, household_id) -> str:
    with runtime.session() as s:
        return get_payment(s, order_id, household_id).epay_no


def _back_to_ready(runtime, order_id, household_id, reason, message) -> Outcome:
    """Nothing was sent to the provider: the order may be tried again."""
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        p.status, p.reason = READY, reason
        _changed(p)
        result = outcome(s, p)
    return Outcome(result.order_id, NOT_CHARGED, reason, message, None, result.epay_no, result.total,
                   result.tax_item)


def _close(p: TaxPayment, status: str, reason: str, message: str) -> None:
    """An order that took no money: the bill is free for a new order."""
    p.status, p.reason, p.message, p.active_key = status, reason, message, None
    _changed(p)


def mark_paid(p: TaxPayment, payment_key: str | None) -> None:
    p.status, p.reason = PAID, None
    p.payment_key = payment_key or p.payment_key
    p.approved_at = p.approved_at or utcnow()
    p.message = "%s %s을 납부했습니다." % (p.tax_item, bills_mod.won(p.total))
    _changed(p)


def _unknown(s, runtime, p: TaxPayment, reason: str) -> None:
    p.status, p.reason = UNKNOWN, reason
    _changed(p)
    p.message = "결제 결과를 " + CHECKING + " 다시 납부하지 마세요."
    _open_request(s, runtime, p)


def _open_request(s, runtime, p: TaxPayment) -> None:
    """The 나의 민원 entry (kind tax_payment) that carries the payment to its end."""
    if p.request_id:
        return
    payer = s.scalar(select(Resident).where(Resident.ref == p.payer_ref))
    address = runtime.crypto.decrypt(p.delivery_address_enc) if p.delivery_address_enc else None
    req, _ = ledger.create_request(
        s, runtime.crypto, client_token="pay:" + p.order_id, kind="tax_payment", household_id=p.household_id,
        resident_id=payer.id if payer else None, channel="tv",
        delivery_method=p.delivery_method if address else "none", delivery_address=address,
        options={"order_id": p.order_id, "epay_no": p.epay_no, "tax_item": p.tax_item, "total": p.total,
                 "method": p.method},
        grace_seconds=runtime.config.SWEEP_GRACE_SECONDS)
    p.request_id = req.id
    s.flush()


def open_virtual_account(runtime, *, order_id: str, household_id: int) -> Outcome:
    """The account to transfer to; the pipeline waits for the deposit."""
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if p is None:
            raise PaymentFlowError("납부 주문을 찾을 수 없습니다. 처음부터 다시 해 주세요.")
        if p.status != READY:
            return outcome(s, p)
        amount, name = p.total, order_name(p)
    token = _acquire(runtime, order_id)
    if token is None:
        return _wait_for_result(runtime, order_id, household_id, WAIT_SECONDS)
    try:
        try:
            order = runtime.payments.open_virtual_account(order_id=order_id, amount=amount,
                                                          order_name=name)
        except (NotCharged, OutcomeUnknown) as exc:
            return _back_to_ready(runtime, order_id, household_id, exc.code,
                                  "가상계좌를 만들지 못했습니다. 잠시 뒤에 다시 해 주세요. " + NOTHING_CHARGED)
        with runtime.session() as s:
            p = get_payment(s, order_id, household_id)
            if p.status == READY:
                p.method, p.status = "virtual_account", WAITING
                _changed(p)
                p.account_bank = (order.account or {}).get("bank")
                p.account_no = (order.account or {}).get("accountNumber")
                p.message = "입금을 기다리는 중입니다. 입금되면 납부가 끝나고 나의 민원에 표시됩니다."
                _open_request(s, runtime, p)
            rid, result = p.request_id, outcome(s, p)
        steps.start(runtime, rid)
        return result
    finally:
        _release(runtime, order_id, token)


def status(runtime, order_id: str, household_id: int) -> Outcome | None:
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        return outcome(s, p) if p else None


def is_active(p: TaxPayment) -> bool:
    return p.status in ACTIVE


# -- one unit of work each, for the TV screens (which open no sessions of their own) ----

@dataclass(frozen=True)
class Prepared:
    """The payment order a payment screen shows (see :func:`prepare`)."""

    order_id: str
    status: str
    total: int
    delivery_method: str
    delivery_masked: str | None


_ORDER = select(TaxPayment.order_id, TaxPayment.household_id, TaxPayment.status, TaxPayment.method,
                TaxPayment.amount, TaxPayment.late_charge, TaxPayment.total, TaxPayment.delivery_method,
                TaxPayment.delivery_address_enc, TaxPayment.delivery_masked
                ).where(TaxPayment.active_key == bindparam("epay_no"))


def _as_prepared(runtime, row, household_id: int, bill: bills_mod.Bill, method: str,
                 delivery: dict | None) -> bool:
    """:func:`prepare` would leave the order ``row`` as it is."""
    if row.household_id != household_id:
        return False  # prepare refuses it
    if row.status != READY:
        return True  # decided or under way: prepare changes nothing
    return (row.method == method and (row.amount, row.late_charge, row.total) == (
        bill.amount, bill.late_charge, bill.total)
        and (delivery is None or _delivery_is(runtime, row.delivery_method, row.delivery_address_enc,
                                              delivery.get("method", "none"), delivery.get("address"))))


def prepare_order(runtime, household_id: int, bill: bills_mod.Bill, method: str,
                  delivery: dict | None = None) -> Prepared:
    """:func:`prepare`, committed. A payment screen shown again finds its
    order as the last showing left it: one read on a plain connection, no
    unit of work, nothing written."""
    if method in METHODS and not bill.paid:
        with runtime.connect() as conn:
            row = conn.execute(_ORDER, {"epay_no": bill.epay_no}).first()
        if row is not None and _as_prepared(runtime, row, household_id, bill, method, delivery):
            return Prepared(row.order_id, row.status, row.total, row.delivery_method, row.delivery_masked)
    with runtime.session() as s:
        p = prepare(s, runtime, household_id, bill, method, delivery)
        return Prepared(p.order_id, p.status, p.total, p.delivery_method, p.delivery_masked)


def virtual_account(runtime, order_id: str, household_id: int) -> tuple[str | None, str | None]:
    """``(bank, account number)`` of the order's virtual account (``(None,
    None)`` when there is none)."""
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        return (p.account_bank, p.account_no) if p is not None else (None, None)


@dataclass(frozen=True)
class ResultScreen:
    """What a payment's result screen shows."""

    outcome: Outcome
    timeline: list | None  # ledger.timeline_rows of its request; None before there is one
    delivery_masked: str | None
    delivery_method: str | None
    payer_id: int | None = None  # the payer among the household's residents (the 납세증명서 is theirs)


def result_screen(runtime, order_id: str, household_id: int) -> ResultScreen | None:
    with runtime.session() as s:
        p = get_payment(s, order_id, household_id)
        if p is None:
            return None
        rows = ledger.timeline_rows(s, p.request_id) if p.request_id else None
        payer = s.scalar(select(Resident.id).where(Resident.ref == p.payer_ref, Resident.household_id == household_id))
        return ResultScreen(outcome(s, p), rows, p.delivery_masked, p.delivery_method, payer)
