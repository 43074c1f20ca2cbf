"""One-time codes by SMS (identity checks without typing a secret).

A 6-digit code lives 5 minutes and allows 5 attempts; after that the subject
is locked for a pause before a new code can be asked for. Resends are
rate-limited (a cooldown between sends and a cap per hour). Codes are kept
in Redis as keyed hashes, keyed by subject (a resident id and purpose),
never by phone number.

A subject may have one code per *slot* at a time (a TV box's request: the
same person asking on two boxes of the household gets a code for each, and
neither replaces the other). Every limit stays the subject's: the tries are
counted together over the codes that live (five in all, then the lock, which
ends them all), the cooldown between sends and the cap per hour are the
subject's, and the caps per phone stay. A code sent when none other lives
starts the count afresh, as a new code always did.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass

from services import ratelimit
from services.sms import send_sms

log = logging.getLogger(__name__)

CODE_TTL = 300
MAX_ATTEMPTS = 5
LOCK_SECONDS = 600
RESEND_COOLDOWN = 30
MAX_SENDS_PER_HOUR = 5
# Per phone number, every subject and purpose together: a phone gets at most
# this many one-time-code SMS an hour and a day, whoever asks.
PHONE_SENDS_PER_HOUR = 5
PHONE_SENDS_PER_DAY = 10


@dataclass
class OtpResult:
    ok: bool
    reason: str = ""  # sent | verified | wrong | expired | locked | cooldown | too_many_sends
    message: str = ""  # for people, in Korean
    attempts_left: int = 0
    wait_seconds: int = 0
    ref: str = ""  # a sent code's own id: what an approval by reply binds to (``approve``)
    elsewhere: bool = False  # cooldown: the pause is another slot's (a code just sent for another box)


MESSAGES = {
    "sent": "인증번호를 문자로 보냈습니다. 5분 안에 번호 6자리를 눌러 주세요.",
    "verified": "본인 확인이 끝났습니다.",
    "wrong": "인증번호가 맞지 않습니다. 다시 눌러 주세요. (남은 횟수 %d번)",
    "expired": "인증번호의 유효 시간이 지났습니다. 새 인증번호를 받아 주세요.",
    "locked": "인증번호를 5번 틀려 잠시 잠겼습니다. %d분 뒤에 새 인증번호를 받아 주세요.",
    "cooldown": "방금 인증번호를 보냈습니다. %d초 뒤에 다시 받을 수 있습니다.",
    "too_many_sends": "인증번호를 너무 여러 번 요청했습니다. 1시간 뒤에 다시 해 주세요.",
}


DEFAULT_TEXT = "[{office}] 인증번호 {code} (5분 안에 입력해 주세요. 다른 사람에게 알려주지 마세요.)"


def phone_limits():
    """The caps on one-time-code SMS per phone: an hour, a day."""
    return (ratelimit.otp_sends_per_phone(PHONE_SENDS_PER_HOUR, 3600),
            ratelimit.otp_sends_per_phone(PHONE_SENDS_PER_DAY, 86400))


def _k(subject: str, what: str) -> str:
    return "otp:%s:%s" % (what, subject)


def _hash(runtime, subject: str, code: str) -> str:
    return runtime.crypto.keyed_hash(subject + ":" + code, "otp")


# The subject's hash ``otp:code:<subject>``: ``n`` (the tries on its live codes),
# and per code ``h`` (its keyed hash), ``ref`` (its id) and ``x`` (when it
# expires, Redis time), suffixed ``:<slot>`` for a slot's code.
def _fields(slot: str) -> tuple[str, str, str]:
    tail = ":" + slot if slot else ""
    return "h" + tail, "ref" + tail, "x" + tail


def _now(r) -> int:
    return int(r.time()[0])


def _live_slots(r, subject: str) -> dict[str, dict]:
    """The subject's codes that still live, by slot ("" the slotless one): ``{"h", "ref"}``."""
    raw = {k.decode(): v.decode() for k, v in r.hgetall(_k(subject, "code")).items()}
    now, out = _now(r), {}
    for name, value in raw.items():
        if name != "h" and not name.startswith("h:"):
            continue
        slot = name[2:]
        h, ref, x = _fields(slot)
        if x in raw and int(raw[x]) <= now:
            continue  # past its five minutes (the hash lives on for a newer code)
        out[slot] = {"h": value, "ref": raw.get(ref, "")}
    return out


def _spend(r, subject: str, slot: str) -> None:
    """A code used up (right, or approved): gone; the hash with it when no other code lives.
    The resend cooldown guards an outstanding code: once it is used, a new request may
    have its own code at once."""
    others = [s for s in _live_slots(r, subject) if s != slot]
    if others:
        r.hdel(_k(subject, "code"), *_fields(slot))
    else:
        r.delete(_k(subject, "code"))
    r.delete(_k(subject, "cooldown"))


def send_code(session, runtime, subject: str, phone: str, *, office: str | None = None,
              purpose: str = "otp", text: str | None = None, slot: str = "") -> OtpResult:
    """Send a new code for ``subject`` to ``phone`` (replacing any earlier one of
    the same ``slot``; another slot's code lives on beside it, sharing its tries).

    ``text`` is the message with ``{code}`` where the code goes (``{office}``
    too, if wanted); by default it says only the code. It must keep the words
    ``인증번호 {code}``: that is how a stored copy is masked (``pii.mask_codes``)."""
    r = runtime.redis
    locked = _locked(r, subject)
    if locked:
        return locked
    cd = r.ttl(_k(subject, "cooldown"))
    if cd and cd > 0:
        owner = r.get(_k(subject, "cooldown"))
        return OtpResult(False, "cooldown", MESSAGES["cooldown"] % cd, wait_seconds=cd,
                         elsewhere=owner is not None and owner.decode() != (slot or "-"))
    sends = ratelimit.otp_sends(MAX_SENDS_PER_HOUR)
    if not ratelimit.hit(r, sends, subject):
        return OtpResult(False, "too_many_sends", MESSAGES["too_many_sends"],
                         wait_seconds=ratelimit.retry_after(r, sends, subject))
    phone_key = runtime.crypto.keyed_hash(phone, "otp-phone")
    for item in phone_limits():
        if not ratelimit.hit(r, item, phone_key):
            return OtpResult(False, "too_many_sends", MESSAGES["too_many_sends"],
                             wait_seconds=ratelimit.retry_after(r, item, phone_key))
    code, ref = "%06d" % secrets.randbelow(1_000_000), secrets.token_hex(8)
    others = [s for s in _live_slots(r, subject) if s != slot]
    h, ref_f, x = _fields(slot)
    pipe = r.pipeline()
    if not others:  # no other code lives: a fresh hash, and a fresh count of tries
        pipe.delete(_k(subject, "code"))
        pipe.hset(_k(subject, "code"), "n", 0)
    pipe.hset(_k(subject, "code"), mapping={h: _hash(runtime, subject, code), ref_f: ref,
                                            x: _now(r) + CODE_TTL})
    pipe.expire(_k(subject, "code"), CODE_TTL)  # the newest code lives longest
    pipe.set(_k(subject, "cooldown"), slot or "-", ex=RESEND_COOLDOWN)
    pipe.execute()
    office = office or runtime.config.DISTRICT_NAME
    body = (text or DEFAULT_TEXT).format(office=office, code=code)
    send_sms(session, runtime, phone, body, purpose=purpose,
             dedup_key="otp:%s:%s" % (subject, secrets.token_hex(8)))
    return OtpResult(True, "sent", MESSAGES["sent"], attempts_left=MAX_ATTEMPTS, ref=ref)


def verify_code(runtime, subject: str, code: str, *, slot: str = "") -> OtpResult:
    """The code typed for ``slot``'s code (another slot's code does not verify it);
    a wrong one is one of the subject's tries."""
    r = runtime.redis
    locked = _locked(r, subject)
    if locked:
        return locked
    mine = _live_slots(r, subject).get(slot)
    n = ratelimit.count_attempt(r, _k(subject, "code"), "n") if mine is not None else None
    if n is None:  # no code, or it expired just now
        return OtpResult(False, "expired", MESSAGES["expired"])
    code = "".join(ch for ch in str(code) if ch.isdigit())
    if len(code) == 6 and hmac.compare_digest(mine["h"], _hash(runtime, subject, code)):
        _spend(r, subject, slot)
        return OtpResult(True, "verified", MESSAGES["verified"])
    if n >= MAX_ATTEMPTS:
        return _lock(r, subject, n)
    left = MAX_ATTEMPTS - n
    return OtpResult(False, "wrong", MESSAGES["wrong"] % left, attempts_left=left)


def _locked(r, subject: str) -> OtpResult | None:
    lock_ttl = r.ttl(_k(subject, "lock"))
    if lock_ttl and lock_ttl > 0:
        mins = max(1, (lock_ttl + 59) // 60)
        return OtpResult(False, "locked", MESSAGES["locked"] % mins, wait_seconds=lock_ttl)
    return None


def approve(runtime, subject: str, ref: str) -> OtpResult:
    """The code's owner said yes without the code (a reply of 1 from the phone
    it went to: ``services.approvals``). Under the code's own rules: only
    while that very code lives (``ref``, from the send: not a later code sent
    again for its slot), never while locked, and it counts as one of the
    subject's tries. A yes uses the code up, as the code would."""
    r = runtime.redis
    locked = _locked(r, subject)
    if locked:
        return locked
    slot = next((s for s, c in _live_slots(r, subject).items()
                 if ref and hmac.compare_digest(c["ref"], ref)), None)
    if slot is None:
        return OtpResult(False, "expired", MESSAGES["expired"])  # gone, or replaced by a newer code of its slot
    n = ratelimit.count_attempt(r, _k(subject, "code"), "n")
    if n is None:  # it expired just now
        return OtpResult(False, "expired", MESSAGES["expired"])
    if n > MAX_ATTEMPTS:  # the tries were used up meanwhile
        return _lock(r, subject, n)
    _spend(r, subject, slot)
    return OtpResult(True, "verified", MESSAGES["verified"])


def miss(runtime, subject: str) -> OtpResult:
    """A reply that approves nothing while ``subject``'s code waits (a number
    it was not given): one of the code's attempts, as a wrong code is."""
    r = runtime.redis
    locked = _locked(r, subject)
    if locked:
        return locked
    n = ratelimit.count_attempt(r, _k(subject, "code"), "n")
    if n is None:
        return OtpResult(False, "expired", MESSAGES["expired"])
    if n >= MAX_ATTEMPTS:
        return _lock(r, subject, n)
    left = MAX_ATTEMPTS - n
    return OtpResult(False, "wrong", MESSAGES["wrong"] % left, attempts_left=left)


def _lock(r, subject: str, n: int) -> OtpResult:
    r.delete(_k(subject, "code"))
    r.set(_k(subject, "lock"), 1, ex=LOCK_SECONDS)
    r.delete(_k(subject, "cooldown"))
    log.info("one-time code locked after %d attempts", n)
    return OtpResult(False, "locked", MESSAGES["locked"] % (LOCK_SECONDS // 60), wait_seconds=LOCK_SECONDS)
