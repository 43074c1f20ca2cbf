"""주민 참여: who may vote, one ballot per voter (races included), changing and
checking a ballot by its receipt, secrecy of the ballot box, paper counts,
the workflow and its audit log. On SQLite and a real PostgreSQL server."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from services.core.crypto import Crypto
from services.core.db import get_engine, session_scope, sessionmaker_for
from services.korean import now_kst
from services.models import (
    Household,
    Resident,
    Vote,
    VoteAudit,
    VoteBallot,
    VotePaperCount,
    VoteRoll,
    utcnow,
)
from services.participation import ballots, votes

CRYPTO = Crypto("test-key" * 5)
MAPO = "서울특별시 마포구"


@dataclass(frozen=True)
class Op:
    username: str
    role: str


EDITOR = Op("editor1", "editor")
APPROVER = Op("approver1", "approver")


def rrn_for(born: date, female: bool = False) -> str:
    s = (3 if born.year >= 2000 else 1) + (1 if female else 0)
    return "%02d%02d%02d-%d123456" % (born.year % 100, born.month, born.day, s)


def add_household(s, code: str, address: str, people: list[tuple[str, date]]) -> list[int]:
    hh = Household(code=code, address=address)
    s.add(hh)
    s.flush()
    ids = []
    for pos, (ref, born) in enumerate(people):
        rrn = rrn_for(born)
        r = Resident(household_id=hh.id, ref=ref, position=pos, name="주민", relation="",
                     rrn_enc=CRYPTO.encrypt(rrn), rrn_masked=rrn[:8] + "******")
        s.add(r)
        s.flush()
        ids.append(r.id)
    return ids


def make_vote(s, kind="question", n=3, electorate="residents", opens_in=timedelta(hours=-1), **kw) -> int:
    now = utcnow()
    opts = [votes.OptionInput("선택 %d" % i, cost=kw.pop("cost", 0) or (i * 100)) for i in range(1, n + 1)]
    v = votes.create_vote(s, EDITOR, kind=kind, title="구민 투표", options=opts, opens_at=now + opens_in,
                          closes_at=now + timedelta(hours=2), district=MAPO, electorate=electorate, **kw)
    return v.id


def open_vote(s, vote_id: int) -> Vote:
    votes.approve(s, APPROVER, vote_id)
    v = votes.get_vote(s, vote_id)
    assert v.state == votes.OPEN  # its opening time has come: open on approval
    return v


@pytest.fixture
def world(any_db_url):
    today = now_kst().date()
    with session_scope(any_db_url) as s:
        adult, teen, child = add_household(s, "H1", MAPO + " 망원로 1", [
            ("A1", date(1970, 5, 1)),
            ("T14", today.replace(year=today.year - 14) - timedelta(days=1)),
            ("C13", today.replace(year=today.year - 14) + timedelta(days=1)),
        ])
        (spouse,) = add_household(s, "H2", MAPO + " 도화길 2", [("B1", date(1960, 1, 1))])
        (outsider,) = add_household(s, "H3", "서울특별시 서대문구 연희로 3", [("X1", date(1980, 1, 1))])
    return any_db_url, {"adult": adult, "teen": teen, "child": child, "spouse": spouse,
                        "outsider": outsider}


# -- eligibility ---------------------------------------------------------------

def test_who_may_vote(world):
    url, p = world
    with session_scope(url) as s:
        v = open_vote(s, make_vote(s))
        with pytest.raises(ballots.NotEligible, match="명부"):
            ballots.cast(s, CRYPTO, v, 999999, [1])
        with pytest.raises(ballots.NotEligible, match="만 14세"):
            ballots.cast(s, CRYPTO, v, p["child"], [1])
        with pytest.raises(ballots.NotEligible, match="마포구 주민"):
            ballots.cast(s, CRYPTO, v, p["outsider"], [1])
        assert ballots.cast(s, CRYPTO, v, p["teen"], [2]).choices == [2]  # 14 on the opening day
        assert ballots.cast(s, CRYPTO, v, p["adult"], [1]).receipt
    with session_scope(url) as s:
        v = s.get(Vote, v.id)
        with pytest.raises(ballots.AlreadyVoted):
            ballots.cast(s, CRYPTO, v, p["adult"], [3])
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(VoteBallot)) == 2
        assert s.scalar(select(func.count()).select_from(VoteRoll)) == 2
        assert ballots.eligible_count(s, CRYPTO, s.get(Vote, v.id)) == 3  # adult, teen, spouse


def test_one_ballot_per_household(world):
    url, p = world
    with session_scope(url) as s:
        v = open_vote(s, make_vote(s, electorate="households"))
        ballots.cast(s, CRYPTO, v, p["adult"], [1])
        with pytest.raises(ballots.AlreadyVoted):
            ballots.cast(s, CRYPTO, v, p["teen"], [2])
    with session_scope(url) as s:
        v = s.get(Vote, v.id)
        ballots.cast(s, CRYPTO, v, p["spouse"], [2])
        assert ballots.eligible_count(s, CRYPTO, v) == 2


def test_a_change_replaces_the_ballot_without_a_link(world):
    url, p = world
    with session_scope(url) as s:
        v = open_vote(s, make_vote(s))
        first = ballots.cast(s, CRYPTO, v, p["adult"], [1])
        ballots.cast(s, CRYPTO, v, p["spouse"], [1])
    with session_scope(url) as s:
        old_ids = set(s.scalars(select(VoteBallot.id)))
        v = s.get(Vote, v.id)
        with pytest.raises(ballots.BallotError, match="확인번호"):
            ballots.change(s, CRYPTO, v, p["adult"], "000000000000", [3])
    with session_scope(url) as s:
        v = s.get(Vote, v.id)
        with pytest.raises(ballots.BallotError, match="확인번호"):  # not on the roll: not theirs
            ballots.change(s, CRYPTO, v, p["teen"], first.receipt, [3])
    with session_scope(url) as s:
        v = s.get(Vote, v.id)
        second = ballots.change(s, CRYPTO, v, p["adult"], first.receipt, [3])
        assert second.changed and second.receipt != first.receipt
    with session_scope(url) as s:
        v = s.get(Vote, v.id)
        assert ballots.check(s, CRYPTO, v, first.receipt) is None
        assert ballots.check(s, CRYPTO, v, ballots.format_receipt(second.receipt)) == [3]
        new_ids = set(s.scalars(select(VoteBallot.id)))
        assert len(new_ids) == 2 and len(new_ids - old_ids) == 1
        assert ballots.tally(s, v)["electronic"] == {"1": 1, "2": 0, "3": 1}


def test_ballot_rules_per_kind(world):
    url, p = world
    with session_scope(url) as s:
        q = open_vote(s, make_vote(s))
        with pytest.raises(ballots.BallotError, match="하나만"):
            ballots.normalize_choices(q, [1, 2])
        with pytest.raises(ballots.BallotError, match="번호"):
            ballots.normalize_choices(q, [4])
        a = open_vote(s, make_vote(s, kind="approval", n=5, max_choices=2))
        assert ballots.normalize_choices(a, [3, 1, 3]) == "1,3"
        with pytest.raises(ballots.BallotError, match="최대 2개"):
            ballots.normalize_choices(a, [1, 2, 3])
        k = open_vote(s, make_vote(s, kind="knapsack", n=4, budget=500))  # costs 100..400
        assert ballots.normalize_choices(k, [1, 4]) == "1,4"
        with pytest.raises(ballots.BallotError, match="예산"):
            ballots.normalize_choices(k, [2, 4])


def test_no_vote_before_opening_or_after_closing(world):
    url, p = world
    with session_scope(url) as s:
        vid = make_vote(s, opens_in=timedelta(hours=1))
        votes.approve(s, APPROVER, vid)
        v = votes.get_vote(s, vid)
        assert v.state == votes.APPROVED
        with pytest.raises(ballots.BallotError, match="투표 기간"):
            ballots.cast(s, CRYPTO, v, p["adult"], [1])
        votes.open_now(s, APPROVER, vid)
        ballots.cast(s, CRYPTO, v, p["adult"], [1])
        votes.close_now(s, APPROVER, vid)
        with pytest.raises(ballots.BallotError, match="투표 기간"):
            ballots.cast(s, CRYPTO, v, p["spouse"], [1])


# -- secrecy -------------------------------------------------------------------

def test_nothing_joins_a_ballot_to_a_voter(world):
    url, p = world
    with session_scope(url) as s:
        v = open_vote(s, make_vote(s))
        receipts = [ballots.cast(s, CRYPTO, v, p[k], [i]).receipt
                    for i, k in enumerate(("adult", "teen", "spouse"), 1)]
    insp = inspect(get_engine(url))
    cols = {c["name"]: c for c in insp.get_columns("vote_ballots")}
    assert set(cols) == {"id", "vote_id", "choices", "receipt_hash"}
    assert not any("time" in str(c["type"]).lower() or "date" in str(c["type"]).lower() for c in cols.values())
    assert "INT" not in str(cols["id"]["type"]).upper()  # no sequence for an id
    fks = insp.get_foreign_keys("vote_ballots")
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in fks] == [("votes", ["vote_id"])]
    # Nothing but the vote is shared between the two tables, and no table points at a ballot.
    roll_cols = {c["name"] for c in insp.get_columns("vote_roll")}
    assert roll_cols & set(cols) == {"vote_id"}
    for table in insp.get_table_names():
        assert all(fk["referred_table"] != "vote_ballots" for fk in insp.get_foreign_keys(table)), table
    # In the filled database: no roll value, resident id or resident data appears on a ballot.
    with session_scope(url) as s:
        ballot_values = set()
        for b in s.scalars(select(VoteBallot)):
            ballot_values |= {b.id, b.receipt_hash}  # and choices: option numbers of the vote
            assert b.choices in ("1", "2", "3")
            assert len(b.id) == 32 and int(b.id, 16) >= 0
        roll_values = set()
        for r in s.scalars(select(VoteRoll)):
            roll_values |= {r.voter_key, str(r.household_id)}
        people = set()
        for r in s.scalars(select(Resident)):
            people |= {str(r.id), r.ref, r.rrn_enc, r.rrn_masked}
        assert not ballot_values & (roll_values | people)
        assert not any(rcpt in value for rcpt in receipts for value in ballot_values)  # only a keyed hash
        audit = [a.detail for a in s.scalars(select(VoteAudit))]
        assert not any("resident" in str(d) for d in audit)  # voters' acts are not audited


# -- 1,000 voters at once ------------------------------------------------------

@pytest.mark.postgres
def test_a_thousand_concurrent_voters(postgres_server):
    import uuid

    from tests.conftest import _migrated

    url = _migrated(postgres_server.create_database("t_" + uuid.uuid4().hex[:12]))
    with session_scope(url) as s:
        people = []
        for h in range(250):
            people += add_household(s, "H%d" % h, MAPO + " 동 %d" % h,
                                    [("R%d-%d" % (h, i), date(1950 + i, 1, 1)) for i in range(4)])
        vid = open_vote(s, make_vote(s, kind="approval", n=5, max_choices=2)).id
    chosen = {rid: sorted({1 + rid % 5, 1 + (rid * 7) % 5}) for rid in people}
    outcome = Counter()
    lock = threading.Lock()

    def one(rid):
        try:
            with session_scope(url) as s:
                ballots.cast(s, CRYPTO, s.get(Vote, vid), rid, chosen[rid])
            what = "ok"
        except ballots.AlreadyVoted:
            what = "already"
        with lock:
            outcome[what] += 1

    # Every voter twice, interleaved: each races their own second try.
    with ThreadPoolExecutor(max_workers=50) as pool:
        list(pool.map(one, people + people[::-1]))
    assert outcome == {"ok": 1000, "already": 1000}
    expected = Counter(n for rid in people for n in chosen[rid])
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(VoteBallot)) == 1000
        assert s.scalar(select(func.count()).select_from(VoteRoll)) == 1000
        votes.close_now(s, APPROVER, vid)
        votes.publish(s, CRYPTO, APPROVER, vid)
        result = s.get(Vote, vid).result
    assert result["electronic"] == {str(n): expected[n] for n in range(1, 6)}
    assert sum(result["total"].values()) == sum(len(c) for c in chosen.values())
    assert result["ballots"] == result["voted"] == result["eligible"] == 1000


# -- workflow, paper ballots, publication ---------------------------------------

def test_four_eyes_an_approver_cannot_approve_their_own_draft(world):
    url, _ = world
    other = Op("approver2", "approver")
    with session_scope(url) as s:
        now = utcnow()
        vid = votes.create_vote(s, APPROVER, kind="question", title="구민 투표",
                                options=[votes.OptionInput("찬성"), votes.OptionInput("반대")],
                                opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2),
                                district=MAPO).id
        with pytest.raises(votes.NotAllowed, match="자기가 만든"):
            votes.approve(s, APPROVER, vid)
        assert votes.get_vote(s, vid).state == votes.DRAFT
        votes.approve(s, other, vid)
        v = votes.get_vote(s, vid)
        assert (v.state, v.created_by, v.approved_by) == (votes.APPROVED, "approver1", "approver2")
        entry = votes.audit_entries(s, vid)[-1]
        assert (entry.actor, entry.action, entry.detail) == ("approver2", "approve", {"created_by": "approver1"})


def test_workflow_roles_paper_and_publication(world):
    url, p = world
    with session_scope(url) as s:
        vid = make_vote(s, opens_in=timedelta(hours=1), show_running=True)
        with pytest.raises(votes.NotAllowed):
            votes.approve(s, EDITOR, vid)
        with pytest.raises(votes.BadState):
            votes.enter_paper(s, EDITOR, vid, "망원1동 주민센터", {1: 3})
        votes.approve(s, APPROVER, vid)
        votes.open_now(s, APPROVER, vid)
        v = votes.get_vote(s, vid)
        r1 = ballots.cast(s, CRYPTO, v, p["adult"], [1]).receipt
        ballots.cast(s, CRYPTO, v, p["spouse"], [2])
        votes.enter_paper(s, EDITOR, vid, "망원1동 주민센터", {1: 3, 2: 1, 3: 0})
        votes.enter_paper(s, EDITOR, vid, "망원1동 주민센터", {1: 4, 2: 1, 3: 0})  # corrected
        votes.enter_paper(s, EDITOR, vid, "도화동 주민센터", {3: 2})
        with pytest.raises(votes.VoteError):
            votes.enter_paper(s, EDITOR, vid, "도화동 주민센터", {9: 2})
        with pytest.raises(votes.BadState):
            votes.publish(s, CRYPTO, APPROVER, vid)
        votes.close_now(s, APPROVER, vid)
        with pytest.raises(votes.NotAllowed):
            votes.publish(s, CRYPTO, EDITOR, vid)
        # A ballot slipped into the box after closing is counted at publication: the
        # tally comes from the box, not from a counter.
        s.add(VoteBallot(id="f" * 32, vote_id=vid, choices="3", receipt_hash="x" * 64))
        s.flush()
        v = votes.publish(s, CRYPTO, APPROVER, vid)
        assert v.state == votes.PUBLISHED
        assert v.result["electronic"] == {"1": 1, "2": 1, "3": 1}
        assert v.result["paper"] == {"1": 4, "2": 1, "3": 2}
        assert v.result["total"] == {"1": 5, "2": 2, "3": 3}
        rows = list(s.execute(select(VoteBallot.id, VoteBallot.choices).where(VoteBallot.vote_id == vid)))
        assert v.result["digest"] == ballots.digest([tuple(r) for r in rows])
        assert ballots.check(s, CRYPTO, v, r1) == [1]  # verifiable after publication
        with pytest.raises(votes.BadState):
            votes.enter_paper(s, EDITOR, vid, "도화동 주민센터", {3: 9})
    with session_scope(url) as s:
        log = [(a.actor, a.action) for a in votes.audit_entries(s, vid)]
        assert log == [("editor1", "create"), ("approver1", "approve"), ("approver1", "open"),
                       ("editor1", "paper"), ("editor1", "paper"), ("editor1", "paper"),
                       ("approver1", "close"), ("approver1", "publish")]
        paper = [a.detail for a in votes.audit_entries(s, vid) if a.action == "paper"]
        assert paper[1] == {"booth": "망원1동 주민센터", "before": {"1": 3, "2": 1, "3": 0},
                            "after": {"1": 4, "2": 1, "3": 0}}
        assert s.scalar(select(func.count()).select_from(VotePaperCount)) == 4


def test_votes_open_and_close_by_their_times(world):
    url, _ = world
    with session_scope(url) as s:
        vid = make_vote(s, opens_in=timedelta(minutes=30))
        votes.approve(s, APPROVER, vid)
        v = votes.get_vote(s, vid)
        votes.advance(s, now=v.opens_at)
        assert v.state == votes.OPEN
        votes.advance(s, now=v.closes_at)
        assert v.state == votes.CLOSED
        assert [(a.actor, a.action) for a in votes.audit_entries(s, vid)][-2:] == [
            ("system", "open"), ("system", "close")]


def test_a_vote_is_checked_when_created(world):
    url, _ = world
    now = utcnow()
    with session_scope(url) as s:
        def bad(**kw):
            args = dict(kind="question", title="t", options=[votes.OptionInput("a"), votes.OptionInput("b")],
                        opens_at=now, closes_at=now + timedelta(days=1), district=MAPO)
            args.update(kw)
            with pytest.raises(votes.VoteError):
                votes.create_vote(s, EDITOR, **args)
        bad(options=[votes.OptionInput("a")])
        bad(options=[votes.OptionInput(str(i)) for i in range(10)])
        bad(closes_at=now)
        bad(kind="approval", max_choices=2)
        bad(kind="knapsack", budget=100)
        bad(title=" ")


def test_screens_advancing_a_vote_at_once_audit_it_once(world):
    url, _ = world
    with session_scope(url) as s:
        vid = make_vote(s, opens_in=timedelta(minutes=30))
        votes.approve(s, APPROVER, vid)
    a, b = sessionmaker_for(url)(), sessionmaker_for(url)()
    try:
        va, vb = a.get(Vote, vid), b.get(Vote, vid)  # both read it approved
        assert va.state == vb.state == votes.APPROVED
        votes.advance(a, now=va.opens_at)
        a.commit()
        votes.advance(b, now=vb.opens_at)
        b.commit()
        assert vb.state == votes.OPEN
    finally:
        a.close()
        b.close()
    with session_scope(url) as s:
        assert [x.action for x in votes.audit_entries(s, vid)] == ["create", "approve", "open"]
