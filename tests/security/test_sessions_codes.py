"""Sessions and one-time codes, through the HTTP endpoints.

Sessions: the console's session after login is a new one (a cookie from
before login, planted or kept, acts as nobody); a cookie copied while logged
in is dead after logout; cookies are HttpOnly, SameSite and, in production,
Secure; a TV box never adopts a device token it did not issue.

Codes: five wrong answers lock the certificate identity check, the SMS
petition code and the phone pairing code; the sixth, right, answer is then
refused, and asking for a new code does not lift the lock. Pairing codes
cannot be guessed (misses per caller are limited), the console lockout
ignores case and spaces in the user name, and verification numbers are rate
limited.
"""

from __future__ import annotations

import copy
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from services import otp
from services.certificates.requests import otp_subject
from services.models import Device, Request, SmsMessage
from services.sms import messages_for_phone
from tests.security.conftest import console_login, csrf_token
from tests.support.jobs import run_queued
from tests.tvapp.test_certificate_screens import code_from_outbox, post, resident_id
from tests.tvapp.test_tv_screens import pair

# -- console sessions ----------------------------------------------------------


def _session(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def _cookie(app, client) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _ticker_texts(app):
    return [m["text"] for m in app.test_client().get("/tv/ticker.json").get_json()["messages"]]


def test_login_starts_a_new_session(app, seeded):
    victim = app.test_client()
    token = csrf_token(victim, "/console/login")
    before = _cookie(app, victim)
    planted = app.test_client()  # the attacker kept (or planted) the pre-login cookie
    planted.set_cookie(app.config["SESSION_COOKIE_NAME"], before)
    r = victim.post("/console/login", data={"username": "approver", "password": "approver-demo-1234",
                                            "csrf_token": token})
    assert r.status_code == 303
    after = _session(app, victim)
    assert _cookie(app, victim) != before and after.get("op_id")
    assert after.get("csrf_token") != _session(app, planted).get("csrf_token")  # cleared at login
    r = planted.get("/console/")
    assert r.status_code == 302 and "/console/login" in r.location
    r = planted.post("/console/ticker", data={"text": "planted", "minutes": "30", "csrf_token": token})
    assert r.status_code in (302, 400) and "planted" not in _ticker_texts(app)


def test_a_copied_cookie_is_dead_after_logout(app, seeded):
    op = console_login(app, "approver")
    stolen = _cookie(app, op)
    op.post("/console/logout", data={"csrf_token": csrf_token(op, "/console/")})
    assert op.get("/console/").status_code == 302
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    r = thief.get("/console/")
    assert r.status_code == 302 and "/console/login" in r.location, "the logged-out session still works"
    token = _session(app, thief).get("csrf_token", "")
    r = thief.post("/console/ticker", data={"text": "replayed", "minutes": "30", "csrf_token": token})
    assert r.status_code != 303 and "replayed" not in _ticker_texts(app)
    # logging in again works, and that new session is not the old one
    again = console_login(app, "approver")
    assert _cookie(app, again) != stolen and again.get("/console/").status_code == 200


def test_cookie_flags(app, runtime, seeded):
    c = console_login(app, "editor")
    r = c.get("/console/")
    assert r.status_code == 200
    r = app.test_client().get("/console/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    from tvapp import create_app

    config = copy.copy(runtime.config)
    config.ENV = "production"
    prod = create_app(config)
    prod.config.update(TESTING=True)
    box = prod.test_client()
    cookies = box.get("/tv/").headers.getlist("Set-Cookie") + prod.test_client().get(
        "/console/login").headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"tv_device", prod.config["SESSION_COOKIE_NAME"]}
    for c in cookies:
        assert "Secure" in c and "HttpOnly" in c, c


def test_a_device_token_the_server_did_not_issue_is_never_adopted(app, demo):
    chosen = "attacker-chosen-token-0123456789"
    box = app.test_client()
    box.set_cookie("tv_device", chosen)
    r = box.get("/tv/")
    assert r.status_code == 302
    issued = box.get_cookie("tv_device").value
    assert issued != chosen
    pair(box, demo)
    with demo.session() as s:
        hashes = set(s.scalars(select(Device.token_hash)))
    assert demo.crypto.keyed_hash(chosen, "tv-device") not in hashes
    other = app.test_client()
    other.set_cookie("tv_device", chosen)
    assert other.get("/tv/").status_code == 302  # still nobody's box: sent to pairing


# -- the certificate identity check (TV) ----------------------------------------------------


def _to_identity(tv, rt, ref="R1003"):
    html = tv.get("/tv/certificates/resident-abstract/").get_data(as_text=True)
    r = post(tv, "/tv/certificates/resident-abstract/who", html, resident_id=resident_id(rt, ref))
    r = tv.get(r.location)
    if "opt-form" in r.get_data(as_text=True):
        r = post(tv, "/tv/certificates/resident-abstract/options", r.get_data(as_text=True),
                 past_addresses="yes", full_rrn="no")
        r = tv.get(r.location)
    return r.get_data(as_text=True)


def _sms_count(rt, phone, purpose):
    run_queued(rt)  # a pairing code's SMS is sent by a worker, after the answer
    with rt.session() as s:
        return sum(m.purpose == purpose for m in messages_for_phone(s, rt, phone))


def test_identity_code_locks_after_five_wrong(app, demo):
    tv = app.test_client()
    pair(tv, demo)
    html = _to_identity(tv, demo)
    phone = "010-0000-0003"
    post(tv, "/tv/certificates/identity/send", html)
    code = code_from_outbox(demo, phone)
    wrong = "%06d" % ((int(code) + 7) % 1_000_000)
    for n in range(1, 5):
        r = post(tv, "/tv/certificates/identity/check", html, code=wrong)
        assert "m=wrong" in r.location, n
    # re-asking for a code at once does not start a fresh count
    sent = _sms_count(demo, phone, "otp")
    r = post(tv, "/tv/certificates/identity/send", html)
    assert "m=cooldown" in r.location and _sms_count(demo, phone, "otp") == sent
    r = post(tv, "/tv/certificates/identity/check", html, code=wrong)  # the fifth
    assert r.status_code == 200 and "잠시 잠겼습니다" in r.get_data(as_text=True)
    r = post(tv, "/tv/certificates/identity/check", html, code=code)  # the sixth, right
    assert r.status_code == 200 and "잠시 잠겼습니다" in r.get_data(as_text=True)
    assert tv.get("/tv/certificates/delivery").status_code == 302  # not verified
    r = post(tv, "/tv/certificates/identity/send", html)  # a new code: refused while locked
    assert "잠시 잠겼습니다" in r.get_data(as_text=True) and _sms_count(demo, phone, "otp") == sent
    r = post(tv, "/tv/certificates/identity/check", html, code=code)
    assert "잠시 잠겼습니다" in r.get_data(as_text=True)


def test_identity_guesses_per_hour_are_bounded_even_waiting_out_every_pause(app, demo):
    """Waiting out each cooldown and lock (simulated by dropping their keys):
    at most MAX_SENDS_PER_HOUR codes an hour, so at most 25 guesses."""
    tv = app.test_client()
    pair(tv, demo)
    html = _to_identity(tv, demo)
    rid = resident_id(demo, "R1003")
    subject = otp_subject(rid)
    guesses, refused = 0, None
    for _ in range(20):
        demo.redis.delete("otp:cooldown:%s" % subject, "otp:lock:%s" % subject)  # time passes
        r = post(tv, "/tv/certificates/identity/send", html)
        if "m=sent" not in (r.location or ""):
            refused = r.location
            break
        wrong = "%06d" % ((int(code_from_outbox(demo, "010-0000-0003")) + 1) % 1_000_000)
        for _ in range(otp.MAX_ATTEMPTS):
            post(tv, "/tv/certificates/identity/check", html, code=wrong)
            guesses += 1
    assert guesses == otp.MAX_ATTEMPTS * otp.MAX_SENDS_PER_HOUR
    assert refused and "m=too_many_sends" in refused


# -- the SMS petition code ------------------------------------------------------------------


def test_sms_code_locks_after_five_wrong(app, demo, monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)
    gw = app.test_client()
    phone, ts = "010-0000-0004", iter(range(100))

    def mo(text):
        q = "from=%s&to=1588-0000&text=%s&smsc=sk&ts=%d" % (quote(phone), quote(text), next(ts))
        return gw.get("/gateway/kannel/mo?" + q).get_data(as_text=True)

    assert "인증번호" in mo("등본 팩스 02-2153-1234")
    with demo.session() as s:
        body = next(m.body for m in messages_for_phone(s, demo, phone) if m.purpose == "otp")
    code = re.search(r"인증번호 (\d{6})", body).group(1)
    wrong = "%06d" % ((int(code) + 1) % 1_000_000)
    replies = [mo("확인 " + wrong) for _ in range(5)]
    assert "남은 횟수 4번" in replies[0] and "잠시 잠겼습니다" in replies[4]
    assert "접수" not in mo("확인 " + code)
    sent = _sms_count(demo, phone, "otp")
    assert "잠시 잠겼습니다" in mo("등본 팩스 02-2153-1234")  # a new code: refused
    assert _sms_count(demo, phone, "otp") == sent
    assert "접수" not in mo("확인 " + code)
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 0


# -- phone pairing ----------------------------------------------------------------------------


def _tv_code(tv):
    html = tv.get("/tv/pair").get_data(as_text=True)
    return re.search(r'id="pair-code"[^>]*>([A-Z]{4}-[A-Z]{4})<', html).group(1)


def test_pairing_code_locks_after_five_wrong(app, demo):
    tv, ph = app.test_client(), app.test_client()
    code, phone = _tv_code(tv), "010-0000-0001"
    r = ph.post("/m/pair", data={"csrf_token": csrf_token(ph, "/m/pair"), "code": code, "phone": phone})
    assert r.status_code == 302
    run_queued(demo)
    with demo.session() as s:
        body = s.scalars(select(SmsMessage.body).where(SmsMessage.purpose == "pairing")
                         .order_by(SmsMessage.id.desc())).first()
    right = re.search(r"인증번호 (\d{6})", body).group(1)
    wrong = "%06d" % ((int(right) + 3) % 1_000_000)
    token = csrf_token(ph, "/m/pair/verify")
    for _ in range(5):
        r = ph.post("/m/pair/verify", data={"csrf_token": token, "otp": wrong})
    r = ph.post("/m/pair/verify", data={"csrf_token": token, "otp": right})  # the sixth, right
    assert r.status_code == 302 and r.location.endswith("/m/pair")  # the attempt is over
    assert tv.get("/tv/pair/poll").get_json()["status"] != "paired"
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(Device).where(Device.household_id.is_not(None))) == 0
    # starting again with the same code: dead; a new code: no new SMS code while locked,
    # and the page does not say so (it would tell a resident's phone apart:
    # tests/security/test_pair_enumeration.py)
    r = ph.post("/m/pair", data={"csrf_token": csrf_token(ph, "/m/pair"), "code": code, "phone": phone})
    assert r.status_code == 200
    new = _tv_code(tv)
    sent = _sms_count(demo, phone, "pairing")
    r = ph.post("/m/pair", data={"csrf_token": csrf_token(ph, "/m/pair"), "code": new, "phone": phone})
    assert r.status_code == 302 and r.location.endswith("/m/pair/verify")
    assert _sms_count(demo, phone, "pairing") == sent


def test_pairing_codes_cannot_be_guessed(app, demo):
    tv, ph = app.test_client(), app.test_client()
    real = _tv_code(tv)
    token = csrf_token(ph, "/m/pair")
    for n in range(10):
        guess = "BCDF" + "".join("BCDFGHJKLM"[(n + i) % 10] for i in range(4))
        if guess == real.replace("-", ""):
            continue
        ph.post("/m/pair", data={"csrf_token": token, "code": guess, "phone": "010-0000-0001"})
    r = ph.post("/m/pair", data={"csrf_token": token, "code": real, "phone": "010-0000-0001"})
    assert r.status_code == 429 and "너무 여러 번" in r.get_data(as_text=True)
    assert _sms_count(demo, "010-0000-0001", "pairing") == 0


def test_console_lockout_ignores_case_and_spaces(app, seeded):
    c = app.test_client()
    token = csrf_token(c, "/console/login")
    for name in ("EDITOR", " editor", "Editor ", "editor", "eDiToR"):
        r = c.post("/console/login", data={"username": name, "password": "wrong-password", "csrf_token": token})
        assert r.status_code == 401
    r = c.post("/console/login", data={"username": "editor", "password": "editor-demo-1234",
                                       "csrf_token": token})
    assert r.status_code == 401 and "잠겼습니다" in r.get_data(as_text=True)


def test_verification_numbers_are_rate_limited(client, runtime):
    answers = [client.get("/verify/1234-5678-%04d" % n).status_code for n in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/console/\r\nX-Injected: 1",
                                    "/console/%0d%0aX-Injected:%201", "javascript:alert(1)", "/\\evil.example"])
def test_login_redirect_stays_on_the_console(app, seeded, target):
    c = app.test_client()
    r = c.post("/console/login", query_string={"next": target}, data={
        "username": "editor", "password": "editor-demo-1234", "csrf_token": csrf_token(c, "/console/login")})
    assert r.status_code == 303
    assert "X-Injected" not in r.headers and "\n" not in r.location and "\r" not in r.location
    assert r.location.startswith("/console/") and not r.location.startswith("//")


def test_pairing_codes_cannot_be_guessed_by_sms(app, demo):
    tv, gw = app.test_client(), app.test_client()
    real = _tv_code(tv)
    phone, ts = "010-0000-0005", iter(range(100))

    def mo(text):
        q = "from=%s&to=1588-0000&text=%s&smsc=sk&ts=%d" % (quote(phone), quote(text), next(ts))
        return gw.get("/gateway/kannel/mo?" + q).get_data(as_text=True)

    for n in range(10):
        guess = "BCDF-%s" % "".join("GHJKLMNPQR"[(n + i) % 10] for i in range(4))
        if guess != real:
            assert "찾을 수 없습니다" in mo("연결 " + guess)
    assert "너무 여러 번" in mo("연결 " + real)
    assert tv.get("/tv/pair/poll").get_json()["status"] != "paired"
