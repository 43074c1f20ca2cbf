"""The back end's register for 주민 참여: who may vote is the register's word,
not only the local mirror's (``services.households`` mirrors a household
when a TV pairs to it or a flow needs it, and keeps what it last saw).

- At vote time (the TV's who-screen and its ballot, an SMS ``투표 12 3``) the
  voter's household is mirrored again from the back end before eligibility
  is checked: its address (district) and its residents' numbers (age) are
  the register's of this moment, and a resident the register no longer lists
  in that household may not vote. When the back end cannot answer, the
  mirror as last synced decides (logged), so a vote is never lost to an
  outage of the municipal system.
- At publication the number who may vote (turnout's denominator) is the
  register's own count for the district (``ElectorateQuery``): residents
  aged ``min_age`` or more on the opening day, or their households. When the
  back end cannot answer, the mirror's count is used and the result says so
  (``eligible_source``: ``register`` or ``mirror``).

The 1,000 concurrent ballots of ``ballots.cast`` do not call the back end:
the refresh runs before, in the same unit of work as the TV's or SMS's cast.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.households import upsert_household
from services.korean import KST
from services.models import Household, Resident, Vote
from services.participation import ballots

log = logging.getLogger(__name__)

REGISTER, MIRROR = "register", "mirror"


def refresh_household(session: Session, runtime, household: Household) -> set[str] | None:
    """Mirror ``household`` again from the back end; the refs of the residents
    the register lists in it (an empty set: the register no longer knows the
    household), or None when the back end cannot answer now."""
    try:
        record = runtime.bridge.household(household.code)
    except BackendRefused:
        log.info("vote: household %s unknown to the register", household.id)
        return set()
    except (BackendUnavailable, BackendProtocolError):
        log.warning("vote: the register cannot answer for household %s; its mirror decides", household.id)
        return None
    upsert_household(session, runtime.crypto, record)
    return {r["ref"] for r in record["residents"]}


def refresh_voter(session: Session, runtime, resident_id: int | None) -> None:
    """Before a ballot: mirror the voter's household again; ``NotEligible``
    when the register no longer lists them in it."""
    resident = session.get(Resident, resident_id) if resident_id else None
    household = session.get(Household, resident.household_id) if resident else None
    if household is None:
        return  # the eligibility check says why
    listed = refresh_household(session, runtime, household)
    if listed is not None and resident.ref not in listed:
        raise ballots.NotEligible(ballots.NOT_RESIDENT, "not_eligible")


def eligible(session: Session, runtime, vote: Vote) -> tuple[int, str]:
    """(how many may vote, where the number comes from): the register's count
    for the vote's district, age and electorate; the mirror's when the back
    end cannot answer."""
    try:
        counts = runtime.bridge.electorate(vote.district, vote.min_age,
                                           vote.opens_at.astimezone(KST).date().isoformat())
    except (BackendUnavailable, BackendRefused, BackendProtocolError):
        log.warning("vote %s: the register cannot count the electorate; the mirror's count is used", vote.id)
        return ballots.eligible_count(session, runtime.crypto, vote), MIRROR
    return (counts["households"] if vote.electorate == "households" else counts["residents"]), REGISTER
