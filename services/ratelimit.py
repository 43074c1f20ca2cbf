"""Rate limits, atomic, in Redis (the ``limits`` library).

Every limit here is a fixed window that starts at its first hit: the count is
raised and its expiry set in one Lua script (``limits``' ``incr_expire``), so
a crash can no longer leave a counter that never expires, and parallel hits
never let more than the limit through.

- :func:`hit` counts one hit and says whether it is within the limit;
- :func:`within` says whether a hit would still be within it, without counting
  (for limits that count only failures: check first, :func:`hit` on failure);
- :func:`retry_after` is how many seconds until the window ends.

:func:`count_attempt` is not a limit: it counts failed attempts at a code in
the code's own hash (OTP, pairing), only while that hash lives.

The limits of the product, one line each, are the ``*_LIMIT`` functions below;
the sites call them with their own identifier (a keyed hash, never a phone
number or an address in clear in a log).
"""

from __future__ import annotations

import math
import threading
import time
import weakref

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

KEY_PREFIX = "rl"

_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def limit(name: str, amount: int, seconds: int) -> RateLimitItem:
    """``amount`` hits per ``seconds``, counted apart from every other limit by ``name``."""
    return RateLimitItemPerSecond(int(amount), int(seconds), namespace=name)


def limiter(redis) -> FixedWindowRateLimiter:
    """The limiter on the connection pool of ``redis`` (one per client)."""
    found = _limiters.get(redis)
    if found is None:
        with _lock:
            found = _limiters.get(redis)
            if found is None:
                storage = RedisStorage("redis://", connection_pool=redis.connection_pool,
                                       key_prefix=KEY_PREFIX)
                found = _limiters[redis] = FixedWindowRateLimiter(storage)
    return found


def hit(redis, item: RateLimitItem, *identifiers: str) -> bool:
    """Count one hit; True while the window has taken at most ``item.amount``."""
    return limiter(redis).hit(item, *identifiers)


def within(redis, item: RateLimitItem, *identifiers: str) -> bool:
    """True while one more hit would be within the limit (nothing is counted)."""
    return limiter(redis).test(item, *identifiers)


def clear(redis, item: RateLimitItem, *identifiers: str) -> None:
    """Forget the current window (an admin unlocking an account)."""
    limiter(redis).clear(item, *identifiers)


def retry_after(redis, item: RateLimitItem, *identifiers: str) -> int:
    """Whole seconds until the current window ends (0 when there is none)."""
    reset = limiter(redis).get_window_stats(item, *identifiers).reset_time
    return max(0, math.ceil(reset - time.time()))


# -- the product's limits --

def verify_lookups(per_minute: int) -> RateLimitItem:
    """/verify/<number> per caller address."""
    return limit("verify", per_minute, 60)


def sms_per_phone(amount: int, seconds: int) -> RateLimitItem:
    """Incoming SMS per sending phone (by keyed hash), STOP and START included."""
    return limit("sms-phone", amount, seconds)


def sms_global(per_minute: int) -> RateLimitItem:
    """Incoming SMS per minute, all phones together."""
    return limit("sms-global", per_minute, 60)


def otp_sends(per_hour: int) -> RateLimitItem:
    """One-time codes sent per subject."""
    return limit("otp-sends", per_hour, 3600)


def login_tries(amount: int, seconds: int) -> RateLimitItem:
    """Console login attempts per account-and-address (counted before the check)."""
    return limit("login-pair", amount, seconds)


def login_address_tries(amount: int, seconds: int) -> RateLimitItem:
    """Console login attempts per address, every account together."""
    return limit("login-addr", amount, seconds)


def login_account_failures(amount: int, seconds: int) -> RateLimitItem:
    """Failed console logins per account from every address (locks the account)."""
    return limit("login-account", amount, seconds)


def pairing_misses(amount: int, seconds: int) -> RateLimitItem:
    """Lookups of pairing codes that do not exist, per client."""
    return limit("pair-miss", amount, seconds)


def pairing_codes(amount: int, seconds: int) -> RateLimitItem:
    """New pairing codes issued per caller address (``GET /tv/pair``)."""
    return limit("pair-codes", amount, seconds)


def pairing_asks(amount: int, seconds: int) -> RateLimitItem:
    """Phone numbers tried on the phone pairing page, per caller address."""
    return limit("pair-ask", amount, seconds)


def receipt_checks(per_minute: int) -> RateLimitItem:
    """Vote receipt codes checked per TV box or phone (by keyed hash): 12 digits
    are not guessed, and neither are they tried in bulk."""
    return limit("vote-receipt", per_minute, 60)


def otp_sends_per_phone(amount: int, seconds: int) -> RateLimitItem:
    """One-time-code SMS per phone number (by keyed hash), every purpose together."""
    return limit("otp-phone-%d" % int(seconds), amount, seconds)


# -- attempt counters ----------------------------------------------------------
# Failed attempts at a code are counted in a field of the code's own hash,
# which carries the code's TTL. HINCRBY alone would bring a hash that has just
# expired back to life without a TTL (a key that never expires): this counts
# only while the hash exists, in one script.

_HINCR_EXISTING = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('hincrby', KEYS[1], ARGV[1], 1)
end
return nil
"""
_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def count_attempt(redis, key: str, field: str) -> int | None:
    """Add one to ``field`` of the hash ``key``; None when the hash is gone."""
    script = _scripts.get(redis)
    if script is None:
        script = _scripts[redis] = redis.register_script(_HINCR_EXISTING)
    n = script(keys=[key], args=[field])
    return None if n is None else int(n)
