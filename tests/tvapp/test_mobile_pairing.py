"""The phone pairing flow end to end with the test client: the TV shows a
code, the phone confirms with the registered number and the SMS one-time
code (read from the outbox), the TV's poll answers paired."""

import re

import pytest
from sqlalchemy import select

from services import pairing
from services.households import get_household
from services.models import SmsMessage
from tests.support.jobs import run_queued
from tests.tvapp.test_tv_screens import device_of

HOUSEHOLD = "1144012-0001"


def csrf(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                     html).group(0).split('value="')[1].rstrip('"')


@pytest.fixture
def registered_phone(demo):
    with demo.session() as s:
        hh = get_household(s, HOUSEHOLD)
        return next(demo.crypto.decrypt(r.phone_enc) for r in hh.residents if r.phone_enc), hh.id


def tv_code(tv):
    html = tv.get("/tv/pair").get_data(as_text=True)
    code = re.search(r'id="pair-code"[^>]*>([A-Z]{4}-[A-Z]{4})<', html).group(1)
    qr = re.search(r'data-qr="(http://[^"]+/m/pair\?code=([A-Z-]+))"', html)
    assert qr and qr.group(2) == code  # the QR's content: a URI with the code in it
    return code, html


def last_otp(rt, phone):
    run_queued(rt)  # the SMS is sent by a worker, after the phone page's answer
    with rt.session() as s:
        msg = s.scalars(select(SmsMessage).where(SmsMessage.purpose == "pairing")
                        .order_by(SmsMessage.id.desc())).first()
        assert msg is not None and msg.phone_masked.endswith(phone[-4:])
        return re.search(r"인증번호 (\d{6})", msg.body).group(1)


def test_pair_with_phone_and_sms_code(demo, app, registered_phone):
    phone, hid = registered_phone
    tv, phone_client = app.test_client(), app.test_client()
    code, _ = tv_code(tv)
    assert tv.get("/tv/pair/poll").get_json()["status"] == pairing.PENDING

    page = phone_client.get("/m/pair?code=%s" % code.lower().replace("-", ""))
    html = page.get_data(as_text=True)
    assert 'value="%s"' % code in html  # prefilled from the QR, formatted
    r = phone_client.post("/m/pair", data={"csrf_token": csrf(html), "code": code.lower(),
                                           "phone": phone})
    assert r.status_code == 302 and r.location.endswith("/m/pair/verify")
    assert phone not in r.location and pairing.normalize(code) not in r.location
    otp = last_otp(demo, phone)

    html = phone_client.get("/m/pair/verify").get_data(as_text=True)
    r = phone_client.post("/m/pair/verify", data={"csrf_token": csrf(html), "otp": otp})
    assert r.status_code == 302 and r.location.endswith("/m/pair/done")
    assert "연결되었습니다" in phone_client.get("/m/pair/done").get_data(as_text=True)

    answer = tv.get("/tv/pair/poll").get_json()
    assert answer["status"] == pairing.PAIRED and answer["next"] == "/tv/"
    assert device_of(tv, demo).household_id == hid
    assert tv.get("/tv/").status_code == 200
    assert tv.get("/tv/pair").status_code == 302


def test_unregistered_phone_answers_alike_and_wrong_codes_count_against_the_code(demo, app, registered_phone):
    phone, _ = registered_phone
    tv, ph, other = app.test_client(), app.test_client(), app.test_client()
    code, _ = tv_code(tv)
    # An unregistered number goes on to the one-time code like any other
    # (tests/security/test_pair_enumeration.py compares the answers); no code
    # it could type is ever right, and each try counts against the TV's code.
    html = other.get("/m/pair").get_data(as_text=True)
    r = other.post("/m/pair", data={"csrf_token": csrf(html), "code": code, "phone": "019-8765-4321"})
    assert r.status_code == 302 and r.location.endswith("/m/pair/verify")
    html = other.get("/m/pair/verify").get_data(as_text=True)
    r = other.post("/m/pair/verify", data={"csrf_token": csrf(html), "otp": "000000"})
    assert "맞지 않습니다" in r.get_data(as_text=True)

    html = ph.get("/m/pair").get_data(as_text=True)
    r = ph.post("/m/pair", data={"csrf_token": csrf(html), "code": code, "phone": phone})
    assert r.status_code == 302
    html = ph.get("/m/pair/verify").get_data(as_text=True)
    for _ in range(3):
        r = ph.post("/m/pair/verify", data={"csrf_token": csrf(html), "otp": "000000"})
        assert "맞지 않습니다" in r.get_data(as_text=True)
    r = ph.post("/m/pair/verify", data={"csrf_token": csrf(html), "otp": "000000"})
    assert "5번" in r.get_data(as_text=True)  # 1 + 4 failures: the code is dead
    assert tv.get("/tv/pair/poll").get_json()["status"] == pairing.EXPIRED
    new_code, _ = tv_code(tv)
    assert new_code != code


def test_unknown_code_and_missing_csrf(demo, app, registered_phone):
    phone, _ = registered_phone
    ph = app.test_client()
    html = ph.get("/m/pair").get_data(as_text=True)
    r = ph.post("/m/pair", data={"csrf_token": csrf(html), "code": "BBBB-BBBB", "phone": phone})
    assert "연결 번호를 찾을 수 없습니다" in r.get_data(as_text=True)
    r = ph.post("/m/pair", data={"code": "BBBB-BBBB", "phone": phone})
    assert r.status_code == 400
    assert ph.get("/m/pair/verify").status_code == 302  # nothing started
