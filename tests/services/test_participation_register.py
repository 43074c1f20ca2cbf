"""주민 참여 from the back end's register: the electorate counted by the
register (ElectorateQuery) at publication, the voter's household mirrored
again at vote time (a stale mirror neither admits nor refuses anyone), and the
mirror deciding while the back end cannot answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from services import pii
from services.bridge.client import BackendUnavailable
from services.households import phone_hash
from services.models import Household, Resident, utcnow
from services.participation import ballots, register, screens, votes
from services.petitions import handle_mo
from services.sms.text import cp949_len

MINJUN = "010-0000-0003"
STALE_PHONE = "010-0000-0099"


@dataclass(frozen=True)
class Op:
    username: str
    role: str


EDITOR, APPROVER = Op("editor", "editor"), Op("approver", "approver")


def open_vote(rt, electorate="residents") -> int:
    now = utcnow()
    with rt.session() as s:
        v = votes.create_vote(s, EDITOR, kind="question", title="망원동 공영주차장",
                              options=[votes.OptionInput("찬성"), votes.OptionInput("반대")],
                              opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1),
                              district=rt.config.PARTICIPATION_DISTRICT, electorate=electorate)
        votes.approve(s, APPROVER, v.id)
        return v.id


def say(rt, phone, text):
    reply = handle_mo(rt, phone, text).reply
    assert reply and cp949_len(reply) <= 90, (text, reply)
    return reply


def stale_resident(rt) -> int:
    """An adult the mirror still lists in 김민준's household but the register does not."""
    with rt.session() as s:
        minjun = s.scalar(select(Resident).where(Resident.ref == "R1003"))
        rrn = "800101-1234567"
        r = Resident(household_id=minjun.household_id, ref="R9999", position=9, name="이사간", relation="동거인",
                     rrn_enc=rt.crypto.encrypt(rrn), rrn_masked=pii.mask_rrn(rrn),
                     phone_enc=rt.crypto.encrypt(STALE_PHONE), phone_hash=phone_hash(rt.crypto, STALE_PHONE))
        s.add(r)
        s.flush()
        return r.id


def test_the_register_counts_its_electorate(demo):
    as_of = utcnow().date().isoformat()
    mapo = demo.config.PARTICIPATION_DISTRICT
    assert demo.bridge.electorate(mapo, 14, as_of) == {"residents": 8, "households": 3}
    assert demo.bridge.electorate(mapo, 24, "2026-12-06") == {"residents": 7, "households": 3}  # 박서연 is 23
    assert demo.bridge.electorate("서울특별시 서대문구", 14, as_of) == {"residents": 0, "households": 0}


@pytest.mark.parametrize("electorate,expected", [("residents", 8), ("households", 3)])
def test_turnout_is_counted_against_the_register_not_the_mirror(demo, electorate, expected):
    vid = open_vote(demo, electorate)
    stale_resident(demo)
    with demo.session() as s:
        v = s.get(votes.Vote, vid)
        assert ballots.eligible_count(s, demo.crypto, v) == (9 if electorate == "residents" else 3)  # the mirror's
        votes.close_now(s, APPROVER, vid)
        votes.publish(s, demo.crypto, APPROVER, vid, runtime=demo)
        result = s.get(votes.Vote, vid).result
        assert (result["eligible"], result["eligible_source"]) == (expected, "register")
        assert votes.audit_entries(s, vid)[-1].detail["eligible_source"] == "register"


def test_the_mirror_counts_while_the_register_cannot_answer(demo, monkeypatch):
    vid = open_vote(demo)
    stale_resident(demo)

    def down(*a, **k):
        raise BackendUnavailable("down")

    monkeypatch.setattr(demo.bridge, "electorate", down)
    with demo.session() as s:
        votes.close_now(s, APPROVER, vid)
        votes.publish(s, demo.crypto, APPROVER, vid, runtime=demo)
        result = s.get(votes.Vote, vid).result
    assert (result["eligible"], result["eligible_source"]) == (9, "mirror")


def test_a_stale_mirror_is_refreshed_from_the_register_at_vote_time(demo):
    vid = open_vote(demo)
    # The mirror says 김민준's household moved out of the district; the register says it did not.
    with demo.session() as s:
        hh = s.get(Household, s.scalar(select(Resident.household_id).where(Resident.ref == "R1003")))
        hh.address = "서울특별시 서대문구 연희로 1"
    assert "선택[1" in say(demo, MINJUN, "투표 %d 1" % vid)
    with demo.session() as s:
        assert s.get(Household, hh.id).address.startswith(demo.config.PARTICIPATION_DISTRICT)
    # A resident the register no longer lists in the household may not vote, by SMS or on the TV.
    rid = stale_resident(demo)
    assert "명부에서 찾을 수 없어" in say(demo, STALE_PHONE, "투표 %d 1" % vid)
    people = {p.id: p for p in screens.voters(demo, hh.id, vid, refresh=True)}
    assert people[rid].why_code == "not_resident" and not any(
        p.why_not for i, p in people.items() if i != rid)
    with pytest.raises(ballots.NotEligible, match="명부"):
        screens.record(demo, vid, rid, [1])
    with demo.session() as s:
        assert s.scalar(select(ballots.VoteRoll).where(ballots.VoteRoll.vote_id == vid)) is None


def test_the_mirror_decides_while_the_register_cannot_answer(demo, monkeypatch):
    vid = open_vote(demo)
    rid = stale_resident(demo)

    def down(*a, **k):
        raise BackendUnavailable("down")

    monkeypatch.setattr(demo.bridge, "household", down)
    with demo.session() as s:
        hh_id = s.get(Resident, rid).household_id
    assert not any(p.why_not for p in screens.voters(demo, hh_id, vid, refresh=True))
    cast = screens.record(demo, vid, rid, [2])  # as last synced: a vote is not lost to an outage
    assert re.fullmatch(r"\d{12}", cast.receipt)
    with demo.session() as s:
        assert register.refresh_household(s, demo, s.get(Household, hh_id)) is None
