"""Who may vote, casting, changing and checking a ballot, and the tally.

Eligibility is read from the register's mirror (``services.households``):
a resident whose household's address is in the vote's district, aged
``vote.min_age`` or more on the opening day (from the resident number); with
``electorate == "households"`` one ballot per household, cast by any of its
residents who may vote.

Casting writes a roll row (primary key: vote and voter, so a second one fails
in the database, whoever races) and a ballot (random id, the choices, a keyed
hash of a fresh receipt code) in the caller's one transaction. The receipt code
is returned once and kept nowhere: with it the voter checks the ballot, or
replaces it before closing (the old ballot is deleted, a new one with a new
random id and receipt takes its place: nothing links the two).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import pii
from services.core.crypto import Crypto
from services.core.errors import AppError
from services.korean import KST
from services.models import (
    Household,
    Resident,
    Vote,
    VoteBallot,
    VotePaperCount,
    VoteRoll,
    utcnow,
)

RECEIPT_DIGITS = 12
RECEIPT_PURPOSE = "vote-receipt"
OPENING_STATES = ("approved", "open")  # an approved vote is open between its times


class BallotError(AppError):
    status_code = 400

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.message = message
        self.reason = reason or "refused"


class NotEligible(BallotError):
    status_code = 403


class AlreadyVoted(BallotError):
    status_code = 409


NOT_RESIDENT = "주민등록 명부에서 찾을 수 없어 투표할 수 없습니다"
OTHER_DISTRICT = "이 투표는 %s 주민만 할 수 있습니다"
UNDER_AGE = "이 투표는 만 %d세 이상만 할 수 있습니다"
ALREADY = "이미 투표하셨습니다. 바꾸려면 받은 확인번호로 바꿔 주세요"
NOT_OPEN = "지금은 투표할 수 없습니다 (투표 기간이 아닙니다)"
NO_BALLOT = "확인번호에 맞는 투표지가 없습니다"


# -- who may vote --------------------------------------------------------------

def birth_date(rrn: str) -> date | None:
    """The birth date a resident number says (YYMMDD, century from the 7th digit)."""
    d = pii.digits(rrn)
    if len(d) != 13:
        return None
    century = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900}.get(d[6], 2000)
    try:
        return date(century + int(d[:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        return None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_open(vote: Vote, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return vote.state in OPENING_STATES and vote.opens_at <= now < vote.closes_at


def ineligibility(crypto: Crypto, vote: Vote, resident: Resident | None,
                  household: Household | None) -> tuple[str, str]:
    """("", "") when this resident may vote, else (a code, a Korean sentence):
    ``not_resident``, ``other_district`` or ``under_age``."""
    if resident is None or household is None:
        return "not_resident", NOT_RESIDENT
    if not household.address.startswith(vote.district):
        return "other_district", OTHER_DISTRICT % vote.district
    born = birth_date(crypto.decrypt(resident.rrn_enc) or "")
    if born is None or age_on(born, vote.opens_at.astimezone(KST).date()) < vote.min_age:
        return "under_age", UNDER_AGE % vote.min_age
    return "", ""


def may_vote(crypto: Crypto, vote: Vote, resident: Resident | None, household: Household | None) -> str:
    """"" when this resident may vote, else why not (a Korean sentence)."""
    return ineligibility(crypto, vote, resident, household)[1]


def voter_key(vote: Vote, resident: Resident) -> str:
    if vote.electorate == "households":
        return "household:%d" % resident.household_id
    return "resident:%d" % resident.id


def _voter(session: Session, crypto: Crypto, vote: Vote, resident_id: int | None) -> Resident:
    resident = session.get(Resident, resident_id) if resident_id else None
    household = session.get(Household, resident.household_id) if resident else None
    why = may_vote(crypto, vote, resident, household)
    if why:
        raise NotEligible(why, "not_eligible")
    return resident


def has_voted(session: Session, vote: Vote, resident: Resident) -> bool:
    return session.get(VoteRoll, (vote.id, voter_key(vote, resident))) is not None


def eligible_count(session: Session, crypto: Crypto, vote: Vote) -> int:
    """How many may vote, from the register's mirror (residents, or households)."""
    rows = session.execute(select(Resident, Household).join(Household, Resident.household_id == Household.id)
                           .where(Household.address.startswith(vote.district))).all()
    keys = {voter_key(vote, r) for r, h in rows if not may_vote(crypto, vote, r, h)}
    return len(keys)


# -- choices -------------------------------------------------------------------

def normalize_choices(vote: Vote, numbers) -> str:
    """The ballot's choices as stored ("1,3"), or BallotError saying what is wrong."""
    by_number = {o.number: o for o in vote.options}
    try:
        chosen = sorted({int(n) for n in numbers})
    except (TypeError, ValueError) as exc:
        raise BallotError("선택지 번호가 올바르지 않습니다", "bad_choice") from exc
    if not chosen or any(n not in by_number for n in chosen):
        raise BallotError("선택지 번호가 올바르지 않습니다 (1-%d)" % len(by_number), "bad_choice")
    if vote.kind == "question" and len(chosen) != 1:
        raise BallotError("하나만 고를 수 있습니다", "too_many")
    if vote.kind == "approval" and len(chosen) > vote.max_choices:
        raise BallotError("최대 %d개까지 고를 수 있습니다" % vote.max_choices, "too_many")
    if vote.kind == "knapsack" and sum(by_number[n].cost for n in chosen) > vote.budget:
        raise BallotError("고른 사업의 비용이 예산을 넘습니다", "over_budget")
    return ",".join(str(n) for n in chosen)


def choice_numbers(choices: str) -> list[int]:
    return [int(n) for n in choices.split(",") if n]


# -- casting -------------------------------------------------------------------

def new_receipt() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(RECEIPT_DIGITS))


def receipt_hash(crypto: Crypto, vote_id: int, receipt: str) -> str:
    return crypto.keyed_hash("%d:%s" % (vote_id, pii.digits(receipt)), RECEIPT_PURPOSE)


def format_receipt(receipt: str) -> str:
    """``1234 5678 9012``: read aloud and typed in groups of four."""
    d = pii.digits(receipt)
    return " ".join(d[i:i + 4] for i in range(0, len(d), 4))


def _new_ballot(session: Session, crypto: Crypto, vote: Vote, choices: str) -> str:
    receipt = new_receipt()
    session.add(VoteBallot(id=secrets.token_hex(16), vote_id=vote.id, choices=choices,
                           receipt_hash=receipt_hash(crypto, vote.id, receipt)))
    return receipt


@dataclass
class Cast:
    receipt: str
    choices: list[int] = field(default_factory=list)
    changed: bool = False


def cast(session: Session, crypto: Crypto, vote: Vote, resident_id: int, numbers) -> Cast:
    """Record a first ballot: the roll row and the ballot in this transaction.
    A second ballot of the same voter is refused (AlreadyVoted), races included."""
    if not is_open(vote):
        raise BallotError(NOT_OPEN, "not_open")
    resident = _voter(session, crypto, vote, resident_id)
    choices = normalize_choices(vote, numbers)
    key = voter_key(vote, resident)
    if session.get(VoteRoll, (vote.id, key)) is not None:
        raise AlreadyVoted(ALREADY, "already")
    session.add(VoteRoll(vote_id=vote.id, voter_key=key, household_id=resident.household_id))
    try:
        session.flush()
    except IntegrityError as exc:  # another request of the same voter won the race: the
        raise AlreadyVoted(ALREADY, "already") from exc  # caller's transaction rolls back
    receipt = _new_ballot(session, crypto, vote, choices)
    session.flush()
    return Cast(receipt, choice_numbers(choices))


def change(session: Session, crypto: Crypto, vote: Vote, resident_id: int, receipt: str, numbers) -> Cast:
    """Replace the ballot of this receipt (the voter's own: they are on the roll)
    by a new ballot with a new receipt. Nothing links the new to the old."""
    if not is_open(vote):
        raise BallotError(NOT_OPEN, "not_open")
    resident = _voter(session, crypto, vote, resident_id)
    choices = normalize_choices(vote, numbers)
    if not has_voted(session, vote, resident):
        raise BallotError(NO_BALLOT, "no_ballot")
    gone = session.execute(delete(VoteBallot).where(
        VoteBallot.vote_id == vote.id, VoteBallot.receipt_hash == receipt_hash(crypto, vote.id, receipt)))
    if gone.rowcount != 1:
        raise BallotError(NO_BALLOT, "no_ballot")
    new = _new_ballot(session, crypto, vote, choices)
    session.flush()
    return Cast(new, choice_numbers(choices), changed=True)


def check(session: Session, crypto: Crypto, vote: Vote, receipt: str) -> list[int] | None:
    """What the ballot of this receipt says, as counted (None: no such ballot)."""
    row = session.scalar(select(VoteBallot).where(
        VoteBallot.vote_id == vote.id, VoteBallot.receipt_hash == receipt_hash(crypto, vote.id, receipt)))
    return choice_numbers(row.choices) if row else None


# -- the tally -----------------------------------------------------------------

def digest(rows: list[tuple[str, str]]) -> str:
    """SHA-256 of the ballot box: one line ``<id> <choices>`` per ballot, sorted."""
    text = "".join("%s %s\n" % r for r in sorted(rows))
    return hashlib.sha256(text.encode()).hexdigest()


def tally(session: Session, vote: Vote, eligible: int | None = None) -> dict:
    """Counts from the ballot box (not from any running counter), paper counts
    apart, totals, turnout and the ballot box's digest."""
    rows = [tuple(r) for r in session.execute(
        select(VoteBallot.id, VoteBallot.choices).where(VoteBallot.vote_id == vote.id))]
    electronic = {o.number: 0 for o in vote.options}
    for _, choices in rows:
        for n in choice_numbers(choices):
            electronic[n] += 1
    paper = {o.number: 0 for o in vote.options}
    for n, c in session.execute(select(VotePaperCount.number, func.sum(VotePaperCount.count))
                                .where(VotePaperCount.vote_id == vote.id).group_by(VotePaperCount.number)):
        paper[n] = int(c or 0)
    voted = session.scalar(select(func.count()).select_from(VoteRoll).where(VoteRoll.vote_id == vote.id)) or 0
    return {
        "electronic": {str(k): v for k, v in electronic.items()},
        "paper": {str(k): v for k, v in paper.items()},
        "total": {str(k): electronic[k] + paper[k] for k in electronic},
        "ballots": len(rows),
        "voted": voted,
        "eligible": eligible,
        "digest": digest(rows),
    }
