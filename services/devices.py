"""Set-top boxes: who is asking, in one query (every TV request asks).

A box is known by the keyed hash of its cookie token; what a screen needs of
it (its language, text size, key-map family, household and the household's
head's name for the header) comes from one SELECT on a plain connection, no
ORM unit of work. ``last_seen_at`` is written at most every ``SEEN_EVERY``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select, update

from services.models import Device, Household, Resident, utcnow

SEEN_EVERY = timedelta(minutes=5)


class Identity(NamedTuple):
    device_id: int
    household_id: int | None
    family: str
    lang: str
    text_size: str
    last_seen_at: datetime | None
    code: str | None
    address: str | None
    head_name: str | None


_HEAD = (select(Resident.name).where(Resident.household_id == Household.id)
         .order_by(Resident.position).limit(1).scalar_subquery())
# Built once, executed with the token hash as a parameter: a statement built
# per request costs SQLAlchemy its cache key every time (more than the query).
_IDENTITY = (select(Device.id, Device.household_id, Device.family, Device.lang, Device.text_size,
                    Device.last_seen_at, Household.code, Household.address, _HEAD)
             .outerjoin(Household, Household.id == Device.household_id)
             .where(Device.token_hash == bindparam("token_hash")))


def identity(runtime, token_hash: str) -> Identity | None:
    """The box with this token hash and its household, or None; notes that it
    was seen (at most every ``SEEN_EVERY``)."""
    with runtime.connect() as conn:
        row = conn.execute(_IDENTITY, {"token_hash": token_hash}).first()
        if row is None:
            return None
        found = Identity(*row)
        if found.last_seen_at is None or utcnow() - found.last_seen_at > SEEN_EVERY:
            conn.execute(update(Device).where(Device.id == found.device_id).values(last_seen_at=utcnow()))
            conn.commit()
        return found
