"""Remembered destinations: the fax numbers a household has sent to, listed
first next time so that one press picks one (with the registered email).

- A number is remembered when a request is made to it (:func:`remember`,
  in the request's own session), once per household: the number is stored
  encrypted, and a keyed hash of its digits finds it again.
- The resident may give it a name ("국민은행 마포지점") on the phone page a QR
  code on the TV opens (:func:`start_naming`, :func:`naming_info`,
  :func:`give_name`): the name is encrypted too.
- The TV may remove one (:func:`forget`).
- A remembered number that the numbering-plan policy refuses today (the
  policy changed, or the number was moved) is listed, not offered: its
  ``reason`` says why (:class:`Remembered`).

The household sees its own numbers in full; nothing here is logged.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from fax_bridge import NumberRefused
from services import phones
from services.core import versions
from services.core.errors import AppError
from services.delivery.fax import policy
from services.models import Destination, utcnow

LIMIT = 5  # remembered numbers a household keeps (the oldest one used goes)
LABEL_MAX = 30
NAMING_TTL = 900  # seconds a naming QR stays usable


class DestinationError(AppError, ValueError):
    """Unknown destination, expired naming page or a name not accepted; the message is Korean."""

    status_code = 404

    def __init__(self, code: str, message: str, status_code: int | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        if status_code is not None:
            self.status_code = status_code


@dataclass(frozen=True)
class Remembered:
    """One remembered fax number as the household's screens show it (in full)."""

    id: int
    number: str  # 02-1234-5678
    label: str  # "" when unnamed
    reason: str  # "" when it can be used; else why not (Korean)

    @property
    def usable(self) -> bool:
        return not self.reason


def _hash(crypto, number: str) -> str:
    return crypto.keyed_hash(phones.national_digits(number), "destination-fax")


def refusal(number: str) -> str:
    """Why the numbering-plan policy refuses this number today ("" when it does not)."""
    try:
        policy().check(number)
    except NumberRefused as exc:
        return exc.reason_ko
    return ""


def _shown(crypto, row: Destination) -> Remembered:
    number = crypto.decrypt(row.number_enc)
    return Remembered(row.id, phones.display(number), crypto.decrypt(row.label_enc) if row.label_enc else "",
                      refusal(number))


# -- in a caller's session --------------------------------------------------------------

def remember(session, crypto, household_id: int, number: str) -> None:
    """Remember (or mark as just used) a fax number of the household."""
    h = _hash(crypto, number)
    now = utcnow()
    row = session.scalar(select(Destination).where(Destination.household_id == household_id,
                                                   Destination.number_hash == h))
    if row is None:
        try:
            with session.begin_nested():
                session.add(Destination(household_id=household_id, method="fax", number_enc=crypto.encrypt(number),
                                        number_hash=h, last_used_at=now, created_at=now))
                session.flush()
        except IntegrityError:  # remembered by a request made at the same moment
            return
        old = session.scalars(select(Destination.id).where(Destination.household_id == household_id)
                              .order_by(Destination.last_used_at.desc(), Destination.id.desc())
                              .offset(LIMIT)).all()
        if old:
            session.execute(delete(Destination).where(Destination.id.in_(old)))
    else:
        row.last_used_at = now
    versions.household_changed(session, household_id)


def listed(session, crypto, household_id: int) -> list[Remembered]:
    """The household's remembered numbers, the one used last first."""
    rows = session.scalars(select(Destination).where(Destination.household_id == household_id)
                           .order_by(Destination.last_used_at.desc(), Destination.id.desc()).limit(LIMIT))
    return [_shown(crypto, r) for r in rows]


def _own(session, household_id: int, destination_id: int) -> Destination:
    row = session.get(Destination, destination_id)
    if row is None or row.household_id != household_id:
        raise DestinationError("unknown", "저장된 번호를 찾을 수 없습니다. 이미 지웠을 수 있습니다.")
    return row


# -- one unit of work each, for the screens ---------------------------------------------

def household_destinations(runtime, household_id: int) -> list[Remembered]:
    with runtime.session() as s:
        return listed(s, runtime.crypto, household_id)


def remember_number(runtime, household_id: int, number: str) -> None:
    """:func:`remember` in its own unit of work (a tax receipt's fax number)."""
    with runtime.session() as s:
        remember(s, runtime.crypto, household_id, number)


def number_of(runtime, household_id: int, destination_id: int) -> str:
    """The remembered number itself, to send to; ``DestinationError`` when it
    is not the household's, or the policy refuses it today (status 422)."""
    with runtime.session() as s:
        number = runtime.crypto.decrypt(_own(s, household_id, destination_id).number_enc)
    reason = refusal(number)
    if reason:
        raise DestinationError("refused", reason, 422)
    return number


def forget(runtime, household_id: int, destination_id: int) -> bool:
    """Remove a remembered number from the household's list (False: it was not there)."""
    with runtime.session() as s:
        try:
            row = _own(s, household_id, destination_id)
        except DestinationError:
            return False
        s.delete(row)
        versions.household_changed(s, household_id)
    return True


def clean_label(text: str | None) -> str:
    """A name as kept: printable, single spaces, at most ``LABEL_MAX`` characters."""
    words = ("".join(ch for ch in word if ch.isprintable()) for word in (text or "").split())
    return " ".join(w for w in words if w)[:LABEL_MAX].strip()


def _naming_key(token: str) -> str:
    return "destname:%s" % token


def start_naming(runtime, household_id: int, destination_id: int) -> str:
    """A token for the phone page that names this number (the TV shows it as a QR code)."""
    with runtime.session() as s:
        _own(s, household_id, destination_id)
    token = secrets.token_urlsafe(16)
    runtime.redis.set(_naming_key(token), json.dumps({"h": household_id, "d": destination_id, "done": 0}),
                      ex=NAMING_TTL)
    return token


def _naming(runtime, token: str) -> dict:
    raw = runtime.redis.get(_naming_key(token)) if token and len(token) <= 64 else None
    if not raw:
        raise DestinationError("expired", "이름을 붙이는 화면이 닫혔습니다. TV에서 QR 코드를 다시 찍어 주세요.")
    return json.loads(raw)


def naming_info(runtime, token: str) -> dict:
    """What the phone page shows: the number masked (the phone may be anyone's
    holding the QR), the name so far, and whether it was given."""
    state = _naming(runtime, token)
    with runtime.session() as s:
        row = _own(s, state["h"], state["d"])
        number = runtime.crypto.decrypt(row.number_enc)
        label = runtime.crypto.decrypt(row.label_enc) if row.label_enc else ""
    groups = phones.groups(number)
    masked = "%s-****-%s" % (groups[0], groups[-1]) if len(groups) == 3 else "****"
    return {"number_masked": masked, "label": label, "done": bool(state["done"])}


def give_name(runtime, token: str, label: str) -> str:
    """Name the number the token names ("" removes the name); returns the name kept."""
    state = _naming(runtime, token)
    label = clean_label(label)
    with runtime.session() as s:
        row = _own(s, state["h"], state["d"])
        row.label_enc = runtime.crypto.encrypt(label) if label else None
        versions.household_changed(s, state["h"])
    state["done"] = 1
    runtime.redis.set(_naming_key(token), json.dumps(state), keepttl=True)
    return label


def naming_done(runtime, token: str, household_id: int) -> bool:
    """The TV's question while it shows the QR: has the phone given the name?"""
    try:
        state = _naming(runtime, token)
    except DestinationError:
        return False
    return state["h"] == household_id and bool(state["done"])


def label_for(runtime, household_id: int, number: str) -> str:
    """The name the household gave this number ("" when none, or not remembered)."""
    shown = phones.display(number)
    return next((d.label for d in household_destinations(runtime, household_id) if d.number == shown), "")
