"""The certificate request pipeline:

fetch_record (bridge) -> issue (PDF, ledger) -> deliver (email now, or fax
queued) -> await_delivery (fax progress) -> notify (SMS) -> delivered.

Each step is safe to run twice: the record call has an idempotency key,
issuance is once per request, a delivery row per request and method
remembers what was sent, the fax job id is the receipt number, and the
SMS notice has a dedup key.
"""

from __future__ import annotations

import logging

from fax_bridge import JobNotFound, JobState
from services import ledger
from services.certificates import catalogue
from services.certificates.issue import issue, verify_url
from services.certificates.verification import fmt
from services.delivery import fax
from services.delivery.steps import (
    delivery_row,
    document_of,
    queue_fax,
    recipient,
    send_email,
)
from services.korean import KST, eul, ro
from services.models import (
    ACCEPTED,
    DELIVERED,
    DELIVERING,
    ISSUED,
    Certificate,
    Resident,
)
from services.records import fetch_record, load_record
from services.sms import send_sms
from services.steps import Fail, Retry, Step, StepContext

log = logging.getLogger(__name__)


def _cert(ctx: StepContext) -> Certificate:
    return document_of(ctx)


def step_issue(ctx: StepContext) -> None:
    record = load_record(ctx.runtime, ctx.request)
    cert = issue(ctx.session, ctx.runtime, ctx.request, record)
    ctx.event("issued", "issued", {"verification": fmt(cert.verification_no), "pages": cert.pages})


# Kept for the pipelines that import them from here.
_delivery = delivery_row
_address = recipient


def step_deliver(ctx: StepContext) -> None:
    method = ctx.request.delivery_method
    if method == "email":
        _deliver_email(ctx)
    elif method == "fax":
        _queue_fax(ctx)
    else:
        raise Fail("no_delivery", "받으실 방법이 정해지지 않았습니다.")


def _fax_stopped(ctx: StepContext) -> bool:
    """For a request switched from fax to email: True once its fax job has
    stopped (the fax worker cancels it at the fax server); Retry until then.
    False when the fax got through first: nothing more is sent."""
    try:
        job = fax.store_for(ctx.runtime).get(ctx.request.receipt_no)
    except JobNotFound:
        return True
    if job.state.value in fax.OPEN_STATES:
        raise Retry("fax_stopping", "팩스 전송을 멈추는 중입니다. 멈추면 바로 메일로 보냅니다.", after=1.0, count=False)
    if job.state in (JobState.DELIVERED, JobState.HANDED_OFF):
        d = _delivery(ctx, "fax")
        d.status = "delivered" if job.state == JobState.DELIVERED else "sent"
        ctx.request.delivery_method, ctx.request.delivery_address_masked = "fax", d.destination_masked
        ctx.event("delivered", "delivered", {"method": "fax", "to": d.destination_masked, "pages": job.pages})
        return False
    # the same event the fax worker records when it stops the job (one of them stays)
    ctx.event("fax:cancelled", "fax_stopped", {"message": job.reason_ko or "요청에 따라 팩스 전송을 취소했습니다."})
    return True


def _deliver_email(ctx: StepContext) -> None:
    req, cert = ctx.request, _cert(ctx)
    if (req.options or {}).get("switched_from") == "fax" and not _fax_stopped(ctx):
        return
    ctype = catalogue.get(cert.cert_type)
    issued = cert.issued_at.astimezone(KST)
    body = "\n".join([
        "안녕하세요. %s입니다." % ctx.runtime.config.DISTRICT_NAME,
        "",
        "TV 민원 서비스로 신청하신 %s 보내 드립니다." % eul(ctype.name_ko),
        "",
        "  접수번호: %s" % req.receipt_no,
        "  발급일시: %s" % issued.strftime("%Y년 %m월 %d일 %H:%M"),
        "  문서확인번호: %s" % fmt(cert.verification_no),
        "",
        "받으신 분은 아래 주소에서 문서확인번호로 진위를 확인할 수 있습니다.",
        "  %s" % verify_url(ctx.runtime, cert.verification_no),
        "",
        "이 메일은 발신 전용입니다.",
    ])
    send_email(
        ctx, cert,
        subject="[%s] %s 발급 (접수번호 %s)" % (ctx.runtime.config.DISTRICT_NAME, ctype.name_ko, req.receipt_no),
        body=body, filename="%s_%s.pdf" % (ctype.name_ko.replace(" ", ""), req.receipt_no),
        invalid=Fail("email_invalid", "메일 주소가 올바르지 않습니다. 팩스로 다시 받으실 수 있습니다.",
                     {"offer": "fax"}),
        refused=Fail("email_refused",
                     "메일 서버가 이 주소로는 보낼 수 없다고 답했습니다. 팩스로 다시 받으실 수 있습니다.",
                     {"offer": "fax"}))


def _queue_fax(ctx: StepContext) -> None:
    cert = _cert(ctx)
    queue_fax(ctx, cert, title=catalogue.get(cert.cert_type).name_ko,
              refused=lambda exc: Fail("fax_number_refused", exc.reason_ko, {"offer": "email"}))


def step_await(ctx: StepContext) -> None:
    if ctx.request.delivery_method != "fax":
        return

    try:
        job = fax.store_for(ctx.runtime).get(ctx.request.receipt_no)
    except JobNotFound as exc:
        raise Fail("fax_lost", "팩스 작업을 찾을 수 없습니다. 다시 신청해 주세요.") from exc
    d = _delivery(ctx, "fax")
    if job.state in (JobState.DELIVERED, JobState.HANDED_OFF):
        d.status = "delivered" if job.state == JobState.DELIVERED else "sent"
        ctx.event("delivered", "delivered", {"method": "fax", "to": d.destination_masked,
                                             "pages": job.pages})
        return
    if job.state in (JobState.FAILED, JobState.CANCELLED):
        d.status = "failed"
        raise Fail("fax_failed", job.reason_ko or "팩스를 보내지 못했습니다.", {"offer": "email"})
    raise Retry("fax_in_progress", "팩스를 보내는 중입니다.", after=5.0, count=False)


def _resident_phone(runtime, session, request) -> str | None:
    res = session.get(Resident, request.resident_id) if request.resident_id else None
    return runtime.crypto.decrypt(res.phone_enc) if res is not None and res.phone_enc else None


def step_notify(ctx: StepContext) -> None:
    phone = _resident_phone(ctx.runtime, ctx.session, ctx.request)
    if phone:
        cert = _cert(ctx)
        how = "메일" if ctx.request.delivery_method == "email" else "팩스"
        body = "[%s] %s %s 보냈습니다. 접수번호 %s" % (
            ctx.runtime.config.DISTRICT_NAME, eul(catalogue.get(cert.cert_type).name_ko), ro(how),
            ctx.request.receipt_no)
        send_sms(ctx.session, ctx.runtime, phone, body, purpose="notice",
                 dedup_key="notice:%d:delivered" % ctx.request.id, request_id=ctx.request.id)
        ctx.event("notified", "notified", {"channel": "sms"})


def on_fail(runtime, session, request, fail) -> None:
    phone = _resident_phone(runtime, session, request)
    if not phone:
        return
    name = catalogue.get(request.options.get("certificate_type", "resident-copy")).name_ko
    body = "[%s] %s 신청(접수번호 %s)을 처리하지 못했습니다. %s" % (
        runtime.config.DISTRICT_NAME, name, request.receipt_no, fail.message or "")
    send_sms(session, runtime, phone, body.strip(), purpose="notice",
             dedup_key="notice:%d:failed" % request.id, request_id=request.id)
    ledger.append_event(session, request.id, "notified_failure", "notified", {"channel": "sms"})


STEPS = [
    Step("fetch_record", fetch_record, ACCEPTED),
    Step("issue", step_issue, ISSUED),
    Step("deliver", step_deliver, DELIVERING),
    Step("await_delivery", step_await, DELIVERING),
    Step("notify", step_notify, DELIVERED),
]
