"""/verify/<number>: genuine, unknown, altered, malformed; receipts too."""

import base64
from datetime import timedelta

from services.certificates import pdf, verification
from services.certificates.issue import verification_key, verify_url
from services.models import Certificate, Household, Request, utcnow

RECORD = {
    "holder": {"name": "김민준", "rrn": "790115-1592037", "address": "서울특별시 마포구 월드컵북로 212"},
    "issuing_office": "서울특별시 마포구청장",
    "sections": [{"title": "세대 구성", "rows": [
        [("구분", "본인(세대주)"), ("성명", "김영수"), ("주민등록번호", "480312-1738204")],
        [("구분", "자"), ("성명", "김민준"), ("주민등록번호", "790115-1592037")]]}],
}


def _issue(runtime, cert_type, title, *, full_rrn=False, age=timedelta(0)):
    """A certificate as issue() stores it (a real PDF, encrypted), issued ``age`` ago."""
    key = verification_key(runtime)
    number = verification.new_number(key)
    issued_at = utcnow() - age
    data, pages = pdf.build_pdf(RECORD, title=title, cert_type=cert_type, verification_no=number,
                                verify_url=verify_url(runtime, number), issued_at=issued_at,
                                office="서울특별시 마포구청장", full_rrn=full_rrn,
                                font_dir=runtime.config.FONT_DIR)
    with runtime.session() as s:
        hh = Household(code="H-verify-%s" % number, address="서울특별시 마포구")
        s.add(hh)
        s.flush()
        req = Request(receipt_no="20261121-%s" % number[-6:], client_token="v-" + number,
                      kind="certificate", household_id=hh.id, channel="tv", options={}, result={})
        s.add(req)
        s.flush()
        s.add(Certificate(request_id=req.id, verification_no=number, cert_type=cert_type, title=title,
                          holder_masked="김*준", office="서울특별시 마포구청장", pages=pages, sha256="0" * 64,
                          summary={"sections": ["세대 구성"]},
                          pdf_enc=runtime.crypto.encrypt(base64.b64encode(data).decode()), issued_at=issued_at))
    return number


def test_genuine_certificate_and_receipt(client, runtime):
    for cert_type, title, shown in [("resident-copy", "주민등록표 (등본)", "주민등록표 등본"),
                                    ("tax-receipt", "지방세 납부확인서", "지방세 납부확인서")]:
        number = _issue(runtime, cert_type, title)
        page = client.get("/verify/" + number)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "발급된 진본입니다" in text and shown in text and "김*준" in text
        # the document's kind named once (issue 17 item 10: not "주민등록표 등본 (주민등록표 (등본))")
        assert '<dd id="doc-type">%s</dd>' % shown in text


def test_unknown_altered_and_malformed_numbers(client, runtime):
    number = _issue(runtime, "resident-abstract", "주민등록표 (초본)")
    altered = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    r = client.get("/verify/" + altered)
    assert r.status_code == 404 and "발급된 적이 없는 번호" in r.get_data(as_text=True)
    assert client.get("/verify/?number=12ab").status_code == 400
    assert client.get("/verify/?number=" + verification.fmt(number)).status_code == 302
