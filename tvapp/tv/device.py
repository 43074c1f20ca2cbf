"""Who is watching: the set-top box's identity and its household.

Every box gets a random token in an HttpOnly cookie (``tv_device``); the
database keeps only its keyed hash (``Device.token_hash``), with the box's
key-map family, language and text size.

Use the decorator on every TV view::

    from tvapp.tv.device import tv_device_required

    @bp.get("/certificates/")
    @tv_device_required
    def certificates():
        g.device      # DeviceInfo(id, household_id, family, lang, text_size)
        g.household   # HouseholdInfo(id, code, address, label) - the paired household
        ...

An unknown box gets a new device row and cookie; a box that is not paired
is sent to the pairing screen (``/tv/pair``). ``@tv_device_required(paired=False)``
loads (or creates) the device without requiring a household (the pairing
screen itself, help). Views never see the token.

The device and its household are cached in Redis for a few minutes
(encrypted, keyed by the token's hash); a commit that changes a device row
invalidates its entry (``services.webcache``). A household's masked name may
lag a back-end change by that long.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import astuple, dataclass
from datetime import timedelta
from urllib.parse import quote

from flask import after_this_request, current_app, g, redirect, request, session, url_for
from redis.exceptions import RedisError
from sqlalchemy import select

from services import pii, webcache
from services.models import Device, Household, utcnow

COOKIE = "tv_device"
COOKIE_MAX_AGE = 10 * 365 * 24 * 3600
HASH_PURPOSE = "tv-device"
LANGS = ("ko", "en")
TEXT_SIZES = ("normal", "large", "xlarge")
SEEN_EVERY = timedelta(minutes=5)
DEVICE_CACHE_SECONDS = int(SEEN_EVERY.total_seconds())  # so last_seen_at stays about as fresh


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    household_id: int | None
    family: str
    lang: str
    text_size: str

    @property
    def paired(self) -> bool:
        return self.household_id is not None


@dataclass(frozen=True)
class HouseholdInfo:
    id: int
    code: str
    address: str
    label: str  # masked, for the header: "김*수 님 댁"


def runtime():
    return current_app.extensions["runtime"]


def detect_family(user_agent: str) -> str:
    ua = (user_agent or "").lower()
    if "hbbtv" in ua:
        return "hbbtv"
    if "tizen" in ua:
        return "tizen"
    if "web0s" in ua or "webos" in ua:
        return "webos"
    if "maple" in ua:
        return "maple"
    return "keyboard"


def _info(d: Device) -> DeviceInfo:
    return DeviceInfo(d.id, d.household_id, d.family, d.lang if d.lang in LANGS else "ko",
                      d.text_size if d.text_size in TEXT_SIZES else "normal")


def _household(session, household_id: int) -> HouseholdInfo | None:
    hh = session.get(Household, household_id)
    if hh is None:
        return None
    head = hh.residents[0].name if hh.residents else ""
    return HouseholdInfo(hh.id, hh.code, hh.address, pii.mask_name(head))


def token_hash(token: str) -> str:
    return runtime().crypto.keyed_hash(token, HASH_PURPOSE)


# -- the box's CSRF secret -------------------------------------------------------
# Flask-WTF signs a secret it keeps in the session (``csrf_token``). A TV box's
# secret is derived from its device token instead (an HMAC under the app's secret
# key), put in the session for the request without marking it changed: the
# tokens on a box's pages stay valid for as long as the box is the same box,
# whatever happens to its session cookie, and a form screen the box keeps can be
# validated like any other household screen (``tvapp.screen_cache``). Knowing
# the secret needs the HttpOnly device cookie, which is what identifies the box
# to every TV view anyway.

CSRF_FIELD = "csrf_token"  # Flask-WTF's session key and form field
TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{1,128}")


def csrf_secret(secret_key, token: str) -> str:
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, b"tv-csrf|" + token.encode(), hashlib.sha256).hexdigest()[:40]


def seed_csrf(token: str | None = None) -> None:
    """Give this request's session the box's CSRF secret (before Flask-WTF
    checks a POST: registered ahead of it in ``create_app``; and when a box
    gets a new device token, so the page it is answered with carries tokens
    for it)."""
    if not request.path.startswith("/tv/"):
        return
    token = token if token is not None else request.cookies.get(COOKIE, "")
    if not token or not TOKEN_RE.fullmatch(token):
        return
    sess = session._get_current_object()
    if isinstance(sess, dict):
        dict.__setitem__(sess, CSRF_FIELD, csrf_secret(current_app.secret_key, token))  # nothing to save
    g.pop(CSRF_FIELD, None)  # a token made for the old secret


def _set_cookie(token: str) -> None:
    secure = current_app.config.get("ENV") == "production"
    seed_csrf(token)

    @after_this_request
    def _cookie(resp):
        resp.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=secure, path="/")
        return resp


_DECRYPTED: dict = {}  # a cached entry's ciphertext -> what it says (the same bytes say the same)
_DECRYPTED_MAX = 20000


def read_cached(rt, th: str, extra: list | tuple = ()):
    """``(entry, generation, content version, extra values)`` for the box whose
    token hashes to ``th``, in one Redis round trip that also reads the keys of
    ``extra``; the entry is None when missing or stale; all but the last are
    None when Redis does not answer (the database decides)."""
    try:
        raw, gen, version, *more = rt.redis.mget(
            [webcache.device_key(th), webcache.device_gen_key(th), webcache.CONTENT_VERSION_KEY, *extra])
    except (RedisError, RuntimeError):
        return None, None, None, []
    gen, version = int(gen or 0), int(version or 0)
    if raw:
        entry = _DECRYPTED.get(raw)
        if entry is None:
            try:
                entry = json.loads(rt.crypto.decrypt(raw.decode()))
            except (ValueError, UnicodeDecodeError):
                entry = None
            if entry is not None:
                if len(_DECRYPTED) >= _DECRYPTED_MAX:
                    _DECRYPTED.clear()
                _DECRYPTED[raw] = entry
        if entry and entry.get("gen") == gen:
            return entry, gen, version, more
    return None, gen, version, more


def _remember(rt, th: str, gen: int, loaded_at: float) -> None:
    """Cache what was just read from the database, tagged with the generation
    seen *before* the read: a change committed meanwhile bumped it, so this
    entry will not be believed."""
    entry = {"gen": gen, "at": loaded_at, "d": list(astuple(g.device)),
             "h": list(astuple(g.household)) if g.household else None}
    try:
        rt.redis.set(webcache.device_key(th), rt.crypto.encrypt(json.dumps(entry, ensure_ascii=False)),
                     ex=DEVICE_CACHE_SECONDS)
    except (RedisError, RuntimeError):
        pass


def load_device(create: bool = True) -> DeviceInfo | None:
    """The box making this request (cached on ``g``); creates it when asked.

    A known box is read from a short-lived encrypted Redis entry (one round
    trip that also brings the shared-content version, ``g.content_version``);
    the database is read when the entry is missing, stale or Redis is down.
    ``g.device_since`` is when this box's identity, language or text size
    were last read from the database (a lower bound for when they changed).
    """
    if "device" in g and g.device is not None:
        return g.device
    rt = runtime()
    token = request.cookies.get(COOKIE, "")
    g.content_version = None
    gen = None
    if token and len(token) <= 128:
        th = token_hash(token)
        entry, gen, g.content_version, _ = read_cached(rt, th)
        g.device_cache = (th, gen)  # the box's cache key and the generation its identity was read under
        if entry is not None:
            g.device = DeviceInfo(*entry["d"])
            g.household = HouseholdInfo(*entry["h"]) if entry["h"] else None
            g.device_since = entry["at"]
            return g.device
    loaded_at = time.time()
    with rt.session() as s:
        d = None
        if token and len(token) <= 128:
            d = s.scalar(select(Device).where(Device.token_hash == token_hash(token)))
        if d is None:
            if not create:
                g.device = None
                return None
            token = secrets.token_urlsafe(32)
            d = Device(token_hash=token_hash(token), family=detect_family(request.user_agent.string),
                       lang="ko", text_size="normal")
            s.add(d)
            s.flush()
            _set_cookie(token)
            gen = None  # a new box: nothing to cache until it comes back with its cookie
            g.device_cache = None
        elif utcnow() - d.last_seen_at > SEEN_EVERY:
            d.last_seen_at = utcnow()
        g.device = _info(d)
        g.household = _household(s, d.household_id) if d.household_id else None
        th = d.token_hash
    g.device_since = loaded_at
    if gen is not None:
        _remember(rt, th, gen, loaded_at)
    return g.device


def update_device(**fields) -> DeviceInfo:
    """Change the current box's ``lang``, ``text_size``, ``household_id`` ..."""
    with runtime().session() as s:
        d = s.get(Device, g.device.id)
        for k, v in fields.items():
            setattr(d, k, v)
        s.flush()
        g.device = _info(d)
    g.device_since = time.time()  # the commit above told the device cache (services.webcache)
    return g.device


# -- the front's cookies (tvapp.front) -------------------------------------------

VIEW_COOKIE = "tv_view"  # "<lang>.<text size>": which shared variant the front may serve this box
WHO_COOKIE = "tv_who"  # the household's masked name, URL-encoded, for tv.js to put in a cached screen


def front_cookies(device: DeviceInfo | None, household: HouseholdInfo | None) -> tuple[str | None, str | None]:
    """``(tv_view, tv_who)`` a box should carry: both None unless it is paired."""
    if device is None or not device.paired or household is None:
        return None, None
    return "%s.%s" % (device.lang, device.text_size), quote(household.label, safe="")


def sync_front_cookies(resp):
    """after_request for /tv/: keep the box's front cookies equal to what the
    app knows of it (set on pairing and on a language or size change, cleared
    when it is found unpaired). Only when this request read the box."""
    if "device" not in g or not request.path.startswith("/tv"):
        return resp
    secure = current_app.config.get("ENV") == "production"
    for name, want in zip((VIEW_COOKIE, WHO_COOKIE), front_cookies(g.device, g.get("household")), strict=True):
        have = request.cookies.get(name)
        if want is None and have is not None:
            resp.delete_cookie(name, path="/", samesite="Lax", secure=secure)
        elif want is not None and have != want:
            # Not HttpOnly: tv.js reads tv_who (a masked name, as on every screen's header).
            resp.set_cookie(name, want, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=secure, path="/")
    return resp


def tv_device_required(view=None, *, paired: bool = True):
    """Load ``g.device`` and ``g.household``; send unpaired boxes to pairing."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            device = load_device(create=True)
            if paired and (not device.paired or g.household is None):
                return redirect(url_for("tv.pair"))
            return fn(*args, **kwargs)

        return inner

    return wrap(view) if view is not None else wrap
