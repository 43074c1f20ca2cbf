"""What the web tier may cache, and when it must forget it.

What ``tvapp`` caches, and how it is invalidated from here after the
database commit that changed it (never before: a reader racing the commit
would cache the old row again):

- **the shared-content version** (``CONTENT_VERSION_KEY``, a Redis counter):
  shared TV screens (home, the certificate catalogue, the news) are rendered
  once per content version. Packages register the tables whose rows appear on
  those screens with :func:`shared_content` (``broadcast_feed`` registers its
  news items and ticker messages); any commit that inserted, changed or
  deleted such a row bumps the counter, whichever code path did it
  (publishing, scheduling, expiry, corrections, feed updates, CAP alerts).
- **a household's stamp** (``household_key``, a random token): personal TV
  screens (나의 민원, a request, the bills) are validated with it: a box's
  copy is current while the stamp it was rendered under still stands. A
  commit that changed a row of a household's requests, their timeline, its
  residents or the household itself drops the stamp (``forget_household``;
  so does anything else that changes what such a screen shows, such as the
  receipt choice of ``tvapp.taxes``); the next render makes a new one. The
  stamp also lapses after ``HOUSEHOLD_STAMP_SECONDS``: a validator bounded in
  time.
- **a box's identity** (``device_key``): the device row and its household,
  read on every TV request. Each box has a generation counter
  (``device_gen_key``); a commit that changed a ``devices`` row bumps it, so a
  cache entry written from a read that raced the change is never believed.
- **the front's records** (``FRONT_PREFIX``): for each box and household
  screen, the validator it was last given and the keys above (stamp, bills,
  flow, the box's generation, the build) with the values it was made from;
  nginx answers the box's 304 while they all still hold, so the record needs
  no invalidation of its own.

Without a current runtime (``services.core.runtime.set_runtime``) or with
Redis down nothing is bumped and a warning is logged; readers fall back to the
database when Redis does not answer, and the entries have short lifetimes.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CONTENT_VERSION_KEY = "webcache:content-version"
DEVICE_PREFIX = "webcache:device:"
DEVICE_GEN_PREFIX = "webcache:device-gen:"
DEVICE_GEN_TTL = 24 * 3600  # longer than any device entry lives
HOUSEHOLD_PREFIX = "webcache:household:"
HOUSEHOLD_STAMP_SECONDS = 3600
# The front's records (tvapp.front, tvapp.screen_cache.keep_for_front): a box's
# household screen and the values it was made from, so nginx answers its 304s.
FRONT_PREFIX = "webcache:front:"
FRONT_BUILD_KEY = "webcache:front-build"  # the build that wrote them: a new one retires them

_content_tables: set[str] = set()
_INFO_CONTENT = "webcache_content_changed"
_INFO_DEVICES = "webcache_devices_changed"
_INFO_HOUSEHOLDS = "webcache_households_changed"
# Rows a household's personal screens show: table -> how to find the household.
_HOUSEHOLD_ATTR = {"households": "id", "residents": "household_id", "requests": "household_id",
                   "tax_payments": "household_id"}  # a payment order: its card screen, its result
# Rows no screen shows until they change: a payment order is made by the screen
# that shows it (the card screen's copy stays good), and shown elsewhere once paid.
_SHOWN_ONCE_CHANGED = ("tax_payments",)
# Columns no personal screen shows: a row whose only change is in these (a worker
# taking or renewing its lease, a retry being scheduled) leaves the copies current.
_UNSHOWN = {"requests": frozenset({"lease_until", "lease_owner", "next_run_at", "attempts", "updated_at",
                                   "last_error"})}
_BY_REQUEST = ("request_events",)  # rows that belong to a request


def shared_content(*tables: str) -> None:
    """Rows of these tables appear on shared screens: commits touching them
    bump the content version."""
    _content_tables.update(tables)


def device_key(token_hash: str) -> str:
    return DEVICE_PREFIX + token_hash


def device_gen_key(token_hash: str) -> str:
    return DEVICE_GEN_PREFIX + token_hash


def household_key(household_id: int) -> str:
    return HOUSEHOLD_PREFIX + str(int(household_id))


def household_stamp(redis, household_id: int) -> str:
    """The household's current stamp, made now if there is none. Take it
    *before* reading what a screen shows: a change committed after that drops
    it, so a copy rendered from older rows never validates later."""
    import secrets

    key = household_key(household_id)
    stamp = redis.get(key)
    if stamp is None:
        fresh = secrets.token_hex(8)
        if redis.set(key, fresh, ex=HOUSEHOLD_STAMP_SECONDS, nx=True):
            return fresh
        stamp = redis.get(key)
        if stamp is None:  # dropped between the two: nothing can validate against it
            return secrets.token_hex(8)
    return stamp.decode() if isinstance(stamp, bytes) else stamp


def forget_household(redis, household_ids) -> None:
    """Drop the stamps: every copy of these households' personal screens is stale."""
    keys = [household_key(h) for h in household_ids if h is not None]
    if keys:
        redis.delete(*keys)


def forget_household_quietly(household_id: int) -> None:
    """As :func:`forget_household` through the current runtime's Redis; a
    warning (the stamp lapses on its own) when Redis does not answer."""
    try:
        redis = _redis()
        if redis is not None:
            forget_household(redis, [household_id])
    except (RedisError, RuntimeError) as exc:
        log.warning("household screens not told of a change (%s): they lapse within %d s",
                    type(exc).__name__, HOUSEHOLD_STAMP_SECONDS)


def bump_content(redis) -> int:
    return int(redis.incr(CONTENT_VERSION_KEY))


def forget_devices(redis, token_hashes) -> None:
    pipe = redis.pipeline(transaction=False)
    for h in token_hashes:
        pipe.incr(device_gen_key(h))
        pipe.expire(device_gen_key(h), DEVICE_GEN_TTL)
        pipe.delete(device_key(h))
    pipe.execute()


def _redis():
    from services.core import runtime as rt_mod

    rt = rt_mod._current
    return rt.redis if rt is not None and rt.config.REDIS_URL else None


# What a cached device entry holds (``last_seen_at`` changing is no reason to forget it).
DEVICE_FIELDS = ("household_id", "lang", "text_size", "family", "token_hash")


def _shown_change(obj, table: str) -> bool:
    """Did a flush change something of this row a screen shows (not merely set
    a column to what it held)?"""
    unshown = _UNSHOWN.get(table, frozenset())
    state = inspect(obj)
    return any(a.history.has_changes() for a in state.attrs if a.key not in unshown)


def _device_changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in DEVICE_FIELDS)


@event.listens_for(Session, "after_flush")
def _note_changes(session, _flush_context) -> None:
    request_ids: set = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _content_tables:
            session.info[_INFO_CONTENT] = True
        elif table in _HOUSEHOLD_ATTR:
            if obj in session.dirty and not _shown_change(obj, table):
                continue
            if table in _SHOWN_ONCE_CHANGED and obj in session.new:
                continue
            session.info.setdefault(_INFO_HOUSEHOLDS, set()).add(getattr(obj, _HOUSEHOLD_ATTR[table], None))
        elif table in _BY_REQUEST:
            request_ids.add(getattr(obj, "request_id", None))
        elif table == "devices" and getattr(obj, "token_hash", None):
            if obj in session.dirty and not _device_changed(obj):
                continue
            session.info.setdefault(_INFO_DEVICES, set()).add(obj.token_hash)
    request_ids.discard(None)
    if request_ids:
        session.info.setdefault(_INFO_HOUSEHOLDS, set()).update(_households_of(session, request_ids))


def _households_of(session, request_ids: set) -> set:
    """The households these requests belong to (read inside the flush, on its
    own connection: no autoflush)."""
    from sqlalchemy import select

    from services.models import Request

    rows = session.connection().execute(
        select(Request.household_id).where(Request.id.in_(sorted(request_ids))).distinct())
    return {r[0] for r in rows}


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    content = session.info.pop(_INFO_CONTENT, False)
    devices = session.info.pop(_INFO_DEVICES, None)
    households = session.info.pop(_INFO_HOUSEHOLDS, None)
    if not content and not devices and not households:
        return
    try:
        redis = _redis()
        if redis is None:
            log.debug("web caches not told of a change: no runtime with Redis in this process")
            return
        if content:
            bump_content(redis)
        if devices:
            forget_devices(redis, devices)
        if households:
            forget_household(redis, households)
    except (RedisError, RuntimeError) as exc:
        log.warning("web caches not told of a change (%s): entries expire on their own",
                    type(exc).__name__)

# No after_rollback handler on purpose: a flag left by a rolled-back savepoint
# costs one needless bump at most; clearing it could lose a real change.
