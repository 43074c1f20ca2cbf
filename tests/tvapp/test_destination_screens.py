"""Remembered destinations on the TV with the test client as a paired box:
the delivery screen lists the household's fax numbers (in full, with their
names) and the registered email first, one press to pick; a number the
numbering plan now refuses is shown disabled with the reason; removing one;
naming one on the phone page while the TV waits; 같은 증명서 다시 받기 on 나의
민원; the one-press 납세증명서 route."""

import json
import re

import pytest
from sqlalchemy import func, select

from services import destinations
from services.certificates import requests as certs
from services.ledger import get_by_receipt
from services.models import Destination, Device, Request, Resident, utcnow
from services.sms import messages_for_phone
from tests.tvapp.test_certificate_screens import post, resident_id, walk_to_delivery
from tests.tvapp.test_tv_screens import check_screen, pair

BANK_FAX = "02-2153-1234"


@pytest.fixture
def tv(demo, client):
    client.household_id = pair(client, demo)
    return client


def remember(rt, hid, number, label=""):
    with rt.session() as s:
        destinations.remember(s, rt.crypto, hid, number)
    d = next(d for d in destinations.household_destinations(rt, hid) if d.number == number)
    if label:
        destinations.give_name(rt, destinations.start_naming(rt, hid, d.id), label)
    return d.id


def refused_number(rt, hid):
    with rt.session() as s:
        row = Destination(household_id=hid, method="fax", number_enc=rt.crypto.encrypt("060-700-1234"),
                          number_hash=rt.crypto.keyed_hash("0607001234", "destination-fax"),
                          last_used_at=utcnow(), created_at=utcnow())
        s.add(row)
        s.flush()
        return row.id


def test_delivery_lists_remembered_places_first_and_one_press_picks(tv, demo):
    bank = remember(demo, tv.household_id, BANK_FAX, "국민은행 마포지점")
    bad = refused_number(demo, tv.household_id)
    html = walk_to_delivery(tv, demo)  # 김민준, who has a registered email
    assert 'id="dest-%d"' % bank in html and BANK_FAX in html and "국민은행 마포지점" in html
    assert re.search(r'id="dest-%d" data-nav-default' % bank, html)  # the first usable one is focused
    assert 'value="d%d"' % bad not in html  # shown, not offered
    assert "060-700-1234" in html and "쓸 수 없음" in html and "060" in html.split('id="dest-%d-why"' % bad)[1][:200]
    assert 'id="dest-email"' in html and "등록된 메일" in html
    assert 'id="method-fax"' in html and 'id="method-email"' in html

    r = post(tv, "/tv/certificates/delivery/saved", html, place="d%d" % bad)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    check_screen(page, "/tv/certificates/")
    assert 'id="delivery-error"' in page and "060" in page.split('id="delivery-error"')[1][:200]

    r = post(tv, "/tv/certificates/delivery/saved", html, place="d%d" % bank)
    assert r.location.endswith("/tv/certificates/confirm")
    confirm = tv.get(r.location).get_data(as_text=True)
    check_screen(confirm, "/tv/certificates/delivery")
    assert "02-2153-1234 (국민은행 마포지점)" in confirm  # in full, with its name: the household's own

    r = post(tv, "/tv/certificates/delivery/saved", html, place="email")
    assert r.location.endswith("/tv/certificates/confirm")
    assert "@" in tv.get(r.location).get_data(as_text=True)
    r = post(tv, "/tv/certificates/delivery/saved", html, place="../x")
    assert r.location.endswith("/tv/certificates/delivery")


def test_remove_a_remembered_number(tv, demo):
    bank = remember(demo, tv.household_id, BANK_FAX)
    html = walk_to_delivery(tv, demo)
    assert tv.post("/tv/certificates/destinations/%d/forget" % bank).status_code == 400  # CSRF
    r = post(tv, "/tv/certificates/destinations/%d/forget" % bank, html)
    assert r.location.endswith("/tv/certificates/delivery?m=forgot")
    page = tv.get(r.location).get_data(as_text=True)
    check_screen(page, "/tv/certificates/")
    assert BANK_FAX not in page and "지웠습니다" in page
    assert destinations.household_destinations(demo, tv.household_id) == []


def test_name_a_number_on_the_phone_while_the_tv_waits(tv, demo):
    bank = remember(demo, tv.household_id, BANK_FAX)
    page = tv.get("/tv/certificates/destinations/%d/name" % bank).get_data(as_text=True)
    check_screen(page, "/tv/certificates/delivery")
    assert BANK_FAX in page
    url = re.search(r'data-qr="([^"]+)"', page).group(1)
    poll = re.search(r'data-live="([^"]+)"', page).group(1)
    assert tv.get(poll).get_json()["done"] is False
    phone = tv.application.test_client()
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    form = phone.get(path).get_data(as_text=True)
    assert "02-****-1234" in form and BANK_FAX not in form  # whoever holds the QR sees it masked
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    done = phone.post(path, data={"label": "국민은행 마포지점", "csrf_token": token}).get_data(as_text=True)
    assert "국민은행 마포지점으로 저장했습니다" in done
    assert tv.get(poll).get_json() == {"done": True, "next": "/tv/certificates/delivery"}
    assert destinations.household_destinations(demo, tv.household_id)[0].label == "국민은행 마포지점"
    other = tv.application.test_client()
    pair(other, demo, code="1144012-0002")
    assert other.get(poll).get_json()["done"] is False  # another household's box learns nothing
    assert phone.get("/m/name/nope").status_code == 404
    assert tv.get("/tv/certificates/destinations/999999/name").status_code == 404


def delivered_request(rt, hid, ref="R1001"):
    with rt.session() as s:
        rid = s.scalar(select(Resident.id).where(Resident.ref == ref))
        req, _ = certs.submit(s, rt, client_token="old-1", household_id=hid, resident_id=rid,
                              cert_type="resident-copy", options={"full_rrn": "no"}, method="fax", address=BANK_FAX)
        return req.receipt_no


def test_same_certificate_again_from_my_requests(tv, demo):
    receipt = delivered_request(demo, tv.household_id)
    page = tv.get("/tv/requests/").get_data(as_text=True)
    assert 'id="repeat-' not in page  # not delivered yet
    r = tv.get("/tv/certificates/repeat/" + receipt)
    assert r.status_code == 422 and "전달이 끝난 증명서만" in r.get_data(as_text=True)
    with demo.session() as s:
        get_by_receipt(s, receipt).status = "delivered"
    page = tv.get("/tv/requests/").get_data(as_text=True)
    check_screen(page, "/tv/")
    assert 'id="repeat-%s"' % receipt in page and "같은 증명서 다시 받기" in page and BANK_FAX in page
    r = tv.get("/tv/certificates/repeat/" + receipt)
    assert r.location.endswith("/tv/certificates/identity")
    html = tv.get(r.location).get_data(as_text=True)
    assert "010-****-0001" in html  # 김영수's phone: the same person
    assert tv.get("/tv/certificates/delivery").location.endswith("/tv/certificates/")  # not approved yet


def test_same_certificate_again_from_a_request_s_own_screen(tv, demo):
    """Issue 21: a delivered certificate request's screen offers the repeat
    (BLUE); one still on its way, or failed, does not."""
    receipt = delivered_request(demo, tv.household_id)
    page = tv.get("/tv/requests/%s" % receipt).get_data(as_text=True)
    assert 'id="detail-repeat"' not in page  # not delivered yet
    for status, offered in (("failed", False), ("cancelled", False), ("delivered", True), ("completed", True)):
        with demo.session() as s:
            get_by_receipt(s, receipt).status = status
        page = tv.get("/tv/requests/%s" % receipt).get_data(as_text=True)
        assert ('id="detail-repeat"' in page) is offered, status
    check_screen(page, "/tv/requests/")
    link = re.search(r'<a class="btn" id="detail-repeat" href="([^"]+)" data-nav-key="BLUE"', page)
    assert link and "같은 증명서 다시 받기" in page
    r = tv.get(link.group(1))
    assert r.location.endswith("/tv/certificates/identity")
    html = tv.get(r.location).get_data(as_text=True)
    assert "010-****-0001" in html  # 김영수's phone: the same person
    # what is asked for and where it goes, before the resident approves
    line = re.search(r'<p class="preset-line" id="preset-line">(.*?)</p>', html).group(1)
    assert "주민등록표 등본" in line and "팩스" in line and BANK_FAX in line
    html = tv.get("/tv/certificates/resident-copy/").get_data(as_text=True)  # the long way: no such line
    r = post(tv, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, "R1001"))
    r = post(tv, r.location, tv.get(r.location).get_data(as_text=True), full_rrn="no")
    assert r.location.endswith("/tv/certificates/identity")
    assert 'id="preset-line"' not in tv.get(r.location).get_data(as_text=True)
    with demo.session() as s:
        s.scalar(select(Device).where(Device.household_id == tv.household_id)).lang = "en"
    page = tv.get("/tv/requests/%s" % receipt).get_data(as_text=True)
    assert "Get the same certificate again" in page and 'data-nav-label="Request again"' in page


def test_one_press_certificate_route(tv, demo):
    rid = resident_id(demo, "R1001")
    r = tv.get("/tv/certificates/quick/tax-payment/%d/email" % rid)
    assert r.location.endswith("/tv/certificates/identity")
    r = tv.get("/tv/certificates/quick/tax-payment/%d/d99999" % rid)
    assert r.status_code == 422
    r = tv.get("/tv/certificates/quick/tax-payment/%d/email" % resident_id(demo, "R2001"))  # another household
    assert r.status_code == 422


def test_the_long_way_after_a_one_press_start_forgets_the_preset(tv, demo):
    rid = resident_id(demo, "R1001")
    tv.get("/tv/certificates/quick/tax-payment/%d/email" % rid)
    html = tv.get("/tv/certificates/tax-payment/").get_data(as_text=True)
    post(tv, "/tv/certificates/tax-payment/who", html, resident_id=rid)
    page = tv.get("/tv/certificates/tax-payment/options").get_data(as_text=True)
    assert 'id="opt-form"' in page or "사용 목적" in page
    with demo.session() as s:
        device = s.scalar(select(Device).where(Device.household_id == tv.household_id))
        flow = json.loads(demo.crypto.decrypt(demo.redis.get("certflow:%d" % device.id).decode()))
    assert "preset" not in flow and "client_token" not in flow


def test_a_one_press_request_is_made_once_and_needs_a_new_check_after(tv, demo):
    rid = resident_id(demo, "R1001")
    html = tv.get(tv.get("/tv/certificates/quick/tax-payment/%d/email" % rid).location).get_data(as_text=True)
    r = post(tv, "/tv/certificates/identity/send", html)
    html = tv.get(r.location).get_data(as_text=True)
    with demo.session() as s:
        body = messages_for_phone(s, demo, "010-0000-0001")[0].body
    r = post(tv, "/tv/certificates/identity/check", html, code=re.search(r"인증번호 (\d{6})", body).group(1))
    assert r.location.endswith("/tv/certificates/delivery")
    first = tv.get(r.location)
    assert "/tv/certificates/done/" in first.location
    again = tv.get("/tv/certificates/delivery")  # a reload, a second OK
    assert again.location == first.location
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 1
    for path in ("/tv/certificates/delivery/fax", "/tv/certificates/delivery/email", "/tv/certificates/confirm"):
        assert tv.get(path).location.endswith("/tv/certificates/")  # the check was spent on that one


def test_in_english(tv, demo):
    remember(demo, tv.household_id, BANK_FAX, "국민은행 마포지점")
    html = walk_to_delivery(tv, demo)
    with demo.session() as s:
        s.scalar(select(Device).where(Device.household_id == tv.household_id)).lang = "en"
    page = tv.get("/tv/certificates/delivery").get_data(as_text=True)
    for english in ("Fax", "Other fax number", "Other email address", "Name", "Registered email"):
        assert english in page, english
    for korean in ("다른 팩스 번호로", "등록된 메일", "받는 방법"):
        assert korean not in page, korean
    assert "국민은행 마포지점" in page  # the name the household gave stays as given
    receipt = delivered_request(demo, tv.household_id)
    with demo.session() as s:
        get_by_receipt(s, receipt).status = "delivered"
    page = tv.get("/tv/requests/").get_data(as_text=True)
    assert "Get the same certificate again" in page and "같은 증명서" not in page
    assert html
