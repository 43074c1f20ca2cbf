"""Conversations, as phone users have them (issue 20): messages in, replies and
side effects out (requests created, codes sent, opt-out state, statuses)."""

import re

import pytest
from sqlalchemy import select

from services import petitions, sms
from services.models import Request, SmsMessage
from services.petitions import handle_mo, parse
from services.sms.text import cp949_len, split

MINJUN = "010-0000-0003"  # 김민준, has an email address
SORRY = petitions.R["sorry"]


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)


def say(rt, *texts, phone=MINJUN):
    """Each text as its own message (no gateway id: each is handled), the replies."""
    return [handle_mo(rt, phone, t).reply for t in texts]


def codes_sent(rt, phone=MINJUN):
    with rt.session() as s:
        return [re.search(r"\d{6}", m.body).group(0) for m in reversed(sms.messages_for_phone(s, rt, phone))
                if m.purpose == "otp"]


def requests(rt):
    with rt.session() as s:
        return list(s.scalars(select(Request).order_by(Request.id)))


def mts(rt, phone=MINJUN):
    with rt.session() as s:
        return [m for m in reversed(sms.messages_for_phone(s, rt, phone)) if m.direction == "mt"]


def test_same_minute_repeats_are_all_applied(demo):
    """Item 1: 수신거부, 수신허용, 수신거부, 상태 from one phone in one minute."""
    replies = [handle_mo(demo, MINJUN, t, ts="2026-11-21 10:00", smsc="fake").reply
               for t in ("수신거부", "수신허용", "수신거부", "상태")]
    assert "수신거부를 처리했습니다" in replies[0]
    assert "다시 시작" in replies[1]
    assert replies[2] is None or "수신거부" in replies[2]  # applied (confirmed once per new opt-out)
    assert replies[3] is None  # opted out: 상태 is not answered
    with demo.session() as s:
        assert sms.is_opted_out(s, demo, MINJUN)


def test_gateway_retry_with_the_same_id_gets_the_first_answer(demo):
    a = handle_mo(demo, MINJUN, "등본 메일", dedup_key="kannel:x1")
    b = handle_mo(demo, MINJUN, "등본 메일", dedup_key="kannel:x1")
    assert b.duplicate and a.reply == b.reply and len(codes_sent(demo)) == 1


def test_a_new_request_names_the_one_it_replaces_and_the_code_confirms_the_last(demo):
    """Item 2: 등본 메일, 초본 팩스, 납세증명 팩스, 확인."""
    first, second, third = say(demo, "등본 메일", "초본 팩스 02-123-4567", "납세증명 팩스 031-123-4567")
    assert "인증번호를 보냈습니다" in first
    assert "등본(메일) 대신 초본(팩스)" in second
    assert "초본(팩스) 대신 납세증명(팩스)" in third
    assert all(cp949_len(r) <= 90 for r in (first, second, third))
    (code,) = codes_sent(demo)
    done = say(demo, "확인 " + code)[0]
    assert "납세증명 접수" in done
    (req,) = requests(demo)
    assert req.options["certificate_type"] == "tax-payment" and req.delivery_method == "fax"


def test_the_same_request_sent_twice_is_not_called_a_replacement(demo):
    a, b = say(demo, "등본 메일", "등본 메일")
    assert "대신" not in b and "앞서 보낸 인증번호" in b


def test_no_stuck_window_after_a_confirmation(demo):
    """Item 3: a new request right after 확인 gets its own code at once."""
    say(demo, "등본 메일")
    assert "접수" in say(demo, "확인 " + codes_sent(demo)[-1])[0]
    again = say(demo, "초본 메일")[0]
    assert "인증번호를 보냈습니다" in again and "대신" not in again
    assert len(codes_sent(demo)) == 2
    assert "초본 접수" in say(demo, "확인 " + codes_sent(demo)[-1])[0]
    assert len(requests(demo)) == 2


def test_a_reason_that_does_not_fit_comes_whole_in_numbered_parts(demo):
    """Item 4: a mobile number as a fax number; the refusal is never cut."""
    reply = say(demo, "등본 팩스 010-1234-5678")[0]
    parts = [m.body for m in mts(demo) if m.purpose == "reply"]
    assert parts[0] == reply
    for p in parts:
        assert cp949_len(p) <= 90 and ".." not in p
    if len(parts) > 1:
        assert [re.search(r"\((\d)/(\d)\)$", p).groups() for p in parts] == \
            [(str(i), str(len(parts))) for i in range(1, len(parts) + 1)]
    text = " ".join(re.sub(r" \(\d/\d\)$", "", p) for p in parts)
    assert "휴대전화" in text and text.rstrip().endswith(("다.", "요.", ")"))


def test_a_long_notice_goes_whole_as_parts_or_one_lms(demo):
    reason = ("[마포구청] 지방세 납세증명서 신청(접수번호 20261121-123456)을 처리하지 못했습니다. "
              "체납된 지방세가 있어 발급할 수 없습니다. 먼저 납부해 주세요.")
    with demo.session() as s:
        sms.send_sms(s, demo, MINJUN, reason, purpose="notice", dedup_key="n:long")
    bodies = [m.body for m in mts(demo) if m.purpose == "notice"]
    assert len(bodies) >= 2 and all(cp949_len(b) <= 90 for b in bodies)
    assert "먼저 납부해 주세요." in bodies[-1]
    demo.config.LMS_ENABLED = True
    with demo.session() as s:
        sms.send_sms(s, demo, MINJUN, reason, purpose="notice", dedup_key="n:lms")
    assert [m.body for m in mts(demo) if m.purpose == "notice"][-1] == reason


@pytest.mark.parametrize("n", [90, 91, 200, 2000])
def test_split_never_loses_a_character(n):
    text = ("가나다 라마바 사아자 " * 400)[:n]
    parts = split(text, 90)
    assert all(cp949_len(p) <= 90 for p in parts)
    if len(parts) == 1:
        assert parts[0] == text.strip()
    else:
        joined = "".join(re.sub(r" \(\d+/\d+\)$", "", p) for p in parts)
        assert joined.replace(" ", "") == text.replace(" ", "")


def test_status_puts_failures_first_and_counts_what_does_not_fit(demo):
    """Item 7: three requests, one failed: the failed one is shown, the rest counted."""
    for text in ("등본 메일", "초본 메일", "납세증명 메일"):
        say(demo, text)
        say(demo, "확인 " + codes_sent(demo)[-1])
    reqs = requests(demo)
    assert len(reqs) == 3
    with demo.session() as s:
        s.get(Request, reqs[0].id).status = "failed"
    reply = say(demo, "상태")[0]
    assert cp949_len(reply) <= 90
    lines = reply.split("\n")
    assert reqs[0].receipt_no in lines[0] and "처리 못 함" in lines[0]
    shown = sum(r.receipt_no in reply for r in reqs)
    if shown < 3:
        assert reply.endswith("외 %d건" % (3 - shown))


def test_cancel_twice_says_already_cancelled(demo):
    say(demo, "등본 메일")
    say(demo, "확인 " + codes_sent(demo)[-1])
    (req,) = requests(demo)
    assert "취소했습니다" in say(demo, "취소 " + req.receipt_no)[0]
    assert "이미 취소된 신청입니다" in say(demo, "취소 " + req.receipt_no)[0]


@pytest.mark.parametrize("text,name", [
    ("세금 얼마에요?", "taxes"), ("안녕하세요 등본 한통 메일로 보내주세요", "cert"), ("듣본 메일", "cert"),
    ("상태 알려주세요", "status"), ("stauts", "status"), ("수신거뷰", "stop"), ("거북이 귀여워", "unknown"),
])
def test_polite_sentences_and_typos_are_understood(text, name):
    """Item 8."""
    cmd = parse(text)
    assert cmd.name == name
    if name == "cert":
        assert (cmd.cert, cmd.method) == ("resident-copy", "email")


def test_every_example_in_the_help_works_as_written(demo):
    """Item 8: the help's own examples ('연결 BCDF-GHJK' among them) are understood."""
    examples = re.findall(r"'([^']+)'", petitions.R["help_long"] + petitions.R["ask_pair"])
    assert "연결 BCDF-GHJK" in examples
    for ex in examples:
        cmd = parse(ex)
        assert cmd.name not in ("unknown", "empty"), ex
        if cmd.name == "pair":
            assert cmd.code
        if cmd.name == "cert":
            assert cmd.method


def test_statuses_only_move_forward_and_the_send_never_overwrites_a_report(demo, monkeypatch):
    """Item 10: a report applied before the send writes its own status."""
    with demo.session() as s:
        msg = sms.send_sms(s, demo, MINJUN, "안내", purpose="notice", dedup_key="n:dlr")
        assert msg.status == "sent"
        assert sms.record_dlr(s, msg.id, "delivered")
        assert not sms.advance(s, msg, "sent") and msg.status == "delivered"
        assert not sms.record_dlr(s, msg.id, "buffered") and msg.status == "delivered"

    class ReportFirst(sms.OutboxGateway):
        def send(self, to, body, message_id):  # the report lands while the send is in flight
            with demo.session() as s2:
                s2.execute(SmsMessage.__table__.update().where(SmsMessage.id == message_id)
                           .values(status="delivered"))
            return "sent"

    monkeypatch.setattr(demo, "sms_gateway", ReportFirst())
    with demo.session() as s:
        s.commit()
        msg = sms.send_sms(s, demo, MINJUN, "안내 2", purpose="notice", dedup_key="n:dlr2")
        s.commit()
        s.refresh(msg)
        assert msg.status == "delivered"


def test_a_report_before_its_message_exists_is_kept_and_applied(demo):
    with demo.session() as s:
        msg = sms.send_sms(s, demo, MINJUN, "안내", purpose="notice", dedup_key="n:early")
        future = msg.id + 1
    with demo.session() as s:
        assert not sms.record_dlr(s, future, "delivered", redis=demo.redis)
    with demo.session() as s:
        later = sms.send_sms(s, demo, MINJUN, "안내 2", purpose="notice", dedup_key="n:early2")
        assert later.id == future and later.status == "sent"
    with demo.session() as s:
        assert sms.apply_early_dlrs(s, demo.redis) == 1
    with demo.session() as s:
        assert s.get(SmsMessage, future).status == "delivered"
        assert sms.apply_early_dlrs(s, demo.redis) == 0  # applied once, then forgotten


def test_no_reply_is_the_crash_answer(demo):
    for text in ("등본 메일", "상태", "세금", "도움말", "취소 20261121-123456", "연결 BCDF-GHJK"):
        assert say(demo, text)[0] != SORRY


def test_the_next_incoming_message_also_applies_a_kept_report(demo):
    with demo.session() as s:
        future = sms.send_sms(s, demo, MINJUN, "안내", purpose="notice", dedup_key="n:a").id + 1
    with demo.session() as s:
        sms.record_dlr(s, future, "delivered", redis=demo.redis)
        assert sms.send_sms(s, demo, MINJUN, "안내 2", purpose="notice", dedup_key="n:b").id == future
    say(demo, "도움말")
    with demo.session() as s:
        assert s.get(SmsMessage, future).status == "delivered"
