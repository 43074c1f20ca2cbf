"""The Kannel and HTTP gateway endpoints' contract: headers, UTF-8 replies,
empty bodies, dedup of retries, our own number ignored, delivery reports,
signatures."""

import json
import re
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from services import sms
from services.models import Request, SmsMessage
from services.sms import http as sms_http
from services.sms.kannel import dlr_signature

MINJUN = "010-0000-0003"


def _mo(client, text, sender=MINJUN, ts="2026-11-21 10:00:00", **kw):
    """One MO as Kannel's get-url passes it; a fresh ``id`` (``%I``) unless a retry's is given."""
    q = {"from": sender, "to": "1588-0000", "text": text, "smsc": "fake", "ts": ts, "id": uuid.uuid4().hex}
    q.update(kw)
    return client.get("/gateway/kannel/mo?" + urlencode(q))


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)


def test_reply_is_utf8_with_kannel_coding(client, demo):
    r = _mo(client, "도움말")
    assert r.status_code == 200
    assert r.headers["X-Kannel-Coding"] == "2"
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "등본 메일" in r.data.decode("utf-8")


def test_no_answer_is_an_empty_body(client, demo):
    assert _mo(client, "수신거부").data  # confirmed once
    r = _mo(client, "수신거부", ts="2026-11-21 10:00:01")
    assert r.status_code == 200 and r.data == b"" and r.headers["X-Kannel-Coding"] == "2"
    assert _mo(client, "", sender="").data == b""


def test_our_own_number_and_short_codes_get_nothing(client, demo):
    for sender in ("1588-0000", "+8215880000", "114"):
        r = _mo(client, "도움말", sender=sender)
        assert r.status_code == 200 and r.data == b""
    with demo.session() as s:
        assert s.scalar(select(SmsMessage)) is None


def test_retried_mo_is_processed_once(client, demo):
    a = _mo(client, "등본 메일", id="m-1")
    b = _mo(client, "등본 메일", id="m-1")
    assert a.data == b.data and "인증번호" in a.data.decode()
    with demo.session() as s:
        rows = sms.messages_for_phone(s, demo, MINJUN)
    assert sum(m.direction == "mo" for m in rows) == 1
    assert sum(m.purpose == "otp" for m in rows) == 1
    code = re.search(r"\d{6}", next(m.body for m in rows if m.purpose == "otp")).group(0)
    ok = _mo(client, "확인 " + code, ts="2026-11-21 10:00:30", id="m-2")
    again = _mo(client, "확인 " + code, ts="2026-11-21 10:00:30", id="m-2")
    assert "접수" in ok.data.decode() and ok.data == again.data
    with demo.session() as s:
        assert len(list(s.scalars(select(Request)))) == 1


def test_only_kannel_hosts_may_call(client, demo):
    demo.config.KANNEL_ALLOW_IPS = "10.9.9.9"
    assert _mo(client, "도움말").status_code == 403


def test_delivery_reports_are_signed_and_idempotent(client, demo):
    with demo.session() as s:
        m = sms.send_sms(s, demo, MINJUN, "x", purpose="notice", dedup_key="n:1")
        mid = m.id
    sig = dlr_signature(demo.crypto, mid)
    assert client.get("/gateway/kannel/dlr?id=%d&sig=bad&type=1" % mid).status_code == 403
    assert client.get("/gateway/kannel/dlr?id=x&sig=%s&type=1" % sig).status_code == 400
    for kind in (8, 1, 1, 2, 4):
        assert client.get("/gateway/kannel/dlr?id=%d&sig=%s&type=%d" % (mid, sig, kind)).status_code == 200
    with demo.session() as s:
        assert s.get(SmsMessage, mid).status == "delivered"


def _signed_post(client, path, payload, secret="s3cret"):
    body = json.dumps(payload, ensure_ascii=False).encode()
    return client.post(path, data=body, headers=sms_http.signed_headers(secret, body))


def test_http_gateway_webhook(client, demo):
    demo.config.SMS_HTTP_SECRET = "s3cret"
    r = _signed_post(client, "/gateway/sms/inbound", {"id": "p-1", "from": MINJUN, "to": "1588-0000",
                                                     "text": "초본 메일"})
    assert r.status_code == 200 and "인증번호" in r.get_json()["reply"]
    again = _signed_post(client, "/gateway/sms/inbound", {"id": "p-1", "from": MINJUN, "text": "초본 메일"})
    assert again.get_json()["duplicate"] is True
    assert _signed_post(client, "/gateway/sms/inbound", {"from": MINJUN, "text": "x"}, secret="bad").status_code == 401
    unsigned = client.post("/gateway/sms/inbound", json={"from": MINJUN, "text": "도움말"})
    assert unsigned.status_code == 401
    with demo.session() as s:
        mid = sms.send_sms(s, demo, MINJUN, "x", purpose="notice", dedup_key="n:2").id
    assert _signed_post(client, "/gateway/sms/status", {"reference": str(mid), "status": "delivered"}).get_json()["changed"]
    assert not _signed_post(client, "/gateway/sms/status", {"reference": str(mid), "status": "failed"}).get_json()["changed"]
    assert _signed_post(client, "/gateway/sms/status", {"reference": str(mid), "status": "??"}).status_code == 400


def test_euc_kr_from_an_old_phone_is_understood(client, demo):
    """Issue 20 item 5: 상태 in EUC-KR (%BB%F3%C5%C2), with or without %C."""
    for extra in ("&charset=EUC-KR&coding=0", ""):
        r = client.get("/gateway/kannel/mo?from=%s&to=15880000&smsc=fake&id=%s&text=%%BB%%F3%%C5%%C2%s"
                       % (MINJUN, uuid.uuid4().hex, extra))
        assert "신청하신 증명서가 없습니다" in r.data.decode("utf-8")
    with demo.session() as s:
        mos = [m for m in sms.messages_for_phone(s, demo, MINJUN) if m.direction == "mo"]
    assert {m.body for m in mos} == {"상태"}


def test_ucs2_without_recoding_is_understood(client, demo):
    raw = "도움말".encode("utf-16-be")
    q = "from=%s&to=15880000&id=u1&coding=2&charset=UTF-16BE&text=%s" % (MINJUN, "".join("%%%02X" % b for b in raw))
    assert "등본 메일" in client.get("/gateway/kannel/mo?" + q).data.decode("utf-8")


def test_long_text_by_post_url(client, demo):
    """Issue 20 item 6: 450+ Hangul characters come by POST (post-url) and are answered."""
    text = "등본 메일 " + "가" * 900
    r = client.post("/gateway/kannel/mo?from=%s&to=15880000&smsc=fake&id=p1" % MINJUN,
                    data=text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    assert r.status_code == 200 and r.data.decode("utf-8").strip()
    h = {"X-Kannel-From": MINJUN, "X-Kannel-To": "15880000", "X-Kannel-SMSC": "fake",
         "Content-Type": "text/plain; charset=EUC-KR"}
    r = client.post("/gateway/kannel/mo", data="도움말".encode("cp949"), headers=h)
    assert "등본 메일" in r.data.decode("utf-8")


def test_same_minute_genuine_repeats_through_kannel(client, demo):
    """Issue 20 item 1: same %t, different %I: every one is applied and answered."""
    ts = "2026-11-21 10:00"
    assert _mo(client, "수신거부", ts=ts).data
    assert "다시 시작" in _mo(client, "수신허용", ts=ts).data.decode()
    _mo(client, "수신거부", ts=ts)
    assert _mo(client, "상태", ts=ts).data == b""
    with demo.session() as s:
        assert sms.is_opted_out(s, demo, MINJUN)


def test_a_report_that_overtakes_its_message_is_applied_later(client, demo, monkeypatch):
    monkeypatch.setattr("tvapp.gateway.views.DLR_WAIT", ())
    with demo.session() as s:
        first = sms.send_sms(s, demo, MINJUN, "안내", purpose="notice", dedup_key="n:1")
        future = first.id + 1
    r = client.get("/gateway/kannel/dlr?id=%d&type=1&sig=%s" % (future, dlr_signature(demo.crypto, future)))
    assert r.status_code == 200
    with demo.session() as s:
        assert sms.send_sms(s, demo, MINJUN, "안내 2", purpose="notice", dedup_key="n:2").id == future
    client.get("/gateway/kannel/dlr?id=%d&type=8&sig=%s" % (first.id, dlr_signature(demo.crypto, first.id)))
    with demo.session() as s:
        assert s.get(SmsMessage, future).status == "delivered"
