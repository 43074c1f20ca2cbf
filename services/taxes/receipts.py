"""The payment receipt (지방세 납부 영수증): a PDF with a verification
number and QR, issued once per request into the same issuance ledger as
certificates (``Certificate`` rows, cert_type ``tax-receipt``), so /verify
checks receipts too."""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select

from services import pii
from services.certificates import pdf, verification
from services.certificates.issue import verification_key, verify_url
from services.models import Certificate, Household, Resident, utcnow
from services.taxes.bills import group_epay, korean_date, won
from services.taxes.models import TaxPayment

CERT_TYPE = "tax-receipt"
TITLE = "지방세 납부 영수증"
METHOD_NAMES = {"card": "신용카드 (TV)", "phone": "신용카드 (휴대폰)", "virtual_account": "가상계좌 이체"}


def record_for(session, runtime, p: TaxPayment) -> dict:
    payer = session.scalar(select(Resident).where(Resident.ref == p.payer_ref))
    hh = session.get(Household, p.household_id)
    paid = pdf.korean_datetime(p.approved_at) if p.approved_at else ""
    return {
        "holder": {"name": payer.name if payer else "", "address": hh.address if hh else "",
                   "rrn": runtime.crypto.decrypt(payer.rrn_enc) if payer else "000000-0000000"},
        "issuing_office": runtime.config.DISTRICT_NAME,
        "sections": [
            {"title": "납부 내역", "rows": [[
                ("세목", p.tax_item), ("과세연도", str(p.tax_year)), ("과세대상", p.subject),
                ("납기", korean_date(p.due_date))]]},
            {"title": "납부 금액", "rows": [[
                ("전자납부번호", group_epay(p.epay_no)), ("본세", won(p.amount)), ("가산금", won(p.late_charge)),
                ("납부액", won(p.total))]]},
            {"title": "납부 확인", "rows": [[
                ("납부일시", paid), ("납부방법", METHOD_NAMES.get(p.method, p.method)),
                ("주문번호", p.order_id), ("구청 수납번호", p.backend_receipt or "")]]},
        ],
    }


def issue_receipt(session, runtime, request, p: TaxPayment) -> Certificate:
    """Once per request: a second call returns the first receipt."""
    existing = session.scalar(select(Certificate).where(Certificate.request_id == request.id))
    if existing is not None:
        return existing
    record = record_for(session, runtime, p)
    key = verification_key(runtime)
    number = verification.new_number(key)
    while session.scalar(select(Certificate.id).where(Certificate.verification_no == number)):
        number = verification.new_number(key)
    issued_at = utcnow()
    office = runtime.config.DISTRICT_NAME
    data, pages = pdf.build_pdf(record, title=TITLE, cert_type=CERT_TYPE, verification_no=number,
                                verify_url=verify_url(runtime, number), issued_at=issued_at, office=office,
                                font_dir=runtime.config.FONT_DIR)
    cert = Certificate(
        request_id=request.id, verification_no=number, cert_type=CERT_TYPE, title=TITLE,
        holder_masked=pii.mask_name(record["holder"]["name"] or "-"), office=office, pages=pages,
        sha256=hashlib.sha256(data).hexdigest(), destination_masked=request.delivery_address_masked,
        summary={"sections": [s["title"] for s in record["sections"]],
                 "holder_rrn": pii.mask_rrn(record["holder"]["rrn"]), "total": p.total,
                 "tax_item": p.tax_item, "epay_no": p.epay_no},
        pdf_enc=runtime.crypto.encrypt(base64.b64encode(data).decode()), issued_at=issued_at)
    session.add(cert)
    session.flush()
    return cert
