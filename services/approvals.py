"""Approve a TV request by replying to the identity SMS (issue 21).

When a box asks for the identity code of a certificate request, the one SMS
to the resident's registered phone carries the code and says which digit to
reply to approve that request: ``[마포구청] TV의 등본 신청이 맞으면 5분
안에 1을 답장하세요. 인증번호 123456``. The reply (or 예/네/확인 without a code) from
that same phone, through the SMS gateway, approves that request; the box's
code screen follows (``status``) and moves on by itself. Typing the code
stays as it was.

Rules:

- An approval belongs to one box and one request: the box's flow instance
  (its ``flow`` id) and the resident whose code was sent. Another request on
  the box, or another person, is not approved by it.
- It lives as long as its code (``otp.CODE_TTL``, 5 minutes) and is that
  code's: a reply is one of the code's attempts, never works while the code
  is locked, and uses the code up (``otp.approve``). Each box's code is its
  own (``slot``): the same person asking on a second box gets a second code
  and digit, and the first box's request still waits for its own (the tries,
  the pause between sends and the caps stay the person's, ``services.otp``).
- Only the phone the SMS went to can approve (matched by keyed hash); a reply
  from any other phone approves nothing.
- Each request pending on one phone at a time has its own reply digit (1,
  then 2 for a second box's request while the first still waits, up to 9),
  named in its SMS with the certificate, and shown big on the box's screen.
  ``1`` approves the request whose SMS said 1, and only that one. 예/네/확인
  approve the one pending request; with two pending, the answer names both
  and asks for the digit. A digit a pending request was not given is a miss
  (one of each pending code's attempts) and is told which digit to send.
- A reply after the approval's time says to start again on the TV; a reply
  that matches nothing says there is nothing to approve.

Keys (Redis), none holding a phone number or a code:

- ``approval:box:<device>``: the box's approval, JSON (flow, resident, the
  code's subject and ``ref``, digit, phone hash, what, state), for CODE_TTL;
- ``approval:slot:<phone hash>:<digit>``: the box a reply digit belongs to,
  for CODE_TTL (a digit is not given again while it lives);
- ``approval:seen:<phone hash>``: this phone was lately asked to approve
  (``SEEN_TTL``), so a late reply is told to start again on the TV.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from services import otp
from services.certificates import catalogue
from services.korean import particles

log = logging.getLogger(__name__)

TTL = otp.CODE_TTL
SEEN_TTL = 3600
DIGITS = range(1, 10)

PENDING, APPROVED, USED = "pending", "approved", "used"
BY_REPLY, BY_CODE = "sms-reply", "tv-code"

# The identity SMS: ``{office}`` and ``{code}`` are the OTP service's to fill
# (it keeps "인증번호 {code}", which is how a stored copy is masked).
SMS_TEXT = "[{office}] TV의 %s 신청이 맞으면 5분 안에 %d을(를) 답장하세요. 인증번호 {code}"

# Answers to replies (each fits one 90-byte SMS with the default names: tests check).
R = {
    "approved": "TV의 %s 신청을 승인했습니다. TV 화면에서 이어서 해 주세요.",
    "already": "TV의 %s 신청은 이미 본인 확인이 끝났습니다. TV 화면에서 이어서 해 주세요.",
    "which": "승인할 TV 신청이 %d건입니다. %s 중 하나의 번호만 답장해 주세요.",
    "not_that": "%d번으로 승인할 TV 신청이 없습니다. 답장할 번호: %s",
    "expired": "승인 시간(5분)이 지났습니다. TV에서 처음부터 다시 신청해 주세요.",
    "none": "승인할 TV 신청이 없습니다. TV에서 신청하고 받은 문자에 답장해 주세요.",
}


# What else a box asks a phone to approve, by the name its SMS gives it (주민 참여's vote:
# services.participation.screens sends ``"vote"`` where a certificate type goes).
OTHER_NAMES = {"vote": "투표"}


def short_name(cert_type: str) -> str:
    """The certificate as an SMS names it: 등본, 초본, 토지대장... (or 투표)"""
    if cert_type in OTHER_NAMES:
        return OTHER_NAMES[cert_type]
    ctype = catalogue.get(cert_type)
    return ctype.sms_words[0] if ctype.sms_words else ctype.name_ko


def sms_text(digit: int, cert_type: str) -> str:
    """The identity SMS of a request waiting for reply ``digit`` (``{office}``, ``{code}`` left in)."""
    return particles(SMS_TEXT % (short_name(cert_type), digit))


def slot(device_id: int) -> str:
    """The box's own code among a person's (``otp``'s slot): a request on
    another box gets its own code, and neither replaces the other."""
    return "tv%d" % int(device_id)


def _box(device_id: int) -> str:
    return "approval:box:%d" % device_id


def _slot(phone_hash: str, digit: int) -> str:
    return "approval:slot:%s:%d" % (phone_hash, digit)


def _seen(phone_hash: str) -> str:
    return "approval:seen:%s" % phone_hash


def _load(r, device_id) -> dict | None:
    raw = r.get(_box(int(device_id)))
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# -- the box's side ---------------------------------------------------------------------


def reserve(runtime, device_id: int, flow_id: str, phone_hash: str) -> int | None:
    """The reply digit for the box's request: the one the box already has on
    that phone (a code sent again, or the box's next request, keeps it), else
    the lowest one no other box holds there. None when nine boxes already
    hold one (the SMS then carries the code alone)."""
    r = runtime.redis
    mine = _load(r, device_id)
    if mine and mine.get("flow") == flow_id and mine.get("phone") == phone_hash \
            and r.get(_slot(phone_hash, mine["digit"])) == str(device_id).encode():
        return int(mine["digit"])
    me = str(device_id).encode()
    owners = r.mget([_slot(phone_hash, d) for d in DIGITS])
    for digit, owner in zip(DIGITS, owners, strict=True):  # the box's own digit of an earlier request first
        if owner == me:
            return digit
    for digit in DIGITS:
        if r.set(_slot(phone_hash, digit), str(device_id), nx=True, ex=TTL):
            return digit
    return None


def release(runtime, device_id: int, digit: int | None, phone_hash: str) -> None:
    """Give back a digit ``reserve`` took for a code that was not sent."""
    r = runtime.redis
    mine = _load(r, device_id)
    if digit is None or (mine and mine.get("digit") == digit and mine.get("phone") == phone_hash):
        return  # still the box's approval's digit
    if r.get(_slot(phone_hash, digit)) == str(device_id).encode():
        r.delete(_slot(phone_hash, digit))


def offer(runtime, device_id: int, *, flow_id: str, resident_id: int, subject: str, ref: str,
          digit: int, phone_hash: str, cert_type: str) -> None:
    """Record the box's approval after its SMS went out (replacing any earlier one of the box)."""
    r = runtime.redis
    before = _load(r, device_id)
    if before and (before.get("digit"), before.get("phone")) != (digit, phone_hash):
        release_key = _slot(before.get("phone", ""), int(before.get("digit", 0)))
        if r.get(release_key) == str(device_id).encode():
            r.delete(release_key)
    record = {"flow": flow_id, "resident": resident_id, "subject": subject, "ref": ref, "digit": digit,
              "phone": phone_hash, "cert": cert_type, "state": PENDING, "by": ""}
    pipe = r.pipeline()
    pipe.set(_box(device_id), json.dumps(record), ex=TTL)
    pipe.set(_slot(phone_hash, digit), str(device_id), ex=TTL)
    pipe.set(_seen(phone_hash), 1, ex=SEEN_TTL)
    pipe.execute()


def waiting_digit(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> int | None:
    """The digit the box's request waits for, if it waits for a reply."""
    mine = _load(runtime.redis, device_id)
    if _binds(mine, flow_id, resident_id) and mine["state"] == PENDING:
        return int(mine["digit"])
    return None


def status(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> str:
    """``approved`` once the phone said yes to this box's request; ``pending``
    while it waits; ``none`` otherwise (nothing offered, expired, another
    request). Nothing personal."""
    mine = _load(runtime.redis, device_id)
    if not _binds(mine, flow_id, resident_id):
        return "none"
    return mine["state"] if mine["state"] in (PENDING, APPROVED) else "none"


def take(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> bool:
    """True, once, when the phone approved this box's request (the box's flow
    is then verified ``by`` a reply)."""
    r = runtime.redis
    mine = _load(r, device_id)
    if not _binds(mine, flow_id, resident_id) or mine["state"] != APPROVED:
        return False
    _save(r, device_id, mine, state=USED)
    return True


def code_typed(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> None:
    """The code was typed on the box: a later reply is told it is done."""
    r = runtime.redis
    mine = _load(r, device_id)
    if _binds(mine, flow_id, resident_id) and mine["state"] == PENDING:
        _save(r, device_id, mine, state=USED, by=BY_CODE)


def _binds(mine: dict | None, flow_id, resident_id) -> bool:
    return bool(mine) and bool(flow_id) and mine.get("flow") == flow_id and mine.get("resident") == resident_id


def _save(r, device_id, record: dict, **changes) -> None:
    record.update(changes)
    ttl = r.ttl(_box(int(device_id)))
    r.set(_box(int(device_id)), json.dumps(record), ex=ttl if ttl and ttl > 0 else 1)


# -- the phone's side -------------------------------------------------------------------


@dataclass
class Waiting:
    digit: int
    device_id: int
    record: dict

    @property
    def name(self) -> str:
        return short_name(self.record["cert"])


def _waiting(runtime, phone_hash: str) -> list[Waiting]:
    """The approvals this phone was asked for that still live, by digit."""
    r = runtime.redis
    owners = r.mget([_slot(phone_hash, d) for d in DIGITS])
    out = []
    for digit, owner in zip(DIGITS, owners, strict=True):
        if owner is None:
            continue
        record = _load(r, owner.decode())
        if record and record.get("phone") == phone_hash and record.get("digit") == digit:
            out.append(Waiting(digit, int(owner), record))
    return out


def _choices(items: list[Waiting]) -> str:
    return ", ".join("%d(%s)" % (w.digit, w.name) for w in items)


def reply(runtime, phone_hash: str, digit: int | None) -> str | None:
    """The answer to a yes from the phone whose keyed hash is ``phone_hash``:
    ``digit`` replied (1-9), or None for 예/네/확인. None when this phone was
    never asked to approve anything lately (the caller answers as it would)."""
    r = runtime.redis
    live = _waiting(runtime, phone_hash)
    pending = [w for w in live if w.record["state"] == PENDING]
    if digit is None:
        if len(pending) > 1:
            return particles(R["which"] % (len(pending), _choices(pending)))
        target = pending[0] if pending else (live[-1] if live else None)
    else:
        target = next((w for w in live if w.digit == digit), None)
        if target is None and pending:
            for w in pending:  # a digit it was not given: one of each waiting code's tries
                result = otp.miss(runtime, w.record["subject"])
                if result.reason == "locked":
                    return result.message
            return R["not_that"] % (digit, _choices(pending))
    if target is None:
        if r.get(_seen(phone_hash)):
            return R["expired"]
        return None
    if target.record["state"] != PENDING:
        return R["already"] % target.name
    result = otp.approve(runtime, target.record["subject"], target.record["ref"])
    if result.ok:
        _save(r, target.device_id, target.record, state=APPROVED, by=BY_REPLY)
        log.info("identity approved by sms reply", extra={"device": target.device_id})
        return R["approved"] % target.name
    if result.reason == "expired":
        r.delete(_box(target.device_id))
        return R["expired"]
    return result.message  # locked


def nothing_to_approve() -> str:
    return R["none"]
