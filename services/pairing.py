"""Pairing a set-top box to a household without typing (RFC 8628 style).

A box without a household asks for a pairing: it gets a secret
``device_code`` (kept server side, tied to the box's device row) and a
``user_code`` it shows as ``XXXX-XXXX`` (8 letters from
``BCDFGHJKLMNPQRSTVWXZ``, no vowels, so no words) next to a QR code whose
content is the verification URI with the code in it (RFC 8628 3.3.1).

- A code lives :data:`CODE_TTL` seconds (10 minutes).
- Codes are matched ignoring case, dashes and spaces (6.1).
- A code dies after :data:`MAX_FAILURES` failed confirmations (5.1): a phone
  that is not registered, or a wrong one-time code.
- Looking up codes that do not exist is rate-limited per client
  (:data:`LOOKUP_LIMIT` misses per :data:`LOOKUP_WINDOW`).
- New codes are limited per caller address (:data:`CODES_PER_ADDRESS` per
  :data:`CODES_WINDOW`); phone numbers tried on the phone page per code
  (:data:`ASKS_PER_CODE`) and per address (:data:`ASKS_PER_ADDRESS` per
  :data:`ASKS_WINDOW`). The phone page answers the same whether or not the
  number is registered (:func:`ask_on_phone`, :func:`verify_on_phone`).
- The box polls every :data:`INTERVAL` seconds; polling faster answers
  ``slow_down`` and adds 5 seconds to its interval (3.5).

Confirmation: a resident proves they hold the registered phone (a one-time
code on the phone page, or an SMS ``연결 XXXX-XXXX`` sent from it: see
:func:`confirm_by_phone`), then :func:`approve` binds the device row to the
household. Everything lives in Redis under ``pair:*``; only the device row
is in the database.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services import otp, ratelimit
from services.core.config import QUEUE_DEFAULT
from services.core.errors import AppError
from services.core.jobs import enqueue
from services.core.runtime import get_runtime
from services.households import resident_by_phone
from services.models import Device, Resident, utcnow

log = logging.getLogger(__name__)

ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
CODE_LENGTH = 8
CODE_TTL = 600
MAX_FAILURES = 5
INTERVAL = 5
SLOW_DOWN_STEP = 5
LOOKUP_LIMIT = 10
LOOKUP_WINDOW = 600
# New boxes given a code per caller address (a box that clears its cookie is
# a new box); a box that already had a code within SEEN_TTL is not counted.
CODES_PER_ADDRESS = 10
CODES_WINDOW = 3600
SEEN_TTL = 86400
# Phone numbers tried on the phone page: per code, and per caller address.
ASKS_PER_CODE = 3
ASKS_PER_ADDRESS = 10
ASKS_WINDOW = 600

# Poll answers (RFC 8628 3.5 names where one exists).
PENDING = "authorization_pending"
SLOW_DOWN = "slow_down"
EXPIRED = "expired_token"
PAIRED = "paired"


class PairingError(AppError, ValueError):
    """A confirmation that cannot go on; ``reason`` for code, ``message`` for people."""

    MESSAGES = {
        "unknown": "연결 번호를 찾을 수 없습니다. TV 화면의 번호 8자리를 다시 확인해 주세요.",
        "expired": "연결 번호의 유효 시간(10분)이 지났습니다. TV에 나온 새 번호를 입력해 주세요.",
        "too_many": "연결 번호를 너무 여러 번 잘못 입력했습니다. 10분 뒤에 다시 해 주세요.",
        "not_registered": "이 휴대전화 번호는 등록된 세대원의 번호가 아닙니다.",
        "dead": "잘못된 시도가 5번 있어 이 연결 번호는 더 쓸 수 없습니다. TV에 나온 새 번호로 다시 해 주세요.",
        "too_many_asks": "인증번호를 너무 여러 번 요청했습니다. 10분 뒤에 TV에 나온 새 번호로 다시 해 주세요.",
        "too_many_codes": "연결 번호를 너무 여러 번 받았습니다. 1시간 뒤에 다시 해 주세요.",
    }
    LIMITED = ("too_many", "too_many_asks", "too_many_codes")

    def __init__(self, reason: str):
        super().__init__(self.MESSAGES.get(reason, reason))
        self.reason = reason
        self.message = self.MESSAGES.get(reason, reason)
        self.status_code = 429 if reason in self.LIMITED else 400


@dataclass
class Pairing:
    device_code: str
    user_code: str  # normalized, 8 letters
    expires_at: float
    interval: int

    @property
    def display_code(self) -> str:
        return format_code(self.user_code)

    @property
    def expires_in(self) -> int:
        return max(0, int(self.expires_at - time.time()))


def new_user_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(code: str | None) -> str:
    """``bcdf-ghjk`` -> ``BCDFGHJK``: case, dashes and spaces do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_code(code: str) -> str:
    c = normalize(code)
    return "%s-%s" % (c[:4], c[4:]) if len(c) == CODE_LENGTH else c


def is_well_formed(code: str | None) -> bool:
    c = normalize(code)
    return len(c) == CODE_LENGTH and all(ch in ALPHABET for ch in c)


def _dk(device_code: str) -> str:
    return "pair:dc:%s" % device_code


def _uk(user_code: str) -> str:
    return "pair:uc:%s" % normalize(user_code)


def _bk(device_id: int) -> str:
    return "pair:box:%d" % device_id


def _sk(device_id: int) -> str:
    return "pair:seen:%d" % device_id


def start(redis, device_id: int, *, client: str = "", now: float | None = None) -> Pairing:
    """The box's current pairing, or a new one (idempotent while the code lives).

    ``client`` (a keyed hash of the caller's address) may get codes for
    :data:`CODES_PER_ADDRESS` new boxes per :data:`CODES_WINDOW`; beyond that
    raises ``PairingError("too_many_codes")`` (429). A box whose code expired
    gets its next one without counting."""
    now = time.time() if now is None else now
    existing = redis.get(_bk(device_id))
    if existing:
        data = redis.hgetall(_dk(existing.decode()))
        if data and data.get(b"status", b"") == b"pending":
            return Pairing(existing.decode(), data[b"uc"].decode(), float(data[b"exp"]),
                           int(data[b"interval"]))
    # A box's first code counts against its address; the next ones (its code
    # expired while it waited on the pairing screen) do not.
    if client and not redis.exists(_sk(device_id)):
        if not ratelimit.hit(redis, ratelimit.pairing_codes(CODES_PER_ADDRESS, CODES_WINDOW), client):
            raise PairingError("too_many_codes")
        redis.set(_sk(device_id), 1, ex=SEEN_TTL)
    device_code = secrets.token_urlsafe(24)
    for _ in range(10):
        user_code = new_user_code()
        if redis.set(_uk(user_code), device_code, nx=True, ex=CODE_TTL):
            break
    else:  # pragma: no cover - 20^8 codes
        raise RuntimeError("could not allocate a pairing code")
    pipe = redis.pipeline()
    pipe.hset(_dk(device_code), mapping={
        "uc": user_code, "device": device_id, "status": "pending", "fails": 0,
        "exp": now + CODE_TTL, "interval": INTERVAL, "last_poll": 0,
    })
    pipe.expire(_dk(device_code), CODE_TTL)
    pipe.set(_bk(device_id), device_code, ex=CODE_TTL)
    pipe.execute()
    log.info("pairing started for device %d", device_id)
    return Pairing(device_code, user_code, now + CODE_TTL, INTERVAL)


def poll(redis, device_id: int, *, now: float | None = None) -> dict:
    """What the box learns when it polls: ``{"status": ..., "interval": s}``.

    ``paired`` once approved; ``expired_token`` when the code is gone (the box
    then asks for a new one); ``slow_down`` when it polls faster than its
    interval (which grows by 5 s each time).
    """
    now = time.time() if now is None else now
    dc = redis.get(_bk(device_id))
    if not dc:
        return {"status": EXPIRED, "interval": INTERVAL}
    key = _dk(dc.decode())
    data = redis.hgetall(key)
    if not data:
        return {"status": EXPIRED, "interval": INTERVAL}
    interval = int(data[b"interval"])
    status = data[b"status"].decode()
    if status == "approved":
        redis.delete(key, _bk(device_id), _uk(data[b"uc"].decode()))
        return {"status": PAIRED, "interval": interval}
    if status == "dead":
        redis.delete(_bk(device_id))
        return {"status": EXPIRED, "interval": interval}
    last = float(data[b"last_poll"])
    redis.hset(key, "last_poll", now)
    # A little slack: timers on boxes are coarse.
    if last and now - last < interval - 0.5:
        interval += SLOW_DOWN_STEP
        redis.hset(key, "interval", interval)
        return {"status": SLOW_DOWN, "interval": interval}
    return {"status": PENDING, "interval": interval,
            "expires_in": max(0, int(float(data[b"exp"]) - now))}


def lookup(redis, user_code: str, client: str = "") -> str:
    """The device code for a user code; raises :class:`PairingError`.

    ``client`` (e.g. a keyed hash of the caller's address or phone) is
    rate-limited on misses: checked first, counted on a miss (a miss beyond
    the limit, in a race with others, answers ``too_many`` too).
    """
    misses = ratelimit.pairing_misses(LOOKUP_LIMIT, LOOKUP_WINDOW)
    if client and not ratelimit.within(redis, misses, client):
        raise PairingError("too_many")
    dc = redis.get(_uk(user_code)) if is_well_formed(user_code) else None
    data = redis.hgetall(_dk(dc.decode())) if dc else None
    if not data:
        if client and not ratelimit.hit(redis, misses, client):
            raise PairingError("too_many")
        raise PairingError("unknown")
    if data[b"status"] == b"dead":
        raise PairingError("dead")
    if data[b"status"] != b"pending":
        raise PairingError("unknown")
    return dc.decode()


def fail(redis, user_code: str) -> int:
    """Count one failed confirmation against a code; returns failures left.

    At :data:`MAX_FAILURES` the code dies: it can no longer be confirmed and
    the box's next poll answers ``expired_token`` (it then shows a new code).
    """
    dc = redis.get(_uk(user_code))
    if not dc:
        return 0
    key = _dk(dc.decode())
    n = ratelimit.count_attempt(redis, key, "fails")
    if n is None:  # the code expired meanwhile
        return 0
    if n >= MAX_FAILURES:
        redis.hset(key, "status", "dead")
        redis.delete(_uk(user_code))
        log.info("pairing code killed after %d failed confirmations", n)
        return 0
    return MAX_FAILURES - n


def approve(session: Session, redis, user_code: str, household_id: int) -> Device:
    """Bind the box behind ``user_code`` to a household (the proof is the caller's)."""
    dc = lookup(redis, user_code)
    key = _dk(dc)
    device_id = int(redis.hget(key, "device"))
    device = session.get(Device, device_id)
    if device is None:
        raise PairingError("unknown")
    device.household_id = household_id
    device.paired_at = utcnow()
    redis.hset(key, "status", "approved")
    redis.delete(_uk(user_code))
    session.flush()
    log.info("device %d paired to household %d", device_id, household_id)
    return device


def confirm_by_phone(session: Session, runtime, user_code: str, phone: str) -> Device:
    """Pair the box showing ``user_code`` to the household of the resident whose
    registered mobile number is ``phone`` (the SMS issue's ``연결 XXXX-XXXX``:
    an SMS from that number proves possession). Raises :class:`PairingError`;
    a number that is not registered counts as a failure against the code."""
    redis = runtime.redis
    lookup(redis, user_code, client=runtime.crypto.keyed_hash(phone, "pair-client"))
    resident = resident_by_phone(session, runtime.crypto, phone)
    if resident is None:
        fail(redis, user_code)
        raise PairingError("not_registered")
    return approve(session, redis, user_code, resident.household_id)


def unpair(session: Session, device_id: int) -> None:
    device = session.get(Device, device_id)
    if device is not None and device.household_id is not None:
        device.household_id = None
        device.paired_at = None
        session.flush()
        log.info("device %d unpaired", device_id)


def unpair_device(runtime, device_id: int) -> None:
    """:func:`unpair` in its own unit of work."""
    with runtime.session() as s:
        unpair(s, device_id)


# -- pairing on the phone: the code on the TV, then a one-time SMS code -------------

def otp_subject(resident_id: int) -> str:
    return "pair:%d" % resident_id


def _tk(ticket: str) -> str:
    return "pair:ask:%s" % ticket


def ask_on_phone(runtime, user_code: str, phone: str, client: str) -> str:
    """The phone page's first step: a phone number for the box showing ``user_code``.

    Answers the same, having done the same work, whether or not ``phone`` is a
    resident's: a ticket (an opaque random token for the phone's session) that
    lives as long as a one-time code, and one job queued with the ticket and
    the number (encrypted). Who the number belongs to is looked up by that job
    (:func:`send_pairing_code`), after the answer, in a worker: only a
    registered phone then gets an SMS (within :mod:`services.otp`'s caps per
    subject and per phone, silently) and its ticket learns the resident; the
    ticket of any other number can only fail at the next step. Every number
    tried counts against the code (:data:`ASKS_PER_CODE`) and the caller's
    address (:data:`ASKS_PER_ADDRESS`). Raises :class:`PairingError` for the
    code itself (unknown, dead, too many lookups or asks) - never for the phone."""
    redis = runtime.redis
    dc = lookup(redis, user_code, client=client)
    if not ratelimit.hit(redis, ratelimit.pairing_asks(ASKS_PER_ADDRESS, ASKS_WINDOW), client or "-"):
        raise PairingError("too_many_asks")
    n = ratelimit.count_attempt(redis, _dk(dc), "asks")
    if n is None:
        raise PairingError("expired")
    if n > ASKS_PER_CODE:
        raise PairingError("too_many_asks")
    ticket = secrets.token_urlsafe(24)
    redis.set(_tk(ticket), 0, ex=otp.CODE_TTL)
    # One opaque argument, and a fixed description: RQ logs a job's description,
    # and neither the ticket nor the number belongs in a log.
    enqueue(redis, QUEUE_DEFAULT, SEND_JOB, runtime.crypto.encrypt(json.dumps([ticket, phone])),
            description=SEND_JOB)
    return ticket


SEND_JOB = "services.pairing.send_pairing_code"


def send_pairing_code(sealed: str) -> None:
    """The job :func:`ask_on_phone` queues: when the number is a resident's, the
    ticket learns whose it is and the phone gets its one-time code. Returns
    nothing (RQ keeps a job's result: it must not say whether anyone was found)."""
    runtime = get_runtime()
    ticket, phone = json.loads(runtime.crypto.decrypt(sealed))
    with runtime.session() as s:
        resident = resident_by_phone(s, runtime.crypto, phone)
        if resident is None:
            return
        # keepttl: the ticket lives as long as it was given; xx: not past its end
        if not runtime.redis.set(_tk(ticket), resident.id, xx=True, keepttl=True):
            return
        result = otp.send_code(s, runtime, otp_subject(resident.id), phone, purpose="pairing")
        if not result.ok:
            log.info("pairing code not sent: %s", result.reason)


def verify_on_phone(runtime, user_code: str, ticket: str, code: str) -> tuple[bool, str, bool]:
    """The phone page's second step: ``(paired, message, code dead)``.

    A wrong one-time code, an SMS that was not sent (a cap) and a number that
    is not registered all answer alike: one failure counted against the TV's
    code and the same message. Raises :class:`PairingError` when approving
    fails."""
    redis = runtime.redis
    raw = redis.get(_tk(ticket or "-"))
    if raw is None:
        return False, otp.MESSAGES["expired"], False
    resident_id = int(raw)
    if resident_id:
        result = otp.verify_code(runtime, otp_subject(resident_id), code)
        if result.ok:
            redis.delete(_tk(ticket))
            approve_for_resident(runtime, user_code, resident_id)
            return True, result.message, False
    left = fail(redis, user_code)
    if left == 0:
        redis.delete(_tk(ticket))
        return False, PairingError.MESSAGES["dead"], True
    return False, otp.MESSAGES["wrong"] % left, False


def approve_for_resident(runtime, user_code: str, resident_id: int) -> Device:
    """:func:`approve` for the household of the resident whose phone answered."""
    with runtime.session() as s:
        resident = s.get(Resident, resident_id)
        return approve(s, runtime.redis, user_code, resident.household_id)
