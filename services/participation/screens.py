"""What the TV, the phone page and the SMS conversation call: one unit of work
each, given the runtime (the views open no database sessions of their own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from services import approvals, otp, pii, ratelimit
from services.core.errors import AppError
from services.households import phone_hash
from services.models import Household, Resident, Vote
from services.participation import ballots, register, votes


class NotShown(AppError):
    status_code = 404

    def __init__(self, message: str = "투표를 찾을 수 없습니다"):
        super().__init__(message)
        self.message = message


@dataclass
class OptionView:
    number: int
    title: str
    description: str
    cost: int


@dataclass
class VoteView:
    id: int
    title: str
    description: str
    kind: str
    state: str
    opens_at: datetime
    closes_at: datetime
    max_choices: int
    budget: int
    electorate: str
    min_age: int
    show_running: bool
    options: list[OptionView]
    counts: dict | None = None  # running (when shown) or published
    result: dict = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.state == votes.OPEN

    def cost_of(self, numbers) -> int:
        by = {o.number: o.cost for o in self.options}
        return sum(by.get(n, 0) for n in numbers)


@dataclass
class VoterChoice:
    id: int
    name: str
    relation: str
    rrn_masked: str
    phone_masked: str | None
    why_not: str  # "" when this resident may vote
    voted: bool
    why_code: str = ""  # not_resident | other_district | under_age


def _view(session, v: Vote) -> VoteView:
    counts = None
    if v.state == votes.PUBLISHED:
        counts = v.result
    elif v.state == votes.OPEN and v.show_running:
        counts = ballots.tally(session, v)
    return VoteView(v.id, v.title, v.description, v.kind, v.state, v.opens_at, v.closes_at, v.max_choices,
                    v.budget, v.electorate, v.min_age, v.show_running,
                    [OptionView(o.number, o.title, o.description, o.cost) for o in v.options], counts,
                    v.result or {})


def listed(runtime) -> list[VoteView]:
    """Open votes first, then published results (newest first)."""
    with runtime.session() as s:
        rows = votes.votes_in(s, votes.OPEN) + votes.votes_in(s, votes.PUBLISHED)[:10]
        return [_view(s, v) for v in rows]


def vote_view(runtime, vote_id: int) -> VoteView:
    with runtime.session() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            raise NotShown()
        votes.advance(s, vote=v)
        if v.state in (votes.DRAFT, votes.APPROVED):
            raise NotShown()
        return _view(s, v)


def voters(runtime, household_id: int, vote_id: int, refresh: bool = False) -> list[VoterChoice]:
    """The household's residents, each with whether they may vote and have voted.
    With ``refresh`` the household is first mirrored again from the back end's
    register (``register.refresh_household``): a resident it no longer lists may not vote."""
    crypto = runtime.crypto
    with runtime.session() as s:
        v = s.get(Vote, vote_id)
        hh = s.get(Household, household_id)
        if v is None or hh is None:
            raise NotShown()
        listed = register.refresh_household(s, runtime, hh) if refresh else None
        out = []
        for r in s.scalars(select(Resident).where(Resident.household_id == household_id)
                           .order_by(Resident.position)):
            phone = crypto.decrypt(r.phone_enc) if r.phone_enc else None
            code, why = ballots.ineligibility(crypto, v, r, hh)
            if listed is not None and r.ref not in listed:
                code, why = "not_resident", ballots.NOT_RESIDENT
            out.append(VoterChoice(r.id, r.name, r.relation, r.rrn_masked,
                                   pii.mask_phone(phone) if phone else None,
                                   why, ballots.has_voted(s, v, r), code))
        return out


def voter(runtime, household_id: int, vote_id: int, resident_id: int) -> VoterChoice:
    for p in voters(runtime, household_id, vote_id):
        if p.id == resident_id:
            return p
    raise ballots.NotEligible(ballots.NOT_RESIDENT, "not_in_household")


def otp_subject(resident_id: int) -> str:
    return "resident:%d:vote" % resident_id


APPROVAL_WHAT = "vote"  # how services.approvals names a vote in its SMS (투표)


def send_code(runtime, household_id: int, vote_id: int, resident_id: int, *,
              approval: tuple[int, str] | None = None) -> otp.OtpResult:
    """An identity code to the voter's phone, as for certificates. With
    ``approval`` (the box's device id, its flow id) the SMS also says which
    digit to reply to approve instead of typing the code (``services.approvals``)."""
    person = voter(runtime, household_id, vote_id, resident_id)
    if person.why_not:
        raise ballots.NotEligible(person.why_not, "not_eligible")
    with runtime.session() as s:
        r = s.get(Resident, resident_id)
        if not r.phone_enc:
            raise ballots.NotEligible("등록된 휴대폰 번호가 없어 본인 확인을 할 수 없습니다", "no_phone")
        phone = runtime.crypto.decrypt(r.phone_enc)
        if approval is None:
            return otp.send_code(s, runtime, otp_subject(resident_id), phone)
        device_id, flow_id = approval
        ph = phone_hash(runtime.crypto, phone)
        digit = approvals.reserve(runtime, device_id, flow_id, ph)
        text = approvals.sms_text(digit, APPROVAL_WHAT) if digit else None
        result = otp.send_code(s, runtime, otp_subject(resident_id), phone, text=text, slot=approvals.slot(device_id))
        if result.ok and digit:
            approvals.offer(runtime, device_id, flow_id=flow_id, resident_id=resident_id,
                            subject=otp_subject(resident_id), ref=result.ref, digit=digit, phone_hash=ph,
                            cert_type=APPROVAL_WHAT)
        elif digit:
            approvals.release(runtime, device_id, digit, ph)
        return result


def check_code(runtime, resident_id: int, code: str, approval: tuple[int, str] | None = None) -> otp.OtpResult:
    """The code typed on the box; a right one also closes the box's approval by reply."""
    result = otp.verify_code(runtime, otp_subject(resident_id), code,
                             slot=approvals.slot(approval[0]) if approval else "")
    if result.ok and approval:
        approvals.code_typed(runtime, approval[0], approval[1], resident_id)
    return result


def reply_digit(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> int | None:
    """The digit the box's vote waits for from the phone (None: it waits for no reply)."""
    return approvals.waiting_digit(runtime, device_id, flow_id, resident_id)


def approval_status(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> str:
    """``approved``, ``pending`` or ``none`` (``services.approvals.status``)."""
    return approvals.status(runtime, device_id, flow_id, resident_id)


def take_approval(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> bool:
    """True once when the phone's reply approved the box's vote."""
    return approvals.take(runtime, device_id, flow_id, resident_id)


def record(runtime, vote_id: int, resident_id: int, numbers, receipt: str | None = None) -> ballots.Cast:
    """Cast a first ballot, or (with the receipt of the voter's ballot) replace it,
    after mirroring the voter's household again from the back end's register."""
    with runtime.session() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            raise NotShown()
        register.refresh_voter(s, runtime, resident_id)
        if receipt:
            return ballots.change(s, runtime.crypto, v, resident_id, receipt, numbers)
        return ballots.cast(s, runtime.crypto, v, resident_id, numbers)


RECEIPT_CHECKS_PER_MINUTE = 10


def receipt_check_allowed(runtime, who: str) -> bool:
    """One more receipt check for ``who`` (a box, a phone's keyed hash) this minute?"""
    return ratelimit.hit(runtime.redis, ratelimit.receipt_checks(RECEIPT_CHECKS_PER_MINUTE), who)


def check_receipt(runtime, vote_id: int, receipt: str, who: str) -> list[int] | None:
    """What the ballot of this receipt says (None: none), or ``BallotError``
    (``too_many``) past the checks a box or phone may make a minute."""
    if not receipt_check_allowed(runtime, who):
        raise ballots.BallotError("확인을 너무 여러 번 했습니다. 1분 뒤에 다시 해 주세요", "too_many_checks")
    with runtime.session() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            raise NotShown()
        return ballots.check(s, runtime.crypto, v, receipt)


def choices_of(runtime, vote_id: int, numbers) -> str:
    """The choices as stored, or ``BallotError`` saying what is wrong with them."""
    with runtime.session() as s:
        v = s.get(Vote, vote_id)
        if v is None:
            raise NotShown()
        return ballots.normalize_choices(v, numbers)
