"""Certificates: verification numbers, the PDF, and delivery end to end
through worker processes, a real SMTP server and the fax sandbox line."""

import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from sqlalchemy import select

from services.certificates import catalogue, pdf, verification
from services.certificates.issue import pdf_bytes
from services.delivery import fax
from services.models import Certificate, Delivery, FaxJobRow
from services.sms import messages_for_phone
from tests.support.procs import wait_for
from tests.support.smtp import SmtpServer
from tests.support.world import events, kinds, make, receipt, statuses

KEY = verification.key_from_secret("test")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def test_verification_numbers_are_checkable_and_not_sequential():
    numbers = [verification.new_number(KEY) for _ in range(200)]
    assert all(re.fullmatch(r"\d{16}", n) for n in numbers)
    assert all(verification.is_authentic(KEY, n) for n in numbers)
    assert len(set(numbers)) == 200
    assert verification.fmt(numbers[0]).count("-") == 3
    n = numbers[0]
    altered = n[:5] + str((int(n[5]) + 1) % 10) + n[6:]
    assert not verification.is_authentic(KEY, altered)
    assert not verification.is_authentic(verification.key_from_secret("other"), n)
    diffs = sorted(abs(int(a) - int(b)) for a, b in zip(numbers, numbers[1:], strict=False))
    assert diffs[len(diffs) // 2] > 10**9  # nowhere near consecutive


def test_catalogue_has_the_six_certificates_with_fees():
    codes = [c.code for c in catalogue.CATALOGUE]
    assert codes == ["resident-copy", "resident-abstract", "land-register", "building-register",
                     "tax-payment", "tax-assessment"]
    assert catalogue.get("resident-abstract").options[0].name == "past_addresses"
    assert catalogue.fee_text(0) == "무료" and catalogue.fee_text(400) == "400원"


RECORD = {
    "holder": {"name": "김민준", "rrn": "790115-1592037", "address": "서울특별시 마포구 월드컵북로 212"},
    "issuing_office": "서울특별시 마포구청장",
    "sections": [{"title": "세대 구성", "rows": [
        [("구분", "본인(세대주)"), ("성명", "김영수"), ("주민등록번호", "480312-1738204")],
        [("구분", "자"), ("성명", "김민준"), ("주민등록번호", "790115-1592037")]]}],
}


def _text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_pdf_has_text_masked_numbers_embedded_font_and_a_qr_on_every_page():
    number = verification.new_number(KEY)
    url = "http://127.0.0.1:8000/verify/" + number
    data, pages = pdf.build_pdf(RECORD, title="주민등록표 (등본)", cert_type="resident-copy",
                                verification_no=number, verify_url=url,
                                issued_at=datetime.now(timezone.utc), office="서울특별시 마포구청장")
    text = _text(data)
    assert "김민준" in text and "주민등록표" in text
    assert "790115-1******" in text and "1592037" not in text
    assert verification.fmt(number) in text
    assert b"/FontFile2" in data and b"NanumGothic" in data  # TrueType embedded
    for page in range(pages):
        img = Image.open(io.BytesIO(pdf.render_png(data, page=page, scale=2.0)))
        found = [d.data.decode() for d in decode(img)]
        assert url in found
    full, _ = pdf.build_pdf(RECORD, title="주민등록표 (등본)", cert_type="resident-copy",
                            verification_no=number, verify_url=url,
                            issued_at=datetime.now(timezone.utc), office="서울특별시 마포구청장", full_rrn=True)
    assert "790115-1592037" in _text(full)


def test_korean_glyphs_are_drawn_not_boxes():
    data, _ = pdf.build_pdf(RECORD, title="주민등록표 (등본)", cert_type="resident-copy",
                            verification_no="0" * 16, verify_url="http://x/verify/0",
                            issued_at=datetime.now(timezone.utc), office="서울특별시 마포구청장")
    img = Image.open(io.BytesIO(pdf.render_png(data, scale=2.0))).convert("L")
    w = img.width
    title = img.crop((int(w * 0.3), 140, int(w * 0.7), 240))  # the title line
    dark = sum(1 for p in title.tobytes() if p < 100)
    assert dark > 2000  # a title of real glyphs (tofu boxes are thin outlines)


def test_the_seal_stands_beside_the_office_name():
    """Issue 17 item 10: the seal box does not cover "서울특별시 마포구청장":
    on the rendered page, the seal's red is right of the name's black, with a gap."""
    data, _ = pdf.build_pdf(RECORD, title="주민등록표 (등본)", cert_type="resident-copy",
                            verification_no="0" * 16, verify_url="http://x/verify/0",
                            issued_at=datetime.now(timezone.utc), office="서울특별시 마포구청장")
    img = Image.open(io.BytesIO(pdf.render_png(data, scale=2.0))).convert("RGB")
    px = img.load()
    red = [(x, y) for y in range(img.height) for x in range(0, img.width, 2)
           if px[x, y][0] > 150 and px[x, y][1] < 90 and px[x, y][2] < 110]
    assert red, "no seal drawn"
    top, bottom = min(y for _, y in red), max(y for _, y in red)
    left = min(x for x, _ in red)
    black = [x for y in range(top, bottom + 1) for x in range(0, img.width, 2)
             if max(px[x, y]) < 80]
    assert black, "no office name beside the seal"
    assert max(black) + 4 < left, (max(black), left)  # the name ends before the seal begins
    img.crop((0, top - 20, img.width, bottom + 20)).save(ARTIFACTS / "seal.png") if ARTIFACTS.is_dir() else None


def test_preview_masks_the_holder():
    from services.certificates.issue import preview_png
    from services.core.config import DEFAULT_FONT_DIR

    class RT:
        class config:
            PUBLIC_URL = "http://127.0.0.1:8000"
            DISTRICT_NAME = "마포구청"
            SECRET_KEY = "k"
            FONT_DIR = DEFAULT_FONT_DIR

    png = preview_png(RT, RECORD, "resident-copy")
    assert png.startswith(b"\x89PNG")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _verify_from_pdf(client, data: bytes) -> str:
    img = Image.open(io.BytesIO(pdf.render_png(data, scale=2.0)))
    url = [d.data.decode() for d in decode(img)][0]
    path = url.split("://", 1)[1].split("/", 1)[1]
    return client.get("/" + path).get_data(as_text=True)


def test_email_delivery_end_to_end_once(world, smtp, client):
    world.set(SMTP_URL=smtp.url)
    world.worker()
    rid = make(world.runtime, "mail-1", resident_ref="R1003", ctype="resident-abstract",
               options={"past_addresses": "yes"}, address="minjun.kim@example.com")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "email delivery")
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert "주민등록표 초본" in msg["Subject"]
    assert msg["To"] == "minjun.kim@example.com"
    att = [p for p in msg.iter_attachments()][0]
    data = att.get_content()
    assert att.get_content_type() == "application/pdf"
    assert "김민준" in _text(data)
    page = _verify_from_pdf(client, data)
    assert "발급된 진본입니다" in page and "김*준" in page
    assert "790115" not in page
    # The SMS notice went to the resident's phone.
    with world.runtime.session() as s:
        assert any("보냈습니다" in m.body for m in messages_for_phone(s, world.runtime, "010-0000-0003"))
    # Running the request again sends nothing more.
    from services import steps

    steps.start(world.runtime, rid)
    world.sweeper()
    with world.runtime.session() as s:
        s.get(Certificate, 1)
    assert len(smtp.messages) == 1


def test_smtp_4xx_is_retried_and_delivers_once(world, smtp):
    smtp.handler.script = ["451 4.3.0 try again later", "421 4.7.0 busy"]
    world.set(SMTP_URL=smtp.url)
    world.worker()
    world.sweeper()
    rid = make(world.runtime, "mail-2", address="youngsoo.kim@example.com")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "delivery after 4xx")
    assert "waiting" in kinds(world.runtime, rid)
    assert len(smtp.messages) == 1
    ids = {m["Message-ID"] for m in smtp.messages}
    assert len(ids) == 1


def test_smtp_5xx_fails_visibly_and_offers_fax(world, smtp):
    smtp.handler.refuse_all = "550 5.1.1 mailbox unavailable"
    world.set(SMTP_URL=smtp.url)
    world.worker()
    rid = make(world.runtime, "mail-3", address="nobody@example.com")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "failed", 60, "failure")
    failed = [d for k, d in events(world.runtime, rid) if k == "failed"][0]
    assert failed["reason"] == "email_refused" and failed["offer"] == "fax"
    assert "팩스" in failed["message"]
    with world.runtime.session() as s:
        bodies = [m.body for m in messages_for_phone(s, world.runtime, "010-0000-0001")]
    assert any("처리하지 못했습니다" in b for b in bodies)
    assert smtp.messages == []


def test_fax_delivery_reports_pages_and_delivers_once(world):
    world.set(FAX_SANDBOX_PAGE_SECONDS="0.1", FAX_POLL="0.1")
    world.worker()
    world.fax_worker()
    rid = make(world.runtime, "fax-1", method="fax", address="02-2153-1234")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 90, "fax delivery")
    evs = events(world.runtime, rid)
    pages = [d for k, d in evs if k == "delivering" and d.get("page")]
    assert pages and pages[-1]["page"] == pages[-1]["pages"]
    assert any("페이지" in (d.get("message") or "") for d in pages)
    spool = world.runtime.config.VAR_DIR / "fax" / "spool" / "outgoing"
    assert len(list(spool.iterdir())) == 1  # one call
    with world.runtime.session() as s:
        d = s.query(Delivery).one()
        assert d.destination_masked == "02-****-1234"
        raw = s.scalar(select(FaxJobRow.number_enc))
    assert "21531234" not in raw  # encrypted at rest
    assert fax.store_for(world.runtime).get(receipt(world.runtime, rid)).number == "0221531234"


def test_refused_fax_number_fails_with_the_reason(world):
    world.worker()
    rid = make(world.runtime, "fax-2", method="fax", address="060-700-1234")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "failed", 60, "refusal")
    failed = [d for k, d in events(world.runtime, rid) if k == "failed"][0]
    assert failed["reason"] == "fax_number_refused" and failed["offer"] == "email"


def test_pdf_kept_in_the_ledger_is_the_one_sent(world, smtp):
    world.set(SMTP_URL=smtp.url)
    world.worker()
    rid = make(world.runtime, "mail-4")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "delivery")
    import hashlib

    sent = [p for p in smtp.messages[0].iter_attachments()][0].get_content()
    with world.runtime.session() as s:
        cert = s.query(Certificate).filter_by(request_id=rid).one()
        assert hashlib.sha256(sent).hexdigest() == cert.sha256
        assert pdf_bytes(world.runtime, cert) == sent
