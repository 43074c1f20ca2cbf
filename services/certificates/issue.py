"""Issuance: one certificate per request, in the issuance ledger, with its
PDF encrypted at rest."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services import pii
from services.certificates import catalogue, pdf, verification
from services.models import Certificate, Request, utcnow


def verification_key(runtime) -> bytes:
    return verification.key_from_secret(runtime.config.SECRET_KEY)


def verify_url(runtime, number: str) -> str:
    return "%s/verify/%s" % (runtime.config.PUBLIC_URL.rstrip("/"), number)


def issue(session, runtime, request, record: dict) -> Certificate:
    """Issue the request's certificate once; a second call returns the first."""
    existing = session.scalar(select(Certificate).where(Certificate.request_id == request.id))
    if existing is not None:
        return existing
    ctype = catalogue.get(request.options["certificate_type"])
    key = verification_key(runtime)
    number = verification.new_number(key)
    while session.scalar(select(Certificate.id).where(Certificate.verification_no == number)):
        number = verification.new_number(key)
    issued_at = utcnow()
    office = record.get("issuing_office") or runtime.config.DISTRICT_NAME
    data, pages = pdf.build_pdf(
        record, title=ctype.title_ko, cert_type=ctype.code, verification_no=number,
        verify_url=verify_url(runtime, number), issued_at=issued_at, office=office,
        full_rrn=request.options.get("full_rrn") == "yes", font_dir=runtime.config.FONT_DIR)
    cert = Certificate(
        request_id=request.id, verification_no=number, cert_type=ctype.code, title=ctype.title_ko,
        holder_masked=pii.mask_name(record["holder"]["name"]), office=office, pages=pages,
        sha256=hashlib.sha256(data).hexdigest(), destination_masked=request.delivery_address_masked,
        summary={"sections": [s["title"] for s in record.get("sections", [])],
                 "holder_rrn": pii.mask_rrn(record["holder"]["rrn"])},
        pdf_enc=runtime.crypto.encrypt(base64.b64encode(data).decode()), issued_at=issued_at)
    session.add(cert)
    session.flush()
    return cert


def pdf_bytes(runtime, cert: Certificate) -> bytes:
    return base64.b64decode(runtime.crypto.decrypt(cert.pdf_enc))


def lookup(session, runtime, number: str) -> Certificate | None:
    """For /verify: None for a number we never issued (checked without the
    database first: a made-up or altered number fails the keyed check)."""
    n = verification.normalise(number)
    if not n or not verification.is_authentic(verification_key(runtime), n):
        return None
    return session.scalar(select(Certificate).where(Certificate.verification_no == n))


def preview_png(runtime, record: dict, cert_type: str) -> bytes:
    """The first page as the resident will get it, holder's details masked."""
    ctype = catalogue.get(cert_type)
    data, _ = pdf.build_pdf(record, title=ctype.title_ko, cert_type=ctype.code,
                            verification_no="0" * 16, verify_url=verify_url(runtime, "0" * 16),
                            issued_at=utcnow(), office=record.get("issuing_office") or runtime.config.DISTRICT_NAME,
                            preview=True, font_dir=runtime.config.FONT_DIR)
    return pdf.render_png(data, scale=1.0)


def verified(runtime, number: str) -> tuple[Certificate, str] | None:
    """The certificate a verification number names and the receipt number of
    its request (``""`` when the request is gone), or None (the public
    verification page; one unit of work)."""
    with runtime.session() as s:
        cert = lookup(s, runtime, number)
        if cert is None:
            return None
        req = s.get(Request, cert.request_id)
        return cert, req.receipt_no if req else ""


# The issued document itself is shown to whoever holds its number this long
# (the PDF's footer says so: "발급일부터 90일 동안 확인할 수 있습니다").
VIEW_DAYS = 90
VIEW_SCALE = 1.5


@dataclass
class Verification:
    """What /verify/<number> shows: the certificate, its request's receipt
    number, whether the number is still within :data:`VIEW_DAYS`, and then the
    issued pages as PNG (base64), resident numbers masked (``pdf.render_pages_masked``)."""

    cert: Certificate
    receipt: str
    viewable: bool
    view_until: datetime
    pages: list[str] = field(default_factory=list)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def verification_view(runtime, number: str, *, now: datetime | None = None) -> Verification | None:
    """:func:`verified`, with the issued document's pages while the number is
    within :data:`VIEW_DAYS` of issue; None for a number we never issued."""
    found = verified(runtime, number)
    if found is None:
        return None
    cert, receipt = found
    until = _aware(cert.issued_at) + timedelta(days=VIEW_DAYS)
    viewable = (now or utcnow()) < until
    pages = []
    if viewable:
        pages = [base64.b64encode(png).decode()
                 for png in pdf.render_pages_masked(pdf_bytes(runtime, cert), scale=VIEW_SCALE)]
    return Verification(cert, receipt, viewable, until, pages)
