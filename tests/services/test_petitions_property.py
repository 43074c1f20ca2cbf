"""Property: whatever arrives by SMS (random text, near-valid Korean and
English commands, odd spacing, hyphens, full-width forms, emoji), the
parser never raises and every reply fits its byte limit in CP949."""

import itertools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.models import SmsMessage
from services.petitions import handle_mo, parse
from services.sms.text import cp949_len

WORDS = ["등본", "초본", "납세증명", "납세증명서", "주민등록등본", "토지대장", "팩스", "펙스", "메일", "이메일로",
         "email", "fax", "상태", "세금", "취소", "도움말", "확인", "연결", "수신거부", "수신허용", "STOP",
         "help", "status", "cancel", "copy", "abstract", "로", "를", "?", "!", "-", "–", "—", "02", "031",
         "1588", "1234-5678", "123-4567", "20261121-123456", "123456", "12345", "BCDF-GHJK", "😀", "ㅋㅋ",
         "\u3000", "ｆａｘ", "\x00", "\u200b", "…"]
PHONES = ["010-0000-0001", "010-0000-0002", "010-0000-0003", "010-0000-0006", "010-5555-0101"]

near_valid = st.lists(st.sampled_from(WORDS), min_size=0, max_size=7).flatmap(
    lambda ws: st.lists(st.sampled_from(["", " ", "  ", "-", "\n"]), min_size=len(ws), max_size=len(ws))
    .map(lambda seps: "".join(w + s for w, s in zip(ws, seps, strict=True))))
messages = st.one_of(near_valid, st.text(max_size=200),
                     st.text(alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), max_size=120))


@settings(max_examples=5000, deadline=None)
@given(messages)
def test_parser_never_raises(text):
    cmd = parse(text)
    assert cmd.name in {"help", "status", "taxes", "cancel", "confirm", "approve", "pair", "stop", "start",
                        "cert", "votes", "vote", "vote_check", "unknown", "empty"}


_ts = itertools.count()
HANGUL = re.compile("[\uac00-\ud7a3]")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(phone=st.sampled_from(PHONES), text=messages, lms=st.booleans())
def test_conversation_never_raises_and_replies_fit(demo, monkeypatch, phone, text, lms):
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)
    demo.config.SMS_RATE_PER_PHONE = 10**9
    demo.config.SMS_RATE_GLOBAL = 10**9
    demo.config.LMS_ENABLED = lms
    out = handle_mo(demo, phone, text, ts=str(next(_ts)))
    if out.reply is not None:
        assert out.reply.strip()
        assert cp949_len(out.reply) <= (2000 if lms else 90)
        assert out.reply != "잠시 문제가 있어 처리하지 못했습니다. 잠시 후 다시 보내 주세요."  # no crash inside
        # Korean first (every reply is Korean, English commands included), and never cut:
        # a reply too long for one message comes whole, in numbered parts each within its limit.
        assert HANGUL.search(out.reply)
        assert not out.reply.endswith("..")
        with demo.session() as s:
            mo = s.scalar(select(SmsMessage).where(SmsMessage.direction == "mo").order_by(SmsMessage.id.desc()))
            parts = list(s.scalars(select(SmsMessage).where(SmsMessage.dedup_key.like("reply:%d%%" % mo.id))
                                   .order_by(SmsMessage.id)))
        assert parts and parts[0].body == out.reply
        for p in parts:
            assert cp949_len(p.body) <= (2000 if lms else 90) and not p.body.endswith("..")
        if len(parts) > 1:
            assert all(p.body.endswith("(%d/%d)" % (i, len(parts))) for i, p in enumerate(parts, 1))
