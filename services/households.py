"""Households and residents: a local mirror of the back end's register,
refreshed through the bridge. Resident numbers, phones and emails are
stored encrypted; phones also as a keyed hash for matching an SMS sender."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import phones, pii
from services.core import versions
from services.core.crypto import Crypto
from services.models import Household, Resident, utcnow

PHONE_HASH_PURPOSE = "phone"


def phone_hash(crypto: Crypto, phone: str) -> str:
    """A keyed hash of the number in national form (``+82 10-...`` and ``010...`` hash alike)."""
    return crypto.keyed_hash(phones.national_digits(phone), PHONE_HASH_PURPOSE)


def upsert_household(session: Session, crypto: Crypto, record: dict) -> Household:
    """Store a HouseholdRecord from the bridge (idempotent)."""
    hh = session.scalar(select(Household).where(Household.code == record["code"]))
    if hh is None:
        hh = Household(code=record["code"], address=record["address"])
        session.add(hh)
        session.flush()
    hh.address = record["address"]
    hh.synced_at = utcnow()
    for pos, r in enumerate(record["residents"]):
        res = session.scalar(select(Resident).where(Resident.ref == r["ref"]))
        if res is None:
            res = Resident(ref=r["ref"], household_id=hh.id)
            session.add(res)
        res.household_id = hh.id
        res.position = pos
        res.name = r["name"]
        res.relation = r.get("relation", "")
        res.rrn_enc = crypto.encrypt(r["rrn"])
        res.rrn_masked = pii.mask_rrn(r["rrn"])
        phone = r.get("phone")
        res.phone_enc = crypto.encrypt(phone) if phone else None
        res.phone_hash = phone_hash(crypto, phone) if phone else None
        email = r.get("email")
        res.email_enc = crypto.encrypt(email) if email else None
    versions.household_changed(session, hh.id)  # its residents are on its screens
    session.flush()
    return hh


def sync_household(session: Session, runtime, code: str) -> Household:
    """Fetch a household from the back end and mirror it."""
    return upsert_household(session, runtime.crypto, runtime.bridge.household(code))


def get_household(session: Session, code: str) -> Household | None:
    return session.scalar(select(Household).where(Household.code == code))


def resident_by_phone(session: Session, crypto: Crypto, phone: str) -> Resident | None:
    return session.scalar(select(Resident).where(Resident.phone_hash == phone_hash(crypto, phone)))


def ensure_household(runtime, code: str) -> int:
    """The id of the household with this code, mirrored from the back end if
    it is not here yet."""
    with runtime.session() as s:
        hh = get_household(s, code) or sync_household(s, runtime, code)
        return hh.id
