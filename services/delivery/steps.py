"""Delivery steps shared by every pipeline that sends an issued document
(certificates, tax receipts): email it, or queue it for fax. Each is safe to
run twice: the ``Delivery`` row per request and method remembers what was
sent, and the fax job id is the receipt number."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from fax_bridge import CoverPage, FaxHeader, NumberRefused, cover_pdf, render_fax
from services.certificates.issue import pdf_bytes, verify_url
from services.certificates.verification import fmt
from services.delivery import email as email_delivery
from services.delivery import fax
from services.models import Certificate, Delivery
from services.steps import Fail, Retry, StepContext

MAIL_FROM = "no-reply@tvgov.local"


def delivery_row(ctx: StepContext, method: str) -> Delivery:
    key = "%s:%s" % (ctx.request.receipt_no, method)
    d = ctx.session.scalar(select(Delivery).where(Delivery.key == key))
    if d is None:
        d = Delivery(request_id=ctx.request.id, key=key, method=method,
                     destination_masked=ctx.request.delivery_address_masked or "")
        ctx.session.add(d)
        ctx.session.flush()
    return d


def recipient(ctx: StepContext) -> str:
    return ctx.runtime.crypto.decrypt(ctx.request.delivery_address_enc)


def document_of(ctx: StepContext) -> Certificate:
    return ctx.session.scalar(select(Certificate).where(Certificate.request_id == ctx.request.id))


def send_email(ctx: StepContext, cert: Certificate, *, subject: str, body: str, filename: str,
               invalid: Fail, refused: Fail) -> None:
    """Email the document once. 4xx: retried later; 5xx: ``refused``; a bad
    address: ``invalid``. The Message-ID is derived from the request, so a
    retry sends the same message.

    The boundary: "sending" is committed before the relay is called and "sent"
    as soon as it answers 250. A worker killed in between (after the relay took
    the message, before our commit) leaves "sending"; the retry cannot know
    and sends again: the same Message-ID and document, which mail systems
    count as one message. ``Delivery.attempts`` counts the sends started."""
    d = delivery_row(ctx, "email")
    if d.status in ("sent", "delivered"):
        return
    req = ctx.request
    domain = ctx.runtime.config.PUBLIC_URL.split("//")[-1].split(":")[0].split("/")[0] or "tvgov.local"
    message_id = "<%s.%s@%s>" % (req.receipt_no, cert.verification_no, domain)
    try:
        msg = email_delivery.build_message(
            to=recipient(ctx), subject=subject, body=body, message_id=message_id, sender=MAIL_FROM,
            sender_name="%s TV민원" % ctx.runtime.config.DISTRICT_NAME,
            attachments=[(filename, pdf_bytes(ctx.runtime, cert), "application/pdf")],
            when=cert.issued_at)
    except email_delivery.EmailPermanentError as exc:
        raise invalid from exc
    d.status, d.message_id = "sending", message_id
    d.attempts += 1
    ctx.commit()

    def accepted() -> None:
        # Committed the moment the relay said 250, before QUIT: the shortest
        # window in which a killed worker would send (the same message) again.
        d.status = "sent"
        ctx.event("delivered", "delivered", {"method": "email", "to": d.destination_masked})
        ctx.commit()

    try:
        ctx.runtime.mailer.send(msg, on_accepted=accepted)
    except email_delivery.EmailTemporaryError as exc:
        raise Retry("smtp_temporary", "메일 서버가 잠시 받지 않아 곧 다시 보냅니다.") from exc
    except email_delivery.EmailPermanentError as exc:
        d.status = "failed"
        d.detail = {"error": str(exc)}
        ctx.commit()
        raise refused from exc


def queue_fax(ctx: StepContext, cert: Certificate, *, title: str, refused: Callable[[object], Fail]) -> None:
    """Check the number, render cover + document as a fax and queue it once.
    ``refused(NumberRefused)`` gives the failure for a number the policy refuses."""

    d = delivery_row(ctx, "fax")
    if d.status != "pending":
        return
    try:
        number = fax.policy().check(recipient(ctx))
    except NumberRefused as exc:
        raise refused(exc) from exc
    req = ctx.request
    office = ctx.runtime.config.DISTRICT_NAME
    cover = cover_pdf(CoverPage(sender_office=office, recipient_fax=number.formatted,
                                pages=cert.pages + 1, receipt_number=req.receipt_no,
                                verification_url=verify_url(ctx.runtime, cert.verification_no),
                                verification_number=fmt(cert.verification_no), title=title))
    document = render_fax(pdf_bytes(ctx.runtime, cert), header=FaxHeader(office), cover_pdf=cover, workers=0)
    ctx.commit()  # the fax store writes in its own transaction (SQLite: one writer at a time)
    job = fax.enqueue(ctx.runtime, req.receipt_no, "household-%d" % req.household_id, number, document)
    d.status = "sending"
    d.detail = {"pages": job.pages}
    ctx.event("fax_queued", "delivering", {"page": 0, "pages": job.pages,
                                           "message": "팩스 전송을 기다리는 중입니다 (%d쪽)" % job.pages})
