"""The tax payment request (kind ``tax_payment``):

settle (the charge is known: paid, or looked up at the provider: never paid
again) -> notice (the back end told once: key ``<order>:notice``) -> receipt
(PDF in the issuance ledger) -> deliver (email or fax, as certificates) ->
await_delivery (fax progress) -> notify (SMS) -> delivered / completed.
"""

from __future__ import annotations

import logging
from datetime import timezone

from sqlalchemy import select

from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.certificates import pipeline as cert_pipeline
from services.certificates.issue import verify_url
from services.certificates.verification import fmt
from services.delivery.steps import queue_fax, send_email
from services.models import (
    ACCEPTED,
    DELIVERED,
    DELIVERING,
    ISSUED,
    SUBMITTED,
    Certificate,
    Household,
    utcnow,
)
from services.payments import OutcomeUnknown
from services.sms import send_sms
from services.steps import Fail, Retry, Step, StepContext
from services.taxes.bills import forget as bills_forget
from services.taxes.bills import won
from services.taxes.models import NOT_CHARGED, PAID, UNKNOWN, WAITING, TaxPayment
from services.taxes.payments import CHECKING, NOTHING_CHARGED, mark_paid
from services.taxes.receipts import TITLE, issue_receipt

log = logging.getLogger(__name__)
BACKEND_METHOD = {"card": "card", "phone": "card", "virtual_account": "virtual-account"}


def payment_of(ctx: StepContext) -> TaxPayment:
    p = ctx.session.scalar(select(TaxPayment).where(TaxPayment.order_id == ctx.request.options["order_id"]))
    if p is None:
        raise Fail("payment_missing", "납부 기록을 찾을 수 없습니다. 구청에 문의해 주세요.")
    return p


def step_settle(ctx: StepContext) -> None:
    p = payment_of(ctx)
    if p.status == PAID:
        ctx.event("paid", "paid", {"message": "%s 납부" % won(p.total)})
        return
    if p.status not in (UNKNOWN, WAITING):
        raise Fail(p.reason or "not_paid", p.message or NOTHING_CHARGED)
    if p.status == UNKNOWN:
        ctx.event("checking", "payment_checking", {"message": "결제 결과 " + CHECKING[:-1]})
    try:
        order = ctx.runtime.payments.get_order(p.order_id)
    except OutcomeUnknown as exc:
        raise Retry("provider_unavailable", "결제 결과를 확인하는 중입니다.", after=2.0, count=False) from exc
    if order is not None and order.status == "paid":
        mark_paid(p, order.payment_key)
        ctx.event("paid", "paid", {"message": "%s 납부" % won(p.total)})
        _forget_bills(ctx, p)
        return
    if order is None or order.status in ("expired", "cancelled", "declined"):
        p.status, p.active_key = NOT_CHARGED, None
        p.reason = "expired" if order is not None else "never_received"
        p.message = ("입금 기한이 지났습니다. " if p.method == "virtual_account" else "결제되지 않았습니다. ") + \
            NOTHING_CHARGED
        ctx.commit()
        raise Fail(p.reason, p.message)
    if p.status == WAITING:
        raise Retry("waiting_deposit", "입금을 기다리는 중입니다.", after=3.0, count=False)
    raise Retry("checking_payment", "결제 결과를 확인하는 중입니다.", after=2.0, count=False)


def step_notice(ctx: StepContext) -> None:
    p = payment_of(ctx)
    if p.backend_receipt:
        return
    ctx.event("sent_to_backend", "sent_to_backend")
    ctx.commit()
    paid_at = (p.approved_at or utcnow()).astimezone(timezone.utc).replace(microsecond=0).isoformat()
    try:
        ack = ctx.runtime.bridge.payment_notice(
            epay_no=p.epay_no, amount=p.total, payment_ref=p.order_id, method=BACKEND_METHOD[p.method],
            paid_at=paid_at, idempotency_key="%s:notice" % p.order_id)
    except BackendUnavailable as exc:
        raise Retry("backend_unavailable", "구청 시스템에 연결되면 납부 사실을 알립니다.") from exc
    except BackendProtocolError as exc:
        raise Retry("backend_protocol", "구청 시스템의 응답을 확인하는 중입니다.") from exc
    except BackendRefused as exc:
        # Money was taken but the municipality will not book it: a person must refund.
        raise Fail(exc.code, "%s 결제한 금액은 구청에서 확인 후 환불해 드립니다." % exc.message,
                   {"message_en": exc.message_en}) from exc
    p.backend_receipt = ack["receipt_ref"]
    ctx.event("tax_recorded", "tax_recorded", {"receipt": ack["receipt_ref"]})
    _forget_bills(ctx, p)  # the back end now says paid: the TV's bill list should too


def _forget_bills(ctx: StepContext, p: TaxPayment) -> None:
    household = ctx.session.get(Household, p.household_id)
    if household is not None:
        bills_forget(ctx.runtime, household.code)


def step_receipt(ctx: StepContext) -> None:
    cert = issue_receipt(ctx.session, ctx.runtime, ctx.request, payment_of(ctx))
    ctx.event("issued", "issued", {"verification": fmt(cert.verification_no), "pages": cert.pages})


def _cert(ctx: StepContext) -> Certificate:
    return ctx.session.scalar(select(Certificate).where(Certificate.request_id == ctx.request.id))


def step_deliver(ctx: StepContext) -> None:
    method = ctx.request.delivery_method
    if method == "email":
        _deliver_email(ctx)
    elif method == "fax":
        _queue_fax(ctx)


def _deliver_email(ctx: StepContext) -> None:
    req, cert, p = ctx.request, _cert(ctx), payment_of(ctx)
    body = "\n".join([
        "안녕하세요. %s입니다." % ctx.runtime.config.DISTRICT_NAME, "",
        "TV 민원 서비스로 납부하신 지방세의 영수증을 보내 드립니다.", "",
        "  세목: %s (%d년)" % (p.tax_item, p.tax_year),
        "  납부액: %s" % won(p.total),
        "  접수번호: %s" % req.receipt_no,
        "  문서확인번호: %s" % fmt(cert.verification_no), "",
        "받으신 분은 아래 주소에서 문서확인번호로 진위를 확인할 수 있습니다.",
        "  %s" % verify_url(ctx.runtime, cert.verification_no), "",
        "이 메일은 발신 전용입니다.",
    ])
    send_email(
        ctx, cert,
        subject="[%s] %s (%s %s)" % (ctx.runtime.config.DISTRICT_NAME, TITLE, p.tax_item, won(p.total)),
        body=body, filename="지방세납부영수증_%s.pdf" % req.receipt_no,
        invalid=Fail("email_invalid", "메일 주소가 올바르지 않습니다. 납부는 끝났습니다."),
        refused=Fail("email_refused", "메일 서버가 이 주소로는 보낼 수 없다고 답했습니다. 납부는 끝났습니다."))


def _queue_fax(ctx: StepContext) -> None:
    queue_fax(ctx, _cert(ctx), title=TITLE,
              refused=lambda exc: Fail("fax_number_refused", exc.reason_ko + " 납부는 끝났습니다."))


def step_notify(ctx: StepContext) -> None:
    phone = cert_pipeline._resident_phone(ctx.runtime, ctx.session, ctx.request)
    if phone:
        p = payment_of(ctx)
        body = "[%s] %s %s 납부가 끝났습니다. 접수번호 %s" % (
            ctx.runtime.config.DISTRICT_NAME, p.tax_item, won(p.total), ctx.request.receipt_no)
        send_sms(ctx.session, ctx.runtime, phone, body, purpose="notice",
                 dedup_key="notice:%d:paid" % ctx.request.id, request_id=ctx.request.id)
        ctx.event("notified", "notified", {"channel": "sms"})


STEPS = [
    Step("settle", step_settle, SUBMITTED),
    Step("notice", step_notice, ACCEPTED),
    Step("receipt", step_receipt, ISSUED),
    Step("deliver", step_deliver, DELIVERING),
    Step("await_delivery", cert_pipeline.step_await, DELIVERING),
    Step("notify", step_notify, DELIVERED),
]

