"""Approve a TV request by replying to the identity SMS (issue 21), against a
real Redis and database: the SMS, the reply through the SMS conversation,
and each rule (one box and one request, the code's life and tries, only the
phone it went to, two requests on one phone named and approved one at a time,
late and unmatched replies)."""

import re

import pytest
from sqlalchemy import select

from services import approvals, otp, pii, sms
from services.certificates import catalogue
from services.certificates import requests as certs
from services.households import phone_hash
from services.models import RequestEvent, Resident, SmsMessage
from services.petitions import handle_mo, parse
from services.sms.text import cp949_len

MINJUN, SOONJA, STRANGER = "010-0000-0003", "010-0000-0002", "010-9876-5432"
BOX, OTHER_BOX = 9001, 9002


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)


def resident(rt, ref):
    with rt.session() as s:
        r = s.scalar(select(Resident).where(Resident.ref == ref))
        return r.id, r.household_id


def ask(rt, ref="R1003", box=BOX, flow="flow-a", cert="resident-copy"):
    """What a box's 인증번호 받기 does: the identity SMS, offering a reply."""
    rid, hh = resident(rt, ref)
    return certs.send_code(rt, hh, rid, approval=(box, flow, cert)), rid


def last_sms(rt, phone, purpose="otp"):
    with rt.session() as s:
        return next(m.body for m in sms.messages_for_phone(s, rt, phone) if m.purpose == purpose)


def reply(rt, text, phone=MINJUN):
    return handle_mo(rt, phone, text).reply


def test_the_sms_carries_the_code_and_the_reply_in_one_message(demo):
    result, rid = ask(demo)
    assert result.ok
    body = last_sms(demo, MINJUN)
    assert re.search(r"인증번호 \d{6}", body)  # the code, still
    assert "등본 신청이 맞으면 5분 안에 1을 답장하세요" in body
    assert cp949_len(body) <= demo.config.SMS_MAX_BYTES
    with demo.session() as s:
        assert len([m for m in sms.messages_for_phone(s, demo, MINJUN) if m.direction == "mt"]) == 1
    # every certificate, every digit: one SMS, the code masked where stored
    for ctype in catalogue.CATALOGUE:
        for digit in approvals.DIGITS:
            text = approvals.sms_text(digit, ctype.code).format(office=demo.config.DISTRICT_NAME, code="123456")
            assert cp949_len(text) <= demo.config.SMS_MAX_BYTES, text
            assert "123456" not in pii.mask_codes(text) and "인증번호 ******" in pii.mask_codes(text)
    assert approvals.sms_text(2, "land-register").endswith("2를 답장하세요. 인증번호 {code}")


@pytest.mark.parametrize("text,digit", [("1", 1), ("1번", 1), (" 2 ", 2), ("예", None), ("네", None),
                                        ("네!", None), ("넵", None), ("yes", None), ("예요", None)])
def test_parse_a_yes(text, digit):
    cmd = parse(text)
    assert (cmd.name, cmd.digit) == ("approve", digit)


def test_a_reply_of_1_approves_that_one_request(demo):
    result, rid = ask(demo)
    assert approvals.status(demo, BOX, "flow-a", rid) == "pending"
    assert approvals.waiting_digit(demo, BOX, "flow-a", rid) == 1
    answer = reply(demo, "1")
    assert "등본 신청을 승인했습니다" in answer and cp949_len(answer) <= 90
    assert approvals.status(demo, BOX, "flow-a", rid) == "approved"
    assert approvals.take(demo, BOX, "flow-a", rid) is True
    assert approvals.take(demo, BOX, "flow-a", rid) is False  # once
    assert otp.verify_code(demo, certs.otp_subject(rid), "000000").reason == "expired"  # the code is used up
    assert "이미 본인 확인이 끝났습니다" in reply(demo, "1")


@pytest.mark.parametrize("text", ["네", "예", "확인", "확인 1", "ok"])
def test_yes_words_without_a_code_approve_too(demo, text):
    _, rid = ask(demo)
    assert "승인했습니다" in reply(demo, text)
    assert approvals.take(demo, BOX, "flow-a", rid)


def test_the_approval_binds_to_one_box_and_one_request(demo):
    _, rid = ask(demo)
    reply(demo, "1")
    assert approvals.take(demo, OTHER_BOX, "flow-a", rid) is False  # another box
    assert approvals.take(demo, BOX, "flow-b", rid) is False  # another request on the box
    other_rid, _ = resident(demo, "R1001")
    assert approvals.take(demo, BOX, "flow-a", other_rid) is False  # another person
    assert approvals.status(demo, OTHER_BOX, "flow-a", rid) == "none"
    assert approvals.take(demo, BOX, "flow-a", rid) is True


def test_a_reply_from_any_other_phone_does_nothing(demo):
    _, rid = ask(demo)
    assert "승인할 TV 신청이 없습니다" in reply(demo, "1", phone=SOONJA)  # a resident's other phone
    assert "승인" not in (reply(demo, "1", phone=STRANGER) or "")  # a stranger
    assert approvals.status(demo, BOX, "flow-a", rid) == "pending"
    assert "승인했습니다" in reply(demo, "1")


def test_it_lives_as_long_as_the_code(demo):
    _, rid = ask(demo)
    ph = phone_hash(demo.crypto, MINJUN)
    for key in ("approval:box:%d" % BOX, "approval:slot:%s:1" % ph):
        assert 0 < demo.redis.ttl(key) <= otp.CODE_TTL
    # five minutes pass: the code and the approval are gone together
    demo.redis.delete("otp:code:%s" % certs.otp_subject(rid), "approval:box:%d" % BOX, "approval:slot:%s:1" % ph)
    answer = reply(demo, "1")
    assert "승인 시간(5분)이 지났습니다" in answer and "TV에서 처음부터" in answer
    assert approvals.status(demo, BOX, "flow-a", rid) == "none"


def test_the_code_expiring_first_expires_the_approval(demo):
    _, rid = ask(demo)
    demo.redis.delete("otp:code:%s" % certs.otp_subject(rid))
    assert "지났습니다" in reply(demo, "1")
    assert approvals.take(demo, BOX, "flow-a", rid) is False


def test_the_same_person_on_two_boxes_approves_each_one_at_a_time(demo):
    """Issue 21: a second box's request for the same person gets its own code
    and digit (after the person's pause between sends); the first box's
    request still waits for its own, and each SMS names its certificate."""
    _, rid = ask(demo)
    first = last_sms(demo, MINJUN)
    early, _ = ask(demo, box=OTHER_BOX, flow="flow-x", cert="land-register")
    assert early.reason == "cooldown" and early.elsewhere  # the pause is the person's, as before
    assert ask(demo)[0].elsewhere is False  # the same box asking again: its own pause
    demo.redis.delete("otp:cooldown:%s" % certs.otp_subject(rid))  # the resend pause passes
    second_result, _ = ask(demo, box=OTHER_BOX, flow="flow-x", cert="land-register")
    second = last_sms(demo, MINJUN)
    assert second_result.ok
    assert "등본 신청이 맞으면 5분 안에 1을" in first and "토지대장 신청이 맞으면 5분 안에 2를" in second
    assert approvals.status(demo, BOX, "flow-a", rid) == approvals.status(demo, OTHER_BOX, "flow-x", rid) == "pending"
    assert "1(등본)" in reply(demo, "네") and "2(토지대장)" in reply(demo, "네")  # which one?
    assert "등본 신청을 승인했습니다" in reply(demo, "1")  # box 1's code was not replaced
    assert approvals.status(demo, OTHER_BOX, "flow-x", rid) == "pending"  # one at a time
    assert "토지대장 신청을 승인했습니다" in reply(demo, "2")
    assert approvals.take(demo, BOX, "flow-a", rid) and approvals.take(demo, OTHER_BOX, "flow-x", rid)


def test_two_boxes_codes_are_each_their_own_and_typed_on_their_own_box(demo):
    _, rid = ask(demo)
    code_a = re.search(r"인증번호 (\d{6})", last_sms(demo, MINJUN)).group(1)
    demo.redis.delete("otp:cooldown:%s" % certs.otp_subject(rid))
    ask(demo, box=OTHER_BOX, flow="flow-x")
    code_b = re.search(r"인증번호 (\d{6})", last_sms(demo, MINJUN)).group(1)
    if code_a != code_b:  # (one in a million they are the same)
        assert certs.check_identity_code_on(demo, OTHER_BOX, "flow-x", rid, code_a).reason == "wrong"
    assert certs.check_identity_code_on(demo, BOX, "flow-a", rid, code_a).ok
    assert certs.check_identity_code_on(demo, OTHER_BOX, "flow-x", rid, code_b).ok
    assert "이미 본인 확인이 끝났습니다" in reply(demo, "1")


def test_two_boxes_share_the_person_s_tries(demo):
    """No more guesses with two boxes than with one: five wrong tries over both
    codes lock the person, and both codes are gone."""
    _, rid = ask(demo)
    demo.redis.delete("otp:cooldown:%s" % certs.otp_subject(rid))
    ask(demo, box=OTHER_BOX, flow="flow-x")
    results = [certs.check_identity_code_on(demo, box, flow, rid, "12")
               for box, flow in [(BOX, "flow-a"), (OTHER_BOX, "flow-x")] * 2 + [(BOX, "flow-a")]]
    assert [r.reason for r in results] == ["wrong"] * 4 + ["locked"]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert "잠시 잠겼습니다" in reply(demo, "2")
    assert approvals.status(demo, OTHER_BOX, "flow-x", rid) != "approved"
    assert not approvals.take(demo, OTHER_BOX, "flow-x", rid)


def test_the_same_tries_as_the_code(demo):
    _, rid = ask(demo)
    subject = certs.otp_subject(rid)
    code = re.search(r"인증번호 (\d{6})", last_sms(demo, MINJUN)).group(1)
    wrong = "%06d" % ((int(code) + 1) % 1_000_000)
    for _ in range(otp.MAX_ATTEMPTS - 1):
        assert otp.verify_code(demo, subject, wrong, slot=approvals.slot(BOX)).reason == "wrong"
    assert "승인했습니다" in reply(demo, "1")  # the fifth try
    assert approvals.take(demo, BOX, "flow-a", rid)


def test_a_locked_code_approves_nothing(demo):
    _, rid = ask(demo)
    subject = certs.otp_subject(rid)
    for _ in range(otp.MAX_ATTEMPTS):
        otp.verify_code(demo, subject, "12", slot=approvals.slot(BOX))
    assert "잠시 잠겼습니다" in reply(demo, "1")
    assert approvals.take(demo, BOX, "flow-a", rid) is False


def test_digits_it_was_not_given_are_tries(demo):
    _, rid = ask(demo)
    answers = [reply(demo, "3") for _ in range(otp.MAX_ATTEMPTS)]
    assert "3번으로 승인할 TV 신청이 없습니다" in answers[0] and "1(등본)" in answers[0]
    assert "잠시 잠겼습니다" in answers[-1]
    assert "승인했습니다" not in reply(demo, "1")
    assert approvals.take(demo, BOX, "flow-a", rid) is False


def test_two_boxes_of_one_household_are_approved_one_at_a_time(demo):
    """김영수 and 이순자 share one phone; each asks on their own box. Each SMS
    names its certificate and digit; 1 approves the first only, 2 the second;
    a bare 네 with both waiting asks which."""
    with demo.session() as s:
        s.scalar(select(Resident).where(Resident.ref == "R1002")).phone_enc = demo.crypto.encrypt(MINJUN)
        s.scalar(select(Resident).where(Resident.ref == "R1001")).phone_enc = demo.crypto.encrypt(MINJUN)
    a, rid_a = ask(demo, ref="R1001", box=BOX, flow="fa", cert="resident-copy")
    first = last_sms(demo, MINJUN)
    b, rid_b = ask(demo, ref="R1002", box=OTHER_BOX, flow="fb", cert="land-register")
    second = last_sms(demo, MINJUN)
    assert a.ok and b.ok
    assert "등본 신청이 맞으면 5분 안에 1을" in first and "토지대장 신청이 맞으면 5분 안에 2를" in second
    which = reply(demo, "네")
    assert "2건" in which and "1(등본)" in which and "2(토지대장)" in which and cp949_len(which) <= 90
    assert approvals.status(demo, BOX, "fa", rid_a) == approvals.status(demo, OTHER_BOX, "fb", rid_b) == "pending"
    assert "등본 신청을 승인했습니다" in reply(demo, "1")
    assert approvals.status(demo, BOX, "fa", rid_a) == "approved"
    assert approvals.status(demo, OTHER_BOX, "fb", rid_b) == "pending"  # one at a time
    assert "토지대장 신청을 승인했습니다" in reply(demo, "네")  # the one left
    assert approvals.take(demo, BOX, "fa", rid_a) and approvals.take(demo, OTHER_BOX, "fb", rid_b)


def test_a_reply_that_matches_nothing_is_told_so(demo):
    answer = reply(demo, "1")
    assert answer == approvals.R["none"] and cp949_len(answer) <= 90
    assert "확인할 신청이 없습니다" in reply(demo, "확인")  # 확인 alone, nothing waiting: as before
    for key in ("expired", "none"):
        assert cp949_len(approvals.R[key]) <= 90


def test_an_sms_petition_code_still_works_beside_it(demo):
    """확인 123456 to an SMS petition is untouched by a TV approval waiting."""
    assert "인증번호" in reply(demo, "초본 메일")
    code = re.search(r"인증번호 (\d{6})", last_sms(demo, MINJUN)).group(1)
    assert "접수" in reply(demo, "확인 " + code)


def test_the_timeline_says_how_identity_was_checked(demo):
    rid, hh = resident(demo, "R1003")
    made = {}
    for by in ("tv-code", "sms-reply"):
        with demo.session() as s:
            req, _ = certs.submit(s, demo, client_token="t-" + by, household_id=hh, resident_id=rid,
                                  cert_type="resident-copy", options={"full_rrn": "no"}, method="email",
                                  address="minjun.kim@example.com", verified_by=by)
            made[by] = req.id
    with demo.session() as s:
        for by, req_id in made.items():
            events = list(s.scalars(select(RequestEvent).where(RequestEvent.request_id == req_id)
                                    .order_by(RequestEvent.id)))
            assert [e.kind for e in events] == ["received", "verified"]
            assert events[1].detail == {"by": by}


def test_nothing_personal_is_kept_in_redis_or_the_stored_sms(demo):
    ask(demo)
    for key in demo.redis.scan_iter("approval:*"):
        value = (demo.redis.get(key) or b"").decode()
        assert "0000-0003" not in value and "00000003" not in value and "0000-0003" not in key.decode()
    with demo.session() as s:
        stored = s.scalar(select(SmsMessage.body).where(SmsMessage.purpose == "otp"))
    assert "1을 답장하세요" in stored


def test_the_box_keeps_its_digit_for_its_next_request(demo):
    _, rid = ask(demo)
    reply(demo, "1")
    assert approvals.take(demo, BOX, "flow-a", rid)
    demo.redis.delete("otp:cooldown:%s" % certs.otp_subject(rid))
    ask(demo, flow="flow-b")  # the same box's next request
    assert "1을 답장하세요" in last_sms(demo, MINJUN)
    assert approvals.waiting_digit(demo, BOX, "flow-b", rid) == 1
    assert "승인했습니다" in reply(demo, "1")
    assert approvals.take(demo, BOX, "flow-b", rid)
