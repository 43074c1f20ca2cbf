"""What the web tier may cache, and when it must forget it.

Two things are cached by ``tvapp`` and invalidated from here, after the
database commit that changed them (never before: a reader racing the commit
would cache the old row again):

- **the shared-content version** (``CONTENT_VERSION_KEY``, a Redis counter):
  shared TV screens (home, the certificate catalogue, the news) are rendered
  once per content version. Packages register the tables whose rows appear on
  those screens with :func:`shared_content` (``broadcast_feed`` registers its
  news items and ticker messages); any commit that inserted, changed or
  deleted such a row bumps the counter, whichever code path did it
  (publishing, scheduling, expiry, corrections, feed updates, CAP alerts).
- **a box's identity** (``device_key``): the device row and its household,
  read on every TV request. Each box has a generation counter
  (``device_gen_key``); a commit that changed a ``devices`` row bumps it, so a
  cache entry written from a read that raced the change is never believed.

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

_content_tables: set[str] = set()
_INFO_CONTENT = "webcache_content_changed"
_INFO_DEVICES = "webcache_devices_changed"


def shared_content(*tables: str) -> None:
    """Rows of these tables appear on shared screens: commits touching them
    bump the content version."""
    _content_tables.update(tables)


def device_key(token_hash: str) -> str:
    return DEVICE_PREFIX + token_hash


def device_gen_key(token_hash: str) -> str:
    return DEVICE_GEN_PREFIX + token_hash


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


def _device_changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in DEVICE_FIELDS)


@event.listens_for(Session, "after_flush")
def _note_changes(session, _flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in _content_tables:
            session.info[_INFO_CONTENT] = True
        elif table == "devices" and getattr(obj, "token_hash", None):
            if obj in session.dirty and not _device_changed(obj):
                continue
            session.info.setdefault(_INFO_DEVICES, set()).add(obj.token_hash)


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    content = session.info.pop(_INFO_CONTENT, False)
    devices = session.info.pop(_INFO_DEVICES, None)
    if not content and not devices:
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
    except (RedisError, RuntimeError) as exc:
        log.warning("web caches not told of a change (%s): entries expire on their own",
                    type(exc).__name__)

# No after_rollback handler on purpose: a flag left by a rolled-back savepoint
# costs one needless bump at most; clearing it could lose a real change.
