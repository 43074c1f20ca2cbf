"""Walk-throughs (issues 17 and 21): the top tasks from the home screen with
the remote alone, in real Chromium at 1280x720, counting the keys pressed
(``TvDriver.presses``). Each prints its count (visible in ``make test``
output) and asserts what the resident sees at the end and the count against
issue 21's targets:

- a tax bill paid by the phone hand-off: at most 6 presses on the TV (the
  phone pays over HTTP while the TV sits on the QR screen and moves on by
  itself);
- the 납세증명서 after paying: at most 4, approved by replying 1 to the SMS
  (no key pressed while the TV waits) or by typing the code (its 6 digits
  counted apart);
- the same certificate again to a remembered fax number from 나의 민원: at most
  8, approved either way;
- reading a news article; changing the text size in settings.

No letter is typed on the TV; nothing here waits on or asserts a time.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from broadcast_feed import demo as news_demo
from broadcast_feed import push
from services import destinations
from services.certificates import requests as certs
from services.households import get_household
from services.models import Request, RequestEvent, Resident
from services.sms import messages_for_phone
from tests.tvapp.browser.test_tv_browser import go, press_nav, ready
from tests.tvapp.browser.test_walkthrough_certificates import reply_from_phone
from tests.tvapp.test_tv_screens import csrf

pytestmark = pytest.mark.browser

HOUSEHOLD = "1144012-0001"
YOUNGSOO = "010-0000-0001"  # 김영수, the payer of the bills and the holder of the 등본
OVERDUE = "1144012608260000022"  # 주민세 10,300원, payer 김영수 (R1001)
GOOD = dict(number="4111111111111111", expiry="1230", birth="480312", password2="12")
BANK_FAX, BANK = "02-2153-1234", "국민은행 마포지점"


@pytest.fixture
def own_backend(demo, private_backend, monkeypatch):
    """Paying changes the back end's bills: use one of the test's own."""
    monkeypatch.setattr(demo.config, "BACKEND_URL", private_backend.url)
    demo.__dict__.pop("bridge", None)
    yield private_backend
    demo.__dict__.pop("bridge", None)


def report(capsys, task, presses, digits=0, target=None):
    with capsys.disabled():
        extra = " + %d code digits (%d keys in all)" % (digits, presses + digits) if digits else ""
        print("\n[walk-through] %s: %d presses%s%s" % (
            task, presses, extra, " (target <= %d)" % target if target else ""))


def start_at_home(tv, server):
    tv.page.goto(server + "/tv/simulator")  # pairs this box to 1144012-0001
    go(tv, server + "/tv/")
    assert tv.focused_id() == "tile-certificates"
    tv.presses = 0


def code_for(rt, phone, nth=0):
    with rt.session() as s:
        body = messages_for_phone(s, rt, phone)[nth].body
    return re.search(r"인증번호 (\d{6})", body).group(1)


def remember_the_bank(rt):
    """The household sent to its bank's fax before and named it on the phone."""
    with rt.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        destinations.remember(s, rt.crypto, hid, BANK_FAX)
    token = destinations.start_naming(rt, hid, destinations.household_destinations(rt, hid)[0].id)
    destinations.give_name(rt, token, BANK)
    return hid


def approve(tv, rt, server, how, phone=YOUNGSOO):
    """The identity step: OK to send the SMS, then either the phone replies 1
    (the TV moves on by itself) or the six digits typed, down to 확인, OK.
    Returns the digits pressed (counted apart)."""
    assert tv.focused_id() == "code-send"
    press_nav(tv, "OK", "/tv/certificates/identity")
    if how == "reply":
        before = tv.presses
        assert "승인했습니다" in reply_from_phone(server, "1", phone=phone)
        tv.page.wait_for_url(re.compile(r"/tv/certificates/done/"), timeout=20000)
        ready(tv)
        assert tv.presses == before  # no key pressed
        return 0
    assert tv.focused_id() == "code"
    before = tv.presses
    for digit in code_for(rt, phone):
        tv.press(digit)
    digits = tv.presses - before
    tv.press("DOWN")
    assert tv.focused_id() == "code-ok"
    with tv.page.expect_navigation(url=re.compile(r"/tv/certificates/done/")):
        tv.press("OK")
    ready(tv)
    return digits


def pay_on_the_phone(server, tv):
    """What the resident does on the phone: open the QR's page and pay (HTTP, as a phone would)."""
    url = tv.page.get_attribute("img[data-qr]", "data-qr")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    phone = requests.Session()
    form = phone.get(server + path, timeout=10).text
    assert "10,300원" in form
    r = phone.post(server + path, data=dict(GOOD, csrf_token=csrf(form)), timeout=10)
    assert r.status_code == 200 and "납부했습니다" in r.text


@pytest.mark.parametrize("how", ["reply", "code"])
def test_tax_paid_by_phone_then_the_certificate_in_one_press(own_backend, server, demo, tv, capsys, how):
    hid = remember_the_bank(demo)
    start_at_home(tv, server)
    press_nav(tv, "2", "/tv/taxes/")  # number key 2: 지방세
    press_nav(tv, "1", "/tv/taxes/bill/" + OVERDUE)  # the overdue 주민세
    assert tv.focused_id() == "method-phone"  # paying on the phone comes first
    press_nav(tv, "OK", "/tv/taxes/bill/%s/phone" % OVERDUE)
    assert "휴대폰에서 납부를 기다리는" in tv.page.inner_text("#phone-status")

    # The phone pays; the TV, untouched, follows to the result.
    with tv.page.expect_navigation(url=re.compile(r"/tv/taxes/result/"), timeout=30000):
        pay_on_the_phone(server, tv)
    ready(tv)
    paid = tv.presses
    report(capsys, "tax bill paid by phone hand-off", paid, target=6)
    assert "주민세 10,300원을 납부했습니다." in tv.page.inner_text("#result-text")
    assert paid <= 6
    assert requests.get(own_backend.url + "/pay/v1/admin/stats", timeout=5).json()["charges"] == 1

    # The 납세증명서 in one press, to the bank's fax the household named.
    tv.presses = 0
    assert tv.focused_id() == "result-cert-quick"
    offer = tv.page.inner_text("#result-cert-quick")
    assert BANK_FAX in offer and BANK in offer
    press_nav(tv, "OK", "/tv/certificates/identity")
    digits = approve(tv, demo, server, how)
    cert = tv.presses - digits
    report(capsys, "납세증명서 after paying (approved by %s)" % how, cert, digits, target=4)
    assert "신청되었습니다" in tv.page.inner_text("#screen-title")
    assert "지방세 납세증명서" in tv.page.inner_text("#tv-main") and "02-****-1234" in tv.page.inner_text("#tv-main")
    assert cert <= 4 and digits == (6 if how == "code" else 0)
    with demo.session() as s:
        req = s.scalar(select(Request).where(Request.kind == "certificate"))
        payer = s.scalar(select(Resident).where(Resident.ref == "R1001"))
        assert req.options == {"certificate_type": "tax-payment", "purpose": "기타"}
        assert (req.resident_id, req.household_id, req.delivery_method) == (payer.id, hid, "fax")
        assert demo.crypto.decrypt(req.delivery_address_enc) == BANK_FAX
        assert s.scalar(select(RequestEvent.detail).where(RequestEvent.request_id == req.id,
                                                          RequestEvent.kind == "verified")) == {
            "by": "sms-reply" if how == "reply" else "tv-code"}


def delivered_to_the_bank(rt):
    """A 등본 for 김영수 delivered to the bank's fax, some time ago."""
    hid = remember_the_bank(rt)
    with rt.session() as s:
        rid = s.scalar(select(Resident.id).where(Resident.ref == "R1001"))
        req, _ = certs.submit(s, rt, client_token="walk-old", household_id=hid, resident_id=rid,
                              cert_type="resident-copy", options={"full_rrn": "no"}, method="fax",
                              address=BANK_FAX)
        req.status = "delivered"
        return req.receipt_no


@pytest.mark.parametrize("how", ["reply", "code"])
def test_repeat_to_a_remembered_number(server, demo, tv, capsys, how):
    old = delivered_to_the_bank(demo)
    start_at_home(tv, server)
    press_nav(tv, "4", "/tv/requests/")  # number key 4: 나의 민원
    if tv.focused_id() != "repeat-" + old:
        tv.press("UP")
    assert tv.focused_id() == "repeat-" + old
    offer = tv.page.inner_text("#repeat-" + old)
    assert "주민등록표 등본" in offer and "김영수" in offer and BANK_FAX in offer and BANK in offer
    press_nav(tv, "OK", "/tv/certificates/identity")
    digits = approve(tv, demo, server, how)
    presses = tv.presses - digits
    report(capsys, "same certificate again to a remembered fax (approved by %s)" % how, presses, digits, target=8)
    assert "신청되었습니다" in tv.page.inner_text("#screen-title")
    new = tv.page.inner_text("#receipt").strip()
    assert new != old
    assert presses <= 8 and digits == (6 if how == "code" else 0)
    with demo.session() as s:
        old_req, new_req = (s.scalar(select(Request).where(Request.receipt_no == n)) for n in (old, new))
        assert old_req.status == "delivered"  # the old one is left as it was
        assert new_req.options == old_req.options and new_req.resident_id == old_req.resident_id
        assert demo.crypto.decrypt(new_req.delivery_address_enc) == BANK_FAX
        assert s.query(Request).count() == 2


def test_read_a_news_article(server, demo, tv, capsys, monkeypatch):
    monkeypatch.setattr(push, "STREAM_SECONDS", 5.0)
    news_demo.seed(demo)
    start_at_home(tv, server)
    press_nav(tv, "3", "/tv/news/")  # number key 3: 지역 소식
    first = tv.focused_id()
    assert first.startswith("news-")
    title = tv.page.inner_text("#" + first + " .n-title")
    press_nav(tv, "OK", "/tv/news/")
    report(capsys, "news article", tv.presses)
    assert tv.focused_id() == "article-text"
    assert tv.page.inner_text("#article-title").strip() == title.strip()
    assert tv.page.inner_text("#article-text").strip()
    assert tv.presses <= 2


def test_change_the_text_size(server, demo, tv, capsys):
    start_at_home(tv, server)
    press_nav(tv, "5", "/tv/settings/")  # number key 5: 설정/도움말
    tv.press("DOWN")
    tv.press("RIGHT")
    assert tv.focused_id() == "size-large"
    press_nav(tv, "OK", "/tv/settings/")
    report(capsys, "text size", tv.presses)
    assert tv.page.get_attribute("html", "class") == "rn-text-large"
    assert tv.focused_id() == "size-large"
    assert tv.presses <= 4
