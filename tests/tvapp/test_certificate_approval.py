"""The certificate flow's code screen with approval by SMS reply (issue 21),
the box a test client and the phone's reply coming in through the Kannel
gateway endpoint as Kannel passes it: the screen says which digit to reply,
its status answer flips to done (nothing personal in it, only for the box's
own flow), the code screen then goes on, and the request's timeline says
how identity was checked. Typing the code still works."""

import re
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from services.models import Request, RequestEvent
from tests.tvapp.test_certificate_screens import code_from_outbox, post, resident_id
from tests.tvapp.test_tv_screens import pair

MINJUN = "010-0000-0003"


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)


@pytest.fixture
def tv(demo, app):
    box = app.test_client()
    pair(box, demo)
    return box


def kannel_mo(client, text, sender=MINJUN):
    q = {"from": sender, "to": "1588-0000", "text": text, "smsc": "fake", "id": uuid.uuid4().hex,
         "ts": "2026-12-06 10:00:00"}
    r = client.get("/gateway/kannel/mo?" + urlencode(q))
    assert r.status_code == 200
    return r.data.decode("utf-8")


def to_code_screen(tv, demo, ref="R1003"):
    html = tv.get("/tv/certificates/resident-copy/").get_data(as_text=True)
    r = post(tv, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, ref))
    r = tv.get(r.location)
    html = r.get_data(as_text=True)
    r = post(tv, "/tv/certificates/resident-copy/options", html, full_rrn="no")
    html = tv.get(r.location).get_data(as_text=True)
    r = post(tv, "/tv/certificates/identity/send", html)
    assert "m=sent" in r.location
    return tv.get(r.location).get_data(as_text=True)


def finish_by_email(tv, demo):
    html = tv.get("/tv/certificates/delivery/email").get_data(as_text=True)
    r = post(tv, "/tv/certificates/delivery/email", html, use="registered")
    html = tv.get(r.location).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    r = post(tv, "/tv/certificates/confirm", html, token=token)
    receipt = r.location.rsplit("/", 1)[1]
    with demo.session() as s:
        req = s.scalar(select(Request).where(Request.receipt_no == receipt))
        by = s.scalar(select(RequestEvent.detail).where(RequestEvent.request_id == req.id,
                                                         RequestEvent.kind == "verified"))
    return receipt, by


def test_a_reply_of_1_through_the_gateway_moves_the_code_screen_on(tv, demo, client):
    html = to_code_screen(tv, demo)
    assert 'data-live="/tv/certificates/identity/status.json"' in html and "tv/live.js" in html
    assert "1을 답장하면 이 화면이 저절로 넘어갑니다" in html and 'id="code"' in html  # typing stays
    status = tv.get("/tv/certificates/identity/status.json")
    assert status.get_json() == {"done": False, "waiting": True, "next": None}
    assert "010" not in status.get_data(as_text=True)
    assert "승인했습니다" in kannel_mo(client, "1")  # the phone replies through Kannel
    status = tv.get("/tv/certificates/identity/status.json").get_json()
    assert status == {"done": True, "waiting": False, "next": "/tv/certificates/identity"}
    assert client.get("/tv/certificates/identity/status.json").status_code in (302, 401, 403)  # not a box
    r = tv.get(status["next"])
    assert r.status_code == 302 and r.location.endswith("/tv/certificates/delivery")
    receipt, by = finish_by_email(tv, demo)
    assert by == {"by": "sms-reply"}
    detail = tv.get("/tv/requests/" + receipt).get_data(as_text=True)
    assert "휴대폰 문자 답장으로 승인" in detail


def test_typing_the_code_works_as_before_and_a_late_reply_is_told(tv, demo, client):
    html = to_code_screen(tv, demo)
    code = code_from_outbox(demo, MINJUN)
    r = post(tv, "/tv/certificates/identity/check", html, code=code)
    assert r.location.endswith("/tv/certificates/delivery")
    assert "이미 본인 확인이 끝났습니다" in kannel_mo(client, "1")
    receipt, by = finish_by_email(tv, demo)
    assert by == {"by": "tv-code"}
    assert "TV에서 인증번호를 눌러 확인" in tv.get("/tv/requests/" + receipt).get_data(as_text=True)


def test_another_phone_or_another_request_gets_nothing(tv, demo, client):
    to_code_screen(tv, demo)
    assert "승인할 TV 신청이 없습니다" in kannel_mo(client, "1", sender="010-0000-0001")
    assert tv.get("/tv/certificates/identity/status.json").get_json()["done"] is False
    # The box starts another request (another person): the reply then approves nothing it shows.
    html = tv.get("/tv/certificates/resident-copy/").get_data(as_text=True)
    post(tv, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, "R1001"))
    assert "승인했습니다" in kannel_mo(client, "1")  # the phone approved what its SMS named...
    assert tv.get("/tv/certificates/identity/status.json").get_json()["done"] is False  # ...not this one
    assert tv.get("/tv/certificates/identity").status_code == 200  # still to check


def test_a_box_without_a_flow_gets_a_plain_not_done(tv, demo):
    r = tv.get("/tv/certificates/identity/status.json")
    assert r.status_code == 200 and r.get_json() == {"done": False, "waiting": False, "next": None}


def test_when_the_approval_runs_out_the_screen_says_so(tv, demo):
    to_code_screen(tv, demo)
    for key in list(demo.redis.scan_iter("approval:*")) + list(demo.redis.scan_iter("otp:code:*")):
        demo.redis.delete(key)  # five minutes pass
    status = tv.get("/tv/certificates/identity/status.json").get_json()
    assert status == {"done": True, "waiting": False, "next": "/tv/certificates/identity?m=expired"}
    page = tv.get(status["next"]).get_data(as_text=True)
    assert "유효 시간(5분)이 지났습니다" in page and "data-live" not in page


def test_the_code_screen_in_english(tv, demo):
    from services.models import Device
    from tests.tvapp.test_tv_screens import device_of

    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).lang = "en"
    html = to_code_screen(tv, demo)
    assert "Reply 1 to it on the phone and this screen goes on by itself" in html
    assert "답장" not in html


def test_the_same_person_on_two_boxes_each_approved_in_turn(demo, app, client):
    """Issue 21: 김민준 asks on two boxes of the household. The second box is
    told that a code was just sent for another TV (the person's pause between
    sends stays); once it passes, it gets its own code and digit, and the
    first box's request still waits for its own: 1 moves the first box on,
    2 the second, each through the gateway."""
    first, second = app.test_client(), app.test_client()
    pair(first, demo)
    pair(second, demo)
    html_1 = to_code_screen(first, demo)
    assert "1을 답장하면" in html_1
    html = second.get("/tv/certificates/resident-copy/").get_data(as_text=True)
    r = post(second, "/tv/certificates/resident-copy/who", html, resident_id=resident_id(demo, "R1003"))
    html = second.get(r.location).get_data(as_text=True)
    r = post(second, "/tv/certificates/resident-copy/options", html, full_rrn="no")
    html = second.get(r.location).get_data(as_text=True)
    r = post(second, "/tv/certificates/identity/send", html)
    assert r.location.endswith("m=elsewhere")
    page = second.get(r.location).get_data(as_text=True)
    assert "방금 다른 TV에서 이 분의 인증번호를 받았습니다" in page and 'id="code"' not in page
    rid = resident_id(demo, "R1003")
    demo.redis.delete("otp:cooldown:resident:%d:certificate" % rid)  # the 30 seconds pass
    r = post(second, "/tv/certificates/identity/send", page)
    assert "m=sent" in r.location
    assert "2를 답장하면" in second.get(r.location).get_data(as_text=True)
    assert first.get("/tv/certificates/identity/status.json").get_json()["waiting"] is True  # not replaced
    assert "등본 신청을 승인했습니다" in kannel_mo(client, "1")
    assert first.get("/tv/certificates/identity/status.json").get_json()["done"] is True
    assert second.get("/tv/certificates/identity/status.json").get_json() == {
        "done": False, "waiting": True, "next": None}  # one at a time
    assert "등본 신청을 승인했습니다" in kannel_mo(client, "2")
    for box in (first, second):
        r = box.get("/tv/certificates/identity")
        assert r.status_code == 302 and r.location.endswith("/tv/certificates/delivery")
        assert finish_by_email(box, demo)[1] == {"by": "sms-reply"}
