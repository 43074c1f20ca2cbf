"""The certificate flow on the TV with the test client as a paired box:
every screen's focus graph, identity by SMS code, fax number checks, the
masked preview, and OK pressed twice making one request."""

import re

import pytest
from sqlalchemy import func, select

from services.models import Request, Resident
from services.sms import messages_for_phone
from tests.tvapp.test_tv_screens import check_screen, csrf, pair


@pytest.fixture
def tv(demo, client):
    """A test client that is a box paired to the first demo household."""
    client.household_id = pair(client, demo)
    return client


def resident_id(runtime, ref):
    with runtime.session() as s:
        return s.scalar(select(Resident.id).where(Resident.ref == ref))


def post(client, url, page_html, **data):
    return client.post(url, data=dict(data, csrf_token=csrf(page_html)))


def code_from_outbox(runtime, phone):
    with runtime.session() as s:
        body = messages_for_phone(s, runtime, phone)[0].body
    return re.search(r"인증번호 (\d{6})", body).group(1)


def walk_to_delivery(tv, runtime, ctype="resident-abstract", ref="R1003", phone="010-0000-0003"):
    html = tv.get("/tv/certificates/").get_data(as_text=True)
    check_screen(html, "/tv/")
    assert "주민등록표 등본" in html and "온라인 무료" in html
    html = tv.get("/tv/certificates/%s/" % ctype).get_data(as_text=True)
    check_screen(html, "/tv/certificates/")
    assert "480312-1******" in html and "480312-1738204" not in html
    r = post(tv, "/tv/certificates/%s/who" % ctype, html, resident_id=resident_id(runtime, ref))
    assert r.status_code == 302
    r = tv.get(r.location)
    if r.status_code == 200 and "opt-form" in r.get_data(as_text=True):
        html = r.get_data(as_text=True)
        check_screen(html, "/tv/certificates/%s/" % ctype)
        r = post(tv, "/tv/certificates/%s/options" % ctype, html, past_addresses="yes", full_rrn="no")
        r = tv.get(r.location)
    html = r.get_data(as_text=True)
    check_screen(html, "/tv/certificates/")
    assert "010-****-%s" % phone[-4:] in html
    r = post(tv, "/tv/certificates/identity/send", html)
    html = tv.get(r.location).get_data(as_text=True)
    check_screen(html, "/tv/certificates/")
    assert 'id="code"' in html
    code = code_from_outbox(runtime, phone)
    wrong = "%06d" % ((int(code) + 1) % 1_000_000)
    r = post(tv, "/tv/certificates/identity/check", html, code=wrong)
    assert "m=wrong" in r.location
    assert "남은 횟수 4번" in tv.get(r.location).get_data(as_text=True)
    r = post(tv, "/tv/certificates/identity/check", html, code=code)
    assert r.location.endswith("/tv/certificates/delivery")
    html = tv.get(r.location).get_data(as_text=True)
    check_screen(html, "/tv/certificates/")
    return html


def test_whole_flow_by_fax_makes_one_request(tv, demo):
    walk_to_delivery(tv, demo)
    html = tv.get("/tv/certificates/delivery/fax").get_data(as_text=True)
    check_screen(html, "/tv/certificates/delivery")
    for bad, reason in [("0607001234", "060"), ("01012345678", "휴대폰"), ("0012125550100", "국제"),
                        ("114", "")]:
        r = post(tv, "/tv/certificates/delivery/fax", html, fax=bad)
        assert r.status_code == 422
        page = r.get_data(as_text=True)
        assert 'id="fax-error"' in page and (reason in page)
    r = post(tv, "/tv/certificates/delivery/fax", html, fax="0221531234")
    assert r.location.endswith("/tv/certificates/confirm")
    html = tv.get(r.location).get_data(as_text=True)
    check_screen(html, "/tv/certificates/delivery")
    assert "02-2153-1234" in html and "김민준" in html  # the household's own number, in full, to check it
    img = tv.get("/tv/certificates/preview.png")
    assert img.status_code == 200 and img.data.startswith(b"\x89PNG")
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    first = post(tv, "/tv/certificates/confirm", html, token=token)
    second = post(tv, "/tv/certificates/confirm", html, token=token)  # OK pressed again
    assert first.location == second.location and "/done/" in first.location
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 1
    done = tv.get(first.location).get_data(as_text=True)
    check_screen(done, "/tv/")
    receipt = first.location.rsplit("/", 1)[1]
    assert receipt in done and "접수" in done


def test_email_flow_with_the_registered_address(tv, demo):
    walk_to_delivery(tv, demo, ctype="resident-copy", ref="R1001", phone="010-0000-0001")
    html = tv.get("/tv/certificates/delivery/email").get_data(as_text=True)
    check_screen(html, "/tv/certificates/delivery")
    assert "yo***@example.com" in html and "youngsoo.kim" not in html
    r = post(tv, "/tv/certificates/delivery/email", html, use="new", email="not an address")
    assert "error=" in r.location
    r = post(tv, "/tv/certificates/delivery/email", html, use="registered")
    assert r.location.endswith("/confirm")


def test_screens_past_identity_need_a_verified_flow(tv, demo):
    for path in ("/tv/certificates/delivery", "/tv/certificates/delivery/fax", "/tv/certificates/confirm"):
        r = tv.get(path)
        assert r.status_code == 302 and r.location.endswith("/tv/certificates/")


def test_a_resident_of_another_household_cannot_be_chosen(tv, demo):
    html = tv.get("/tv/certificates/resident-copy/").get_data(as_text=True)
    r = post(tv, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, "R2001"))
    assert r.location.endswith("/tv/certificates/resident-copy/")
    assert tv.get("/tv/certificates/resident-copy/options").status_code == 302


def test_land_register_offers_only_the_residents_parcels(tv, demo, client):
    html = tv.get("/tv/certificates/land-register/").get_data(as_text=True)
    r = post(tv, "/tv/certificates/land-register/who", html, resident_id=resident_id(demo, "R1001"))
    page = tv.get(r.location).get_data(as_text=True)
    assert "토지가 없습니다" in page  # 김영수 owns no land in the demo register
    assert "토지대장을 발급할 수 없습니다" in page and "토지대장를" not in page  # 을 after 장 (ㅇ)


def test_forms_without_csrf_are_refused(tv, demo):
    r = tv.post("/tv/certificates/resident-copy/who", data={"resident_id": "1"})
    assert r.status_code == 400


def test_a_failed_fax_request_offers_email_instead(tv, demo):
    from services import ledger
    from services.models import Request as Req

    rid = resident_id(demo, "R1001")
    with demo.session() as s:
        req, _ = ledger.create_request(s, demo.crypto, client_token="failed-fax", kind="certificate",
                                       household_id=tv.household_id, resident_id=rid, channel="tv",
                                       delivery_method="fax", delivery_address="02-2153-0000",
                                       options={"certificate_type": "resident-copy"})
        s.get(Req, req.id).status = "failed"
        ledger.append_event(s, req.id, "failed", "failed", {"reason": "fax_failed", "message": "통화 중",
                                                            "offer": "email"})
        receipt = req.receipt_no
    html = tv.get("/tv/requests/%s" % receipt).get_data(as_text=True)
    check_screen(html, "/tv/requests/")
    assert 'id="detail-resend"' in html and "메일로 다시 받기" in html
    r = tv.get("/tv/certificates/resend/%s" % receipt)
    assert r.location.endswith("/tv/certificates/delivery/email")
    assert tv.get(r.location).status_code == 200  # identity already checked for this request


@pytest.mark.parametrize("checked, recorded", [("sms-reply", "sms-reply"), ("tv-code", "tv-code"),
                                               (None, "tv-code")])
def test_a_request_sent_again_the_other_way_says_how_identity_was_checked(tv, demo, checked, recorded):
    """Issue 21: the new request's timeline has its 본인 확인 step, as a new
    request's has: how identity was checked for the failed one (a TV request
    from before that was recorded: by the code typed on the TV)."""
    from services import ledger
    from services.models import Request as Req
    from services.models import RequestEvent

    with demo.session() as s:
        req, _ = ledger.create_request(s, demo.crypto, client_token="failed-fax-%s" % checked, kind="certificate",
                                       household_id=tv.household_id, resident_id=resident_id(demo, "R1001"),
                                       channel="tv", delivery_method="fax", delivery_address="02-2153-0000",
                                       options={"certificate_type": "resident-copy", "full_rrn": "no"})
        if checked:
            ledger.append_event(s, req.id, "verified", "verified", {"by": checked})
        s.get(Req, req.id).status = "failed"
        ledger.append_event(s, req.id, "failed", "failed", {"reason": "fax_failed", "message": "통화 중",
                                                            "offer": "email"})
        failed = req.id
    r = tv.get("/tv/certificates/resend/%s" % req.receipt_no)
    html = tv.get(r.location).get_data(as_text=True)
    r = post(tv, "/tv/certificates/delivery/email", html, use="registered")
    html = tv.get(r.location).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    r = post(tv, "/tv/certificates/confirm", html, token=token)
    assert "/done/" in r.location
    with demo.session() as s:
        new = s.scalar(select(Req).where(Req.id != failed, Req.household_id == tv.household_id)
                       .order_by(Req.id.desc()).limit(1))
        assert new.delivery_method == "email" and new.options["certificate_type"] == "resident-copy"
        events = list(s.scalars(select(RequestEvent).where(RequestEvent.request_id == new.id)
                                .order_by(RequestEvent.id)))
    assert [e.kind for e in events][:2] == ["received", "verified"]
    assert events[1].detail == {"by": recorded}
    done = tv.get(r.location).get_data(as_text=True)
    assert "본인 확인" in done


def test_a_refusal_email_cannot_help_shows_its_whole_reason_and_no_resend(tv, demo):
    """Unpaid taxes stop a 납세증명서 whichever way it would go: the screen
    says the whole reason and does not offer another way of delivery."""
    from services import ledger
    from services.models import Request as Req

    reason = ("체납된 지방세가 있어 납세증명서를 발급할 수 없습니다. 먼저 지방세 화면에서 납부해 주세요. "
              "납부 후 다시 신청하시면 바로 발급됩니다.")
    with demo.session() as s:
        req, _ = ledger.create_request(s, demo.crypto, client_token="failed-arrears", kind="certificate",
                                       household_id=tv.household_id, resident_id=resident_id(demo, "R1001"),
                                       channel="tv", delivery_method="fax", delivery_address="02-2153-0000",
                                       options={"certificate_type": "local-tax-payment"})
        s.get(Req, req.id).status = "failed"
        ledger.append_event(s, req.id, "failed", "failed", {"reason": "arrears", "message": reason})
        receipt = req.receipt_no
    html = tv.get("/tv/requests/%s" % receipt).get_data(as_text=True)
    check_screen(html, "/tv/requests/")
    assert reason in html
    assert 'id="detail-resend"' not in html


def test_the_tv_app_refuses_a_parcel_it_did_not_offer(demo, client):
    """Issue 19 item 12: another household's parcel posted as the option goes
    back to the options screen (the back end would refuse it too); the
    resident's own parcel goes on to the identity check."""
    pair(client, demo, "1144012-0002")
    html = client.get("/tv/certificates/land-register/").get_data(as_text=True)
    r = post(client, "/tv/certificates/land-register/who", html, resident_id=resident_id(demo, "R2001"))
    html = client.get(r.location).get_data(as_text=True)
    assert "P-1144012-0101" in html and "P-1144012-0201" not in html
    r = post(client, "/tv/certificates/land-register/options", html, parcel="P-1144012-0201")
    assert r.status_code == 302 and r.location.endswith("/tv/certificates/land-register/options")
    r = post(client, "/tv/certificates/land-register/options", html, parcel="P-1144012-0101")
    assert r.status_code == 302 and "/identity" in r.location
