"""Version counters: what changed, counted where the domain writes it.

A household's personal screens (나의 민원, a request, the bills, a form
screen) are validated by ``tvapp.caching`` from these counters instead of
being rendered again. The domain says what it changed, in the same database
session that writes it::

    versions.household_changed(session, household_id)

and the counter is bumped in Redis *after* that session commits (a reader
racing the commit would otherwise render the old rows under the new count
and keep them).

Counters are plain Redis integers (``INCR``); a missing counter reads as 0.
With Redis down a bump is logged and lost: a validator computed while Redis
was down is never trusted (``read`` raises), so no stale screen follows.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PREFIX = "versions:"
_PENDING = "versions_pending"


def household_key(household_id: int) -> str:
    return "%shousehold:%d" % (PREFIX, int(household_id))


def household_changed(session: Session, household_id: int | None) -> None:
    """This session changes what the household's screens show: bump its
    counter when (if) the session commits."""
    if household_id is not None:
        session.info.setdefault(_PENDING, set()).add(household_key(household_id))


def bump(redis, *keys: str) -> None:
    """Bump counters now."""
    if keys:
        pipe = redis.pipeline(transaction=False)
        for k in keys:
            pipe.incr(k)
        pipe.execute()


def read(redis, keys: list[str]) -> list[int]:
    """The counters' values, in one round trip (raises when Redis is down)."""
    return [int(v or 0) for v in redis.mget(keys)] if keys else []


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    keys = session.info.pop(_PENDING, None)
    if not keys:
        return
    rt = session.info.get("runtime")  # services.core.runtime.Runtime.session puts itself there
    if rt is None or not rt.config.REDIS_URL:
        log.warning("version counters not bumped: a session without a runtime with Redis")
        return
    try:
        bump(rt.redis, *sorted(keys))
    except (RedisError, RuntimeError) as exc:
        log.warning("version counters not bumped (%s)", type(exc).__name__)

# No after_rollback handler on purpose: a count kept after a rolled-back write
# costs one needless render at most; dropping it could lose a real change.
