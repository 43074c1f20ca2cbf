"""주민 참여 by SMS: the grammar, the conversation (list, options, what will be
recorded, the code, the receipt, a second vote refused, a change, a check),
every reply within one SMS (90 bytes of CP949), and no choice or receipt in
a stored text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services import pii, sms
from services.households import resident_by_phone
from services.models import Resident, VoteBallot, VoteRoll, utcnow
from services.participation import sms as vote_sms
from services.participation import votes
from services.petitions import handle_mo, parse
from services.sms.text import cp949_len

MINJUN = "010-0000-0003"
SEOYEON = "010-0000-0006"  # 박서연, another household


@dataclass(frozen=True)
class Op:
    username: str
    role: str


APPROVER = Op("approver", "approver")
EDITOR = Op("editor", "editor")  # four eyes: the approver approves another's draft


def open_vote(rt, district=None, kind="question", title="망원동 공영주차장을 어디에 지을까요", **kw) -> int:
    now = utcnow()
    with rt.session() as s:
        v = votes.create_vote(
            s, EDITOR, kind=kind, title=title,
            options=[votes.OptionInput("망원시장 뒤 공터 (망원동 415-3)"), votes.OptionInput("망원유수지 체육공원 옆"),
                     votes.OptionInput("한강공원 망원지구 입구"), votes.OptionInput("만들지 않는다")],
            opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1),
            district=district or rt.config.PARTICIPATION_DISTRICT, **kw)
        votes.approve(s, APPROVER, v.id)
        return v.id


def code(rt, phone):
    with rt.session() as s:
        for m in sms.messages_for_phone(s, rt, phone):
            if m.purpose == "otp":
                return re.search(r"\d{6}", m.body).group(0)
    raise AssertionError("no code sent")


def say(rt, phone, text):
    reply = handle_mo(rt, phone, text).reply
    assert reply and cp949_len(reply) <= 90, (text, reply, cp949_len(reply or ""))
    return reply


@pytest.mark.parametrize("text,name,no,choices,receipt", [
    ("투표", "votes", None, (), None),
    ("투표?", "votes", None, (), None),
    ("VOTE", "votes", None, (), None),
    ("투표 12", "vote", 12, (), None),
    ("투표 12 3", "vote", 12, (3,), None),
    ("투표12 3", "vote", 12, (3,), None),
    ("투표 12 1 3", "vote", 12, (1, 3), None),
    ("투표 12 1,3", "vote", 12, (1, 3), None),
    ("투표 12 13", "vote", 12, (1, 3), None),
    ("투표 12 2 123456789012", "vote", 12, (2,), "123456789012"),
    ("투표 12 2 1234 5678 9012", "vote", 12, (2,), "123456789012"),
    ("투표확인 123456789012", "vote_check", None, (), "123456789012"),
    ("투표 확인 12 1234-5678-9012", "vote_check", 12, (), "123456789012"),
    ("투표확인", "vote_check", None, (), None),
])
def test_parse_vote_commands(text, name, no, choices, receipt):
    cmd = parse(text)
    assert cmd.name == name
    assert (cmd.vote.vote_no, cmd.vote.choices, cmd.vote.receipt) == (no, choices, receipt)


def test_other_words_are_not_votes():
    assert parse("투표했어요").name == "unknown"
    assert parse("확인 123456").name == "confirm"


def test_every_vote_reply_fits_an_sms():
    kw = dict(no=123456, what="3 망원유수지…", receipt="1234 5678 9012")
    for key, text in vote_sms.R.items():
        assert cp949_len(text.format(**kw)) <= 90, key


def test_vote_by_sms_with_the_code_receipt_check_and_change(demo):
    rt = demo
    vid = open_vote(rt)
    other = open_vote(rt, title="2027년 마포구 주민참여예산 우리 동네 사업 고르기 (여러 개 고를 수 있습니다)",
                      kind="approval", max_choices=2)
    listed = say(rt, MINJUN, "투표")
    assert "%d 망원동" % vid in listed and "'투표 %d 1'" % other in listed
    options = say(rt, MINJUN, "투표 %d" % vid)
    assert "1 망원시장" in options and "'투표 %d 번호'" % vid in options
    assert "없거나" in say(rt, MINJUN, "투표 999 1")
    assert "번호가 올바르지" in say(rt, MINJUN, "투표 %d 7" % vid)
    assert "하나만" in say(rt, MINJUN, "투표 %d 1 2" % vid)

    ask = say(rt, MINJUN, "투표 %d 2" % vid)
    assert "선택[2 망원유수지" in ask and "'확인 123456'" in ask
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(VoteBallot)) == 0  # nothing before the code
    assert "맞지 않습니다" in say(rt, MINJUN, "확인 000000")
    done = say(rt, MINJUN, "확인 %s" % code(rt, MINJUN))
    receipt = re.search(r"확인번호 ([\d ]{14})", done).group(1).replace(" ", "")
    with rt.session() as s:
        assert s.scalars(select(VoteBallot.choices)).all() == ["2"]
        assert s.scalar(select(func.count()).select_from(VoteRoll)) == 1

    assert "이미 투표하셨습니다" in say(rt, MINJUN, "투표 %d 3" % vid)
    assert "확인번호 없이는 못 바꿉니다" in say(rt, MINJUN, "투표 %d 3" % vid)
    # A change with a receipt that finds no ballot is answered at once, before any code.
    with rt.session() as s:
        codes = len([m for m in sms.messages_for_phone(s, rt, MINJUN) if m.purpose == "otp"])
    lost = say(rt, MINJUN, "투표 %d 3 111122223333" % vid)
    assert "투표지가 없습니다" in lost and "확인번호 없이는 바꿀 수 없고 처음 투표가 셉니다" in lost
    with rt.session() as s:
        assert len([m for m in sms.messages_for_phone(s, rt, MINJUN) if m.purpose == "otp"]) == codes
    assert "선택[2 망원유수지" in say(rt, MINJUN, "투표확인 %s" % receipt)
    assert "없습니다" in say(rt, MINJUN, "투표확인 %d 111122223333" % vid)

    # A change: the receipt with the new choice, then the code.
    ask = say(rt, MINJUN, "투표 %d 4 %s" % (vid, ballots_grouped(receipt)))
    assert "선택[4 만들지" in ask
    done = say(rt, MINJUN, "확인 %s" % code(rt, MINJUN))
    assert "바꿨습니다" in done
    new = re.search(r"확인번호 ([\d ]{14})", done).group(1).replace(" ", "")
    assert new != receipt
    assert "없습니다" in say(rt, MINJUN, "투표확인 %s" % receipt)
    assert "선택[4 만들지" in say(rt, MINJUN, "투표확인 %s" % new)
    with rt.session() as s:
        assert s.scalars(select(VoteBallot.choices)).all() == ["4"]

    # Stored as the gateway keeps it (outside development): no choice, no receipt.
    for text in (ask, done, "투표 %d 4 %s" % (vid, receipt)):
        masked = pii.mask_codes(text)
        assert new not in masked.replace(" ", "") and receipt not in masked.replace(" ", "")
        assert "만들지" not in masked and not re.search(r"투표 \d+ 4", masked)


def ballots_grouped(receipt):
    return " ".join(receipt[i:i + 4] for i in range(0, 12, 4))




def test_a_refused_vote_leaves_a_waiting_certificate_alone(demo):
    """``투표 12 3`` replaces a certificate request waiting for its code only
    once the vote is valid and waits for its own code."""
    rt = demo
    vid = open_vote(rt)
    with rt.session() as s:
        rid = resident_by_phone(s, rt.crypto, MINJUN).id
    cert_waits = "sms:pending:%d" % rid
    assert "인증번호" in say(rt, MINJUN, "등본 메일")
    assert rt.redis.exists(cert_waits)
    for refused in ("투표 999 1", "투표 %d 7" % vid, "투표 %d 1 2" % vid, "투표 %d" % vid):
        say(rt, MINJUN, refused)
        assert rt.redis.exists(cert_waits), refused
        assert not vote_sms.waiting(rt.redis, resident(rt, rid))
    assert "선택[2" in say(rt, MINJUN, "투표 %d 2" % vid)
    assert not rt.redis.exists(cert_waits) and vote_sms.waiting(rt.redis, resident(rt, rid))


def resident(rt, rid):
    with rt.session() as s:
        return s.get(Resident, rid)


def test_a_voter_of_another_district_is_told_why(demo):
    vid = open_vote(demo, district="서울특별시 서대문구")
    assert "서대문구 주민만" in say(demo, SEOYEON, "투표 %d 1" % vid)
    assert "진행 중인 투표가 없습니다" not in say(demo, SEOYEON, "투표")


def test_no_open_vote(demo):
    assert say(demo, MINJUN, "투표") == "지금 진행 중인 투표가 없습니다."


def test_receipt_checks_are_limited_per_phone(demo):
    vid = open_vote(demo)
    for i in range(10):
        assert "없습니다" in say(demo, MINJUN, "투표확인 %d %012d" % (vid, i))
    assert "1분 뒤" in say(demo, MINJUN, "투표확인 %d %012d" % (vid, 99))
