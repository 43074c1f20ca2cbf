"""주민 참여 by SMS: the words, the replies (each within one SMS, counted in
CP949 bytes) and the steps the U-petition conversation (``services.petitions``)
runs for them:

- ``투표``: the open votes with their short numbers;
- ``투표 12``: vote 12's options;
- ``투표 12 3`` (``투표 12 1 3`` for several): says what will be recorded and
  sends a one-time code; ``확인 123456`` records and answers the receipt code;
  ``투표 12 3 123456789012``: the same, replacing the ballot of that receipt;
- ``투표확인 123456789012`` (or ``투표확인 12 123456789012``): what the ballot
  of that receipt says.

A stored text never shows a choice or a receipt (``services.pii.mask_codes``
masks ``선택[...]``, a vote's choices after its number, and 12-digit codes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import otp
from services.korean import particles
from services.models import Household, Resident, Vote
from services.participation import ballots, register, screens, votes
from services.sms.text import cp949_len

VOTE_WORDS = ("투표", "vote")
CHECK_WORDS = ("투표확인", "votecheck")
PENDING_TTL = otp.CODE_TTL + 60

R = {
    "none": "지금 진행 중인 투표가 없습니다.",
    "list_tail": " 예: '투표 {no} 1'",
    "options_tail": " 답장: '투표 {no} 번호'",
    "no_vote": "{no}번 투표가 없거나 투표 기간이 아닙니다. '투표'를 보내 목록을 보세요.",
    "challenge": "투표 {no} 선택[{what}] 기록: 받은 인증번호를 '확인 123456'처럼 보내 주세요.",
    "recorded": "투표했습니다. 확인번호 {receipt} (확인·변경에 필요, 보관하세요)",
    "changed": "투표를 바꿨습니다. 새 확인번호 {receipt} (보관하세요)",
    "already": "이미 투표하셨습니다. 바꾸려면 '투표 {no} 번호 확인번호'. 확인번호 없이는 못 바꿉니다.",
    "no_ballot": "확인번호에 맞는 투표지가 없습니다.",
    "no_ballot_change": "확인번호에 맞는 투표지가 없습니다. 확인번호 없이는 바꿀 수 없고 처음 투표가 셉니다.",
    "found": "투표 {no} 확인번호의 투표지: 선택[{what}]",
    "ask_receipt": "확인번호 12자리를 '투표확인 123456789012'처럼 보내 주세요.",
    "not_open": "투표 기간이 끝나 기록하지 못했습니다.",
    "too_many": "확인을 너무 여러 번 했습니다. 1분 뒤에 다시 보내 주세요.",
}


@dataclass
class VoteCommand:
    name: str  # votes | vote | vote_check
    vote_no: int | None = None
    choices: tuple[int, ...] = ()
    receipt: str | None = None


def _receipt_in(numbers: list[str]) -> tuple[str | None, list[str]]:
    """A receipt among the numbers (12 digits, or grouped 1234 5678 9012 at the end), and the others."""
    for n in numbers:
        if len(n) == ballots.RECEIPT_DIGITS:
            return n, [m for m in numbers if m is not n]
    if len(numbers) >= 3 and all(len(n) == 4 for n in numbers[-3:]):
        return "".join(numbers[-3:]), numbers[:-3]
    return None, numbers


def parse(text: str) -> VoteCommand | None:
    """A vote command from a normalized message (lower case, single spaces), or None."""
    compact = text.replace(" ", "")
    numbers = re.findall(r"\d+", text)  # the words have no digits
    if compact.startswith(CHECK_WORDS):
        receipt, others = _receipt_in(numbers)
        vote_no = int(others[0]) if others and len(others[0]) <= 4 else None
        return VoteCommand("vote_check", vote_no=vote_no, receipt=receipt)
    if compact.startswith(VOTE_WORDS):
        if not numbers:
            word = next(w for w in VOTE_WORDS if compact.startswith(w))
            return VoteCommand("votes") if not compact[len(word):].strip("?!.") else None
        receipt, rest = _receipt_in(numbers[1:])
        choices = [int(d) for n in rest for d in n]  # "13" or "1 3": options 1 and 3
        return VoteCommand("vote", vote_no=int(numbers[0][:6]), choices=tuple(choices), receipt=receipt)
    return None


def _fmt(key: str, **kw) -> str:
    return particles(R[key].format(**kw))


def _fit(head: str, items: list[str], tail: str, limit: int) -> str:
    """``head`` + as many ``items`` as fit + ``tail`` within ``limit`` bytes (items cut short if need be)."""
    out = head
    for item in items:
        for cut in (None, 8, 4):
            text = item if cut is None or len(item) <= cut else item[:cut] + "…"
            if cp949_len(out + " " + text + tail) <= limit:
                out = (out + " " + text).strip()
                break
        else:
            break
    return out + tail


def _open_vote(session: Session, no: int | None) -> Vote | None:
    v = session.get(Vote, no) if no else None
    if v is None:
        return None
    votes.advance(session, vote=v)
    return v if ballots.is_open(v) else None


def _what(v: Vote, choices, room: int) -> str:
    """The choices as the reply shows them: with the first title when it fits."""
    titles = {o.number: o.title for o in v.options}
    nums = ",".join(str(n) for n in choices)
    if len(choices) == 1:
        for cut in (None, 8, 4):
            title = titles[choices[0]]
            title = title if cut is None or len(title) <= cut else title[:cut] + "…"
            text = "%s %s" % (nums, title)
            if cp949_len(text) <= room:
                return text
    return nums


def list_votes(session: Session, limit: int) -> str:
    rows = votes.votes_in(session, votes.OPEN)
    if not rows:
        return _fmt("none")
    return _fit("", ["%d %s" % (v.id, v.title) for v in rows], _fmt("list_tail", no=rows[0].id), limit)


def _pending_key(resident: Resident) -> str:
    return "sms:vote:%d" % resident.id


def _subject(resident: Resident) -> str:
    return "sms-vote:%d" % resident.id


def forget(redis, resident: Resident) -> None:
    """Another request replaces a vote waiting for its code."""
    redis.delete(_pending_key(resident))


def waiting(redis, resident: Resident) -> bool:
    return bool(redis.exists(_pending_key(resident)))


def ask(session: Session, runtime, resident: Resident, phone: str, cmd: VoteCommand, limit: int,
        replaces=None) -> str:
    """``투표 12`` (the options) or ``투표 12 3`` (check, send a code, say what will be recorded).

    ``replaces`` (a callable) is called only once the vote is valid and waits
    for its code: a refused vote leaves whatever else waits (a certificate) alone."""
    v = _open_vote(session, cmd.vote_no)
    if v is None:
        return _fmt("no_vote", no=cmd.vote_no)
    if not cmd.choices:
        return _fit("%d %s:" % (v.id, v.title[:12]), ["%d %s" % (o.number, o.title) for o in v.options],
                    _fmt("options_tail", no=v.id), limit)
    try:  # the register's word of this moment: the household mirrored again first
        register.refresh_voter(session, runtime, resident.id)
    except ballots.NotEligible as e:
        return e.message
    hh = session.get(Household, resident.household_id)
    why = ballots.may_vote(runtime.crypto, v, resident, hh)
    if why:
        return why
    try:
        choices = ballots.choice_numbers(ballots.normalize_choices(v, cmd.choices))
    except ballots.BallotError as e:
        return e.message
    if ballots.has_voted(session, v, resident) and not cmd.receipt:
        return _fmt("already", no=v.id)
    if cmd.receipt:  # a change: the receipt must find the voter's ballot before a code is sent
        if not screens.receipt_check_allowed(runtime, "phone:%d" % resident.id):
            return _fmt("too_many")
        if ballots.check(session, runtime.crypto, v, cmd.receipt) is None:
            return _fmt("no_ballot_change")
    result = otp.send_code(session, runtime, _subject(resident), phone, purpose="otp")
    if not result.ok and result.reason != "cooldown":
        return result.message
    if replaces is not None:
        replaces()
    runtime.redis.set(_pending_key(resident), json.dumps({
        "vote": v.id, "choices": choices,
        "receipt": runtime.crypto.encrypt(cmd.receipt) if cmd.receipt else None}), ex=PENDING_TTL)
    room = limit - cp949_len(_fmt("challenge", no=v.id, what=""))
    return _fmt("challenge", no=v.id, what=_what(v, choices, room))


def confirm(session: Session, runtime, resident: Resident, code: str) -> str:
    """``확인 123456`` for a vote waiting for its code: record it, answer the receipt."""
    raw = runtime.redis.get(_pending_key(resident))
    pending = json.loads(raw)
    result = otp.verify_code(runtime, _subject(resident), code)
    if not result.ok:
        if result.reason == "expired":
            forget(runtime.redis, resident)
        return result.message
    forget(runtime.redis, resident)
    v = session.get(Vote, pending["vote"])
    votes.advance(session, vote=v)
    try:
        if pending["receipt"]:
            cast = ballots.change(session, runtime.crypto, v, resident.id,
                                  runtime.crypto.decrypt(pending["receipt"]), pending["choices"])
        else:
            cast = ballots.cast(session, runtime.crypto, v, resident.id, pending["choices"])
    except ballots.AlreadyVoted:
        return _fmt("already", no=v.id)
    except ballots.BallotError as e:
        return _fmt("not_open") if e.reason == "not_open" else e.message
    return _fmt("changed" if cast.changed else "recorded", receipt=ballots.format_receipt(cast.receipt))


def check(session: Session, runtime, resident: Resident, cmd: VoteCommand, limit: int) -> str:
    """``투표확인 [12] 123456789012``: what the ballot of that receipt says."""
    if not cmd.receipt:
        return _fmt("ask_receipt")
    if not screens.receipt_check_allowed(runtime, "phone:%d" % resident.id):
        return _fmt("too_many")
    candidates = ([session.get(Vote, cmd.vote_no)] if cmd.vote_no else
                  list(session.scalars(select(Vote).where(Vote.state.in_((votes.OPEN, votes.CLOSED,
                                                                           votes.PUBLISHED))))))
    for v in candidates:
        if v is None:
            continue
        found = ballots.check(session, runtime.crypto, v, cmd.receipt)
        if found is not None:
            room = limit - cp949_len(_fmt("found", no=v.id, what=""))
            return _fmt("found", no=v.id, what=_what(v, found, room))
    return _fmt("no_ballot")
