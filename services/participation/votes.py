"""A vote's life on the console: draft -> approved -> open -> closed ->
published, paper counts from booths, and the audit log of every step.

Operators are the console's (``broadcast_feed``): anything with a
``username`` and a ``role``. Editors create drafts and enter paper counts;
approvers and admins also approve, open, close and publish. An approved vote
opens by itself at its opening time and closes at its closing time
(:func:`advance`, run whenever votes are listed); the operator may also open
or close it at once. Functions take a session: the caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from services.core.crypto import Crypto
from services.core.errors import AppError
from services.models import Vote, VoteAudit, VoteOption, VotePaperCount, utcnow
from services.participation import ballots, register

log = logging.getLogger(__name__)

DRAFT, APPROVED, OPEN, CLOSED, PUBLISHED = "draft", "approved", "open", "closed", "published"
STATES = (DRAFT, APPROVED, OPEN, CLOSED, PUBLISHED)
KINDS = ("question", "approval", "knapsack")
ELECTORATES = ("residents", "households")
SYSTEM = "system"

CAN = {
    "editor": {"create", "paper"},
    "approver": {"create", "paper", "approve", "open", "close", "publish"},
    "admin": {"create", "paper", "approve", "open", "close", "publish"},
}


class VoteError(AppError):
    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(VoteError):
    status_code = 403


class NotFound(VoteError):
    status_code = 404


class BadState(VoteError):
    status_code = 409


OWN_DRAFT = "자기가 만든 투표는 승인할 수 없습니다. 다른 승인자가 승인해야 합니다"


@dataclass(frozen=True)
class OptionInput:
    title: str
    description: str = ""
    cost: int = 0


def require(actor, what: str) -> None:
    if what not in CAN.get(actor.role, ()):
        raise NotAllowed("이 작업은 권한이 없습니다 (%s cannot %s)" % (actor.role, what))


def audit(session: Session, vote_id: int, actor: str, action: str, **detail) -> None:
    """One entry of the vote's audit log; the console's general audit page
    shows it beside the news steps (:func:`recent_audit`)."""
    session.add(VoteAudit(vote_id=vote_id, actor=actor, action=action, detail=detail))
    log.info("vote %s: %s", vote_id, action)


def refused(session: Session, vote_id: int, actor: str, step: str, why: str) -> None:
    """Audit a step the operator was refused (in its own unit of work: the
    refused step's was rolled back)."""
    if session.get(Vote, vote_id) is not None:
        audit(session, vote_id, actor, "refused", step=step, why=why)


def get_vote(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound("투표를 찾을 수 없습니다")
    return vote


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def create_vote(session: Session, actor, *, kind: str, title: str, options: list[OptionInput],
                opens_at: datetime, closes_at: datetime, district: str, description: str = "",
                max_choices: int = 1, budget: int = 0, electorate: str = "residents",
                min_age: int = 14, show_running: bool = False) -> Vote:
    """A draft vote: a question of 2 to 9 options, or a budget ballot of 2 to 9
    projects (approval: up to ``max_choices``; knapsack: up to ``budget`` won)."""
    require(actor, "create")
    title = _clean(title)
    if not title:
        raise VoteError("투표 제목을 쓰세요")
    if kind not in KINDS:
        raise VoteError("투표 종류가 올바르지 않습니다")
    if electorate not in ELECTORATES:
        raise VoteError("투표할 수 있는 사람을 고르세요")
    opts = [OptionInput(_clean(o.title), _clean(o.description), int(o.cost or 0)) for o in options]
    opts = [o for o in opts if o.title]
    if not 2 <= len(opts) <= 9:
        raise VoteError("선택지는 2개에서 9개까지입니다")
    if opens_at.tzinfo is None or closes_at.tzinfo is None or closes_at <= opens_at:
        raise VoteError("마감 시각은 시작 시각보다 뒤여야 합니다")
    if kind == "approval" and not 1 <= max_choices < len(opts):
        raise VoteError("고를 수 있는 사업 수는 1개 이상, 사업 수보다 적어야 합니다")
    if kind == "knapsack":
        if budget <= 0 or any(o.cost <= 0 for o in opts):
            raise VoteError("예산과 사업마다 비용을 쓰세요")
        if any(o.cost > budget for o in opts):
            raise VoteError("예산보다 비싼 사업이 있습니다")
    if kind != "knapsack" and any(o.cost < 0 for o in opts):
        raise VoteError("비용이 올바르지 않습니다")
    vote = Vote(kind=kind, title=title, description=(description or "").strip(),
                max_choices=max_choices if kind == "approval" else (1 if kind == "question" else len(opts)),
                budget=budget if kind == "knapsack" else 0, electorate=electorate, min_age=min_age,
                district=_clean(district), opens_at=opens_at, closes_at=closes_at,
                show_running=bool(show_running), state=DRAFT, created_by=actor.username, result={})
    session.add(vote)
    session.flush()
    for n, o in enumerate(opts, 1):
        session.add(VoteOption(vote_id=vote.id, number=n, title=o.title, description=o.description,
                               cost=o.cost))
    audit(session, vote.id, actor.username, "create", kind=kind, options=len(opts))
    session.flush()
    log.info("vote %s created by operator", vote.id)
    return vote


def _move(session: Session, actor, vote_id: int, what: str, frm: tuple[str, ...], to: str) -> Vote:
    require(actor, what)
    vote = get_vote(session, vote_id)
    advance(session, vote=vote)
    if vote.state not in frm:
        raise BadState("지금 상태(%s)에서는 할 수 없습니다" % vote.state)
    vote.state = to
    return vote


def approve(session: Session, actor, vote_id: int) -> Vote:
    """Four eyes: the approver is never the operator who made the draft (the
    console audits a refused attempt, :func:`refused`)."""
    require(actor, "approve")
    if get_vote(session, vote_id).created_by == actor.username:
        raise NotAllowed(OWN_DRAFT)
    vote = _move(session, actor, vote_id, "approve", (DRAFT,), APPROVED)
    vote.approved_by = actor.username
    audit(session, vote.id, actor.username, "approve", created_by=vote.created_by)
    advance(session, vote=vote)  # its opening time may have come
    return vote


def open_now(session: Session, actor, vote_id: int) -> Vote:
    vote = _move(session, actor, vote_id, "open", (APPROVED,), OPEN)
    now = utcnow()
    if vote.opens_at > now:
        vote.opens_at = now
    if vote.closes_at <= now:
        raise BadState("마감 시각이 지났습니다. 마감 시각을 고쳐 다시 만드세요")
    audit(session, vote.id, actor.username, "open")
    return vote


def close_now(session: Session, actor, vote_id: int) -> Vote:
    vote = _move(session, actor, vote_id, "close", (OPEN,), CLOSED)
    now = utcnow()
    if vote.closes_at > now:
        vote.closes_at = now
    audit(session, vote.id, actor.username, "close")
    return vote


def publish(session: Session, crypto: Crypto, actor, vote_id: int, runtime=None) -> Vote:
    """Count the ballot box again, add the paper counts, and publish the result
    with a digest of the ballot box. With ``runtime``, turnout's denominator
    is the back end's register's count (``register.eligible``); without it,
    or when the back end cannot answer, the mirror's."""
    vote = _move(session, actor, vote_id, "publish", (CLOSED,), PUBLISHED)
    if runtime is not None:
        eligible, source = register.eligible(session, runtime, vote)
    else:
        eligible, source = ballots.eligible_count(session, crypto, vote), register.MIRROR
    vote.result = dict(ballots.tally(session, vote, eligible=eligible), eligible_source=source)
    vote.published_at = utcnow()
    audit(session, vote.id, actor.username, "publish", ballots=vote.result["ballots"],
          digest=vote.result["digest"], eligible=eligible, eligible_source=source)
    return vote


def advance(session: Session, now: datetime | None = None, vote: Vote | None = None) -> None:
    """Open approved votes whose time has come and close open ones whose time is up.

    Many screens call this at once: each move is a conditional UPDATE, so only
    one of them makes it (and writes its audit entry)."""
    now = now or utcnow()
    rows = [vote] if vote is not None else session.scalars(
        select(Vote).where(Vote.state.in_((APPROVED, OPEN)))).all()
    for v in rows:
        if v.state == APPROVED and v.opens_at <= now < v.closes_at:
            _auto(session, v, APPROVED, OPEN, "opening time")
        if v.state in (APPROVED, OPEN) and v.closes_at <= now:
            _auto(session, v, v.state, CLOSED, "closing time")
    session.flush()


def _auto(session: Session, v: Vote, frm: str, to: str, why: str) -> None:
    session.flush()  # the vote's own pending changes first
    moved = session.execute(update(Vote).where(Vote.id == v.id, Vote.state == frm).values(state=to)
                            .execution_options(synchronize_session=False)).rowcount
    set_committed_value(v, "state", to if moved else session.scalar(select(Vote.state).where(Vote.id == v.id)))
    if moved:
        audit(session, v.id, SYSTEM, "open" if to == OPEN else "close", at=why)


def enter_paper(session: Session, actor, vote_id: int, booth: str, counts: dict[int, int]) -> Vote:
    """An officer's counts of one booth's paper ballots, per option. Entering a
    booth again replaces its counts; every entry is in the audit log."""
    require(actor, "paper")
    vote = get_vote(session, vote_id)
    advance(session, vote=vote)
    if vote.state not in (OPEN, CLOSED):
        raise BadState("종이 투표는 투표 중이거나 마감된 뒤, 결과 공개 전에만 넣을 수 있습니다")
    booth = _clean(booth)[:60]
    if not booth:
        raise VoteError("투표소 이름을 쓰세요")
    numbers = {o.number for o in vote.options}
    if any(n not in numbers for n in counts) or any(c < 0 for c in counts.values()):
        raise VoteError("선택지 번호나 표 수가 올바르지 않습니다")
    before = {}
    for row in session.scalars(select(VotePaperCount).where(VotePaperCount.vote_id == vote.id,
                                                            VotePaperCount.booth == booth)):
        before[row.number] = row.count
        session.delete(row)
    session.flush()
    for n, c in sorted(counts.items()):
        session.add(VotePaperCount(vote_id=vote.id, booth=booth, number=n, count=int(c),
                                   entered_by=actor.username))
    audit(session, vote.id, actor.username, "paper", booth=booth,
          before={str(k): v for k, v in sorted(before.items())},
          after={str(k): int(v) for k, v in sorted(counts.items())})
    session.flush()
    return vote


def paper_rows(session: Session, vote_id: int) -> list[VotePaperCount]:
    return list(session.scalars(select(VotePaperCount).where(VotePaperCount.vote_id == vote_id)
                                .order_by(VotePaperCount.booth, VotePaperCount.number)))


def audit_entries(session: Session, vote_id: int) -> list[VoteAudit]:
    return list(session.scalars(select(VoteAudit).where(VoteAudit.vote_id == vote_id)
                                .order_by(VoteAudit.id)))


def recent_audit(session: Session, limit: int = 300) -> list[VoteAudit]:
    """The latest audit entries of every vote, newest first (the console's audit page)."""
    return list(session.scalars(select(VoteAudit).order_by(VoteAudit.id.desc()).limit(limit)))


def list_votes(session: Session) -> list[Vote]:
    advance(session)
    return list(session.scalars(select(Vote).order_by(Vote.id.desc()).limit(200)))


def votes_in(session: Session, *states: str) -> list[Vote]:
    """Votes in these states (after :func:`advance`), newest first."""
    advance(session)
    return list(session.scalars(select(Vote).where(Vote.state.in_(states)).order_by(Vote.id.desc())))
