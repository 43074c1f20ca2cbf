"""One-time codes against a real Redis, with the SMS outbox."""

import re

import pytest

from services import otp
from services.sms import messages_for_phone

PHONE = "010-0000-0003"


@pytest.fixture
def rt(runtime):
    return runtime


def last_code(rt):
    with rt.session() as s:
        body = messages_for_phone(s, rt, PHONE)[0].body
    return re.search(r"인증번호 (\d{6})", body).group(1)


def send(rt, subject="resident:3:cert"):
    with rt.session() as s:
        return otp.send_code(s, rt, subject, PHONE)


def test_right_code_verifies_once(rt):
    assert send(rt).ok
    code = last_code(rt)
    assert otp.verify_code(rt, "resident:3:cert", code).reason == "verified"
    assert otp.verify_code(rt, "resident:3:cert", code).reason == "expired"  # used up


def test_wrong_codes_count_down_then_lock(rt):
    send(rt)
    code = last_code(rt)
    wrong = "%06d" % ((int(code) + 1) % 1_000_000)
    results = [otp.verify_code(rt, "resident:3:cert", wrong) for _ in range(5)]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert results[4].reason == "locked"
    # Even the right code is refused now, and a new one cannot be sent yet.
    assert otp.verify_code(rt, "resident:3:cert", code).reason == "locked"
    assert send(rt).reason == "locked"


def test_expired_code(rt):
    send(rt)
    code = last_code(rt)
    rt.redis.delete("otp:code:resident:3:cert")  # what the TTL does after 5 minutes
    assert otp.verify_code(rt, "resident:3:cert", code).reason == "expired"


def test_resends_are_rate_limited(rt):
    assert send(rt).ok
    again = send(rt)
    assert again.reason == "cooldown" and again.wait_seconds > 0
    for _ in range(otp.MAX_SENDS_PER_HOUR - 1):
        rt.redis.delete("otp:cooldown:resident:3:cert")
        assert send(rt).ok
    rt.redis.delete("otp:cooldown:resident:3:cert")
    assert send(rt).reason == "too_many_sends"


def test_sms_text_is_korean_and_numbers_are_masked_on_record(rt):
    send(rt)
    with rt.session() as s:
        msg = messages_for_phone(s, rt, PHONE)[0]
        assert msg.phone_masked == "010-****-0003"
        assert "0003" not in msg.phone_enc
        assert msg.body.startswith("[마포구청] 인증번호 ")


def test_a_code_per_slot_with_the_subject_s_limits(rt):
    """Two boxes' codes for one person: neither replaces the other, each lives
    its own five minutes, the tries and the pause between sends are the
    person's, and a code sent when none other lives counts afresh."""
    with rt.session() as s:
        assert otp.send_code(s, rt, "resident:3:cert", PHONE, slot="tv1").ok
        code_1 = last_code(rt)
        again = otp.send_code(s, rt, "resident:3:cert", PHONE, slot="tv2")
        assert again.reason == "cooldown" and again.elsewhere
        rt.redis.delete("otp:cooldown:resident:3:cert")
        assert otp.send_code(s, rt, "resident:3:cert", PHONE, slot="tv2").ok
    code_2 = last_code(rt)
    wrong = "%06d" % ((int(code_1) + 1) % 1_000_000)
    if wrong == code_2:
        wrong = "%06d" % ((int(code_1) + 2) % 1_000_000)
    assert otp.verify_code(rt, "resident:3:cert", wrong, slot="tv1").attempts_left == 4
    assert otp.verify_code(rt, "resident:3:cert", code_1, slot="tv3").reason == "expired"  # no code there
    # tv1's five minutes pass (the hash lives on for tv2's newer code)
    rt.redis.hset("otp:code:resident:3:cert", "x:tv1", int(rt.redis.time()[0]) - 1)
    assert otp.verify_code(rt, "resident:3:cert", code_1, slot="tv1").reason == "expired"
    assert otp.verify_code(rt, "resident:3:cert", wrong, slot="tv2").attempts_left == 3  # the same count
    assert otp.verify_code(rt, "resident:3:cert", code_2, slot="tv2").ok
    assert not rt.redis.exists("otp:code:resident:3:cert")  # none lives: all gone
    with rt.session() as s:
        assert otp.send_code(s, rt, "resident:3:cert", PHONE, slot="tv1").ok
    assert otp.verify_code(rt, "resident:3:cert", "12", slot="tv1").attempts_left == 4  # afresh
