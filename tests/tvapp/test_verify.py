"""/verify/<number>: genuine, unknown, altered, malformed; receipts too."""

from services.certificates import verification
from services.certificates.issue import verification_key
from services.models import Certificate, Household, Request, utcnow


def _issue(runtime, cert_type, title):
    key = verification_key(runtime)
    number = verification.new_number(key)
    with runtime.session() as s:
        hh = Household(code="H-verify-%s" % cert_type, address="서울특별시 마포구")
        s.add(hh)
        s.flush()
        req = Request(receipt_no="20261121-%06d" % (hash(cert_type) % 10**6), client_token="v-" + cert_type,
                      kind="certificate", household_id=hh.id, channel="tv", options={}, result={})
        s.add(req)
        s.flush()
        s.add(Certificate(request_id=req.id, verification_no=number, cert_type=cert_type, title=title,
                          holder_masked="김*준", office="서울특별시 마포구청장", pages=1, sha256="0" * 64,
                          summary={"sections": ["세대 구성"]}, pdf_enc="x", issued_at=utcnow()))
    return number


def test_genuine_certificate_and_receipt(client, runtime):
    for cert_type, title, shown in [("resident-copy", "주민등록표 (등본)", "주민등록표 등본"),
                                    ("tax-receipt", "지방세 납부확인서", "지방세 납부확인서")]:
        number = _issue(runtime, cert_type, title)
        page = client.get("/verify/" + number)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "발급된 진본입니다" in text and shown in text and "김*준" in text


def test_unknown_altered_and_malformed_numbers(client, runtime):
    number = _issue(runtime, "resident-abstract", "주민등록표 (초본)")
    altered = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    r = client.get("/verify/" + altered)
    assert r.status_code == 404 and "발급된 적이 없는 번호" in r.get_data(as_text=True)
    assert client.get("/verify/?number=12ab").status_code == 400
    assert client.get("/verify/?number=" + verification.fmt(number)).status_code == 302
