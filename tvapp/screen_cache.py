"""Shared TV screens rendered once and revalidated cheaply; HTTP caching rules.

A *shared screen* (home, the certificate catalogue, the news list and
articles) shows the same thing to every box with the same language and text
size, apart from three things filled in per response: the household's masked
name in the header, and the clock (its text and ``data-now``). Such a view is
decorated with :func:`shared_screen` (inside ``tv_device_required``):

- it is rendered once per process per *variant* (endpoint, the query
  arguments it reads, language, text size) and *content version* (the Redis
  counter ``services.webcache`` bumps after any commit that changes news or
  ticker messages), with a blank household and markers where the name and the
  clock go; the bytes are annotated for remote_nav and kept in a bounded
  in-process LRU. An entry also ends when something on it runs out by the
  clock (``broadcast_feed.store.next_change``) and after ``MAX_AGE`` seconds
  (a safety net should a version bump be lost);
- every response carries a weak ``ETag`` made of the bytes' digest, the name
  and the current minute (so a copy revalidated with a 304 never shows a clock
  more than a minute old), a ``Last-Modified`` (the latest of: the entry was
  made, the minute began, the box's identity or settings were read from the
  database) and ``Cache-Control: private, no-cache`` with ``Vary: Cookie``:
  a box keeps its copy and asks each time; nothing shared may store it;
- ``If-None-Match`` (else ``If-Modified-Since``) that matches gets a 304
  with no rendering at all.

Markers never leave the server: a response rendered with them that is not
cached (a redirect, an error screen) has them filled like any other. With
Redis down (no content version) the view renders as it always did.

The busiest path skips Flask: :class:`FastPath` (WSGI middleware) answers a
paired box's request for a screen this process has already rendered straight
from the device cache and the LRU, with the headers Flask gave the first time.

Asked by the front (``X-TV-Front: 1``, ``tvapp.front``), a shared screen is
answered in its copy for every box of the variant: the name left as an empty
``<span class="tv-who-name">`` (tv.js fills it from the box's ``tv_who``
cookie), with ``X-Accel-Expires`` so nginx keeps it ``FRONT_CACHE_SECONDS``
(never past the entry's end). A box whose front cookies are not what the app
knows of it is answered by Flask, which sets them.

A *household screen* (나의 민원, a request, the bills) is the household's
own; it is decorated with :func:`household_screen` and rendered for every
box that has no current copy, but validated without rendering: its weak
``ETag`` is a digest of what the screen is made of - the path and query, the
box and household as the device cache holds them, the household's stamp (``services.webcache.household_stamp``,
dropped by any commit that changes what the screen shows), for bills screens
the digest of the bills they were rendered from (``services.taxes.bills``),
the build and the day in Korea (``14:05`` today, ``5월 3일`` after). A box
whose ``If-None-Match`` still matches gets a 304 (from :class:`FastPath`, no
Flask); a render that touched the session gets no validator, except on a
screen declared a form screen (``form=True``): a TV box's CSRF secret is
derived from its device cookie (``tvapp.tv.device.seed_csrf``), so the token
on its kept copy stays good, and the validator includes that secret's digest.
A screen that shows the box's own flow state (``flow=``: a certificate
request's choices, where a receipt goes) has that state's digest in it too. The ticker in a kept copy is brought up to date by ticker.js, which
gets the current state the moment it connects (a news change does not make
every household's copies stale). Its header clock is then the one its copy was rendered with, so
every validated answer (200 or 304) also sets ``tv_now`` (the server's time,
ms) and tv.js counts from the later of the two.

Every other HTML response gets ``Cache-Control: private, no-cache`` unless it
set its own: TV pages are tied to a household. Static files are linked with
``?v=<digest>`` and served with a year's ``max-age`` (immutable) when the
digest is current, so a box does not revalidate them on every screen.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import astuple
from datetime import datetime, timedelta, timezone
from datetime import time as dt_time
from email.utils import formatdate
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl

from flask import current_app, g, request
from flask.globals import _cv_request
from markupsafe import escape
from redis.exceptions import RedisError
from werkzeug.http import parse_cookie, parse_date, parse_etags

from services import webcache
from services.models import utcnow

log = logging.getLogger(__name__)

MAX_ENTRIES = 2048
MAX_AGE = 300.0  # seconds an entry is trusted without a version change
ARG_MAX = 64  # characters of a query argument that reach the key
CACHE_CONTROL = "private, no-cache"
STATIC_MAX_AGE = 365 * 24 * 3600

_TAG = secrets.token_hex(6)  # per process: a page can neither guess nor carry a marker
MARK_NOW = "tvmark%snow" % _TAG
MARK_CLOCK = "tvmark%sclock" % _TAG
MARK_WHO = "tvmark%swho" % _TAG

KST = timezone(timedelta(hours=9))
WHO_SLOT = b'<span class="tv-who-name"></span>'  # where tv.js puts the name in the front's copy
FRONT_ENVIRON = "HTTP_X_TV_FRONT"  # "1": asked by the front (tvapp.front), which may cache the answer
ENVIRON_KEY = "tvapp.shared_screen"
NOW_COOKIE = "tv_now"  # the server's time (ms) with a household screen's answer; tv.js reads it
NOW_COOKIE_FORMAT = NOW_COOKIE + "=%d; Path=/tv; SameSite=Lax"  # ms; the front sets it the same way
ROOT = Path(__file__).resolve().parents[1]
# What a screen's bytes are made of besides the database: a deploy changes the build id.
BUILD_SOURCES = ("tvapp", "remote_nav", "broadcast_feed/tvtext.py", "broadcast_feed/text.py",
                 "services/certificates/catalogue.py")
BUILD_SUFFIXES = (".py", ".html", ".js", ".css", ".mo", ".json")


class Entry(NamedTuple):
    body: bytes  # annotated HTML with markers
    digest: str
    created: float
    until: float  # epoch seconds after which it must be rendered again
    replay: list  # the headers Flask sent with it that are the same every time (see FastPath)


class ScreenCache:
    """A bounded LRU of rendered screens (per process; gthread-safe)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._d: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0
        self.hits = 0
        self.household_renders = 0  # household screens rendered (their 304s are not)

    def get(self, key) -> Entry | None:
        with self._lock:
            e = self._d.get(key)
            if e is not None:
                self._d.move_to_end(key)
            return e

    def put(self, key, entry: Entry) -> None:
        with self._lock:
            self._d[key] = entry
            self._d.move_to_end(key)
            while len(self._d) > self.max_entries:
                self._d.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()

    def __len__(self) -> int:
        return len(self._d)


def build_id(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for src in BUILD_SOURCES:
        p = root / src
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.suffix in BUILD_SUFFIXES)
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


# -- markers ----------------------------------------------------------------

def marking() -> bool:
    """True while a shared screen renders: the clock helpers give markers."""
    return bool(g.get("screen_marks"))


def _clock_text(now: float) -> str:
    return datetime.fromtimestamp(now, KST).strftime("%H:%M")  # as tvapp.tv.ui.tv_clock


def fill(body: bytes, now: float, label: str | None) -> bytes:
    """The markers filled for one box; ``label`` None: for the front (the name
    left to tv.js, from the box's ``tv_who`` cookie)."""
    who = WHO_SLOT if label is None else str(escape(label)).encode()
    return (body.replace(MARK_NOW.encode(), str(int(now * 1000)).encode())
            .replace(MARK_CLOCK.encode(), _clock_text(now).encode())
            .replace(MARK_WHO.encode(), who))


# -- the decorator ----------------------------------------------------------

def make_key(build: str, endpoint: str, view_kwargs: dict, args, arg_names: tuple, lang: str, size: str,
             version: int) -> tuple:
    picked = tuple((n, (args.get(n) or "")[:ARG_MAX]) for n in arg_names)
    return (build, endpoint, tuple(sorted(view_kwargs.items())), picked, lang, size, version)


def _session_object():
    """The request's session object itself: reading ``flask.session.accessed``
    through the proxy would mark it accessed."""
    ctx = _cv_request.get(None)
    return getattr(ctx, "_session", None)


class _SessionWatch:
    """Around a render: did it touch the session (a CSRF token, say)? Then
    what it made is this session's own. The session's own ``accessed`` flag
    keeps what it had before, or gains this."""

    def __enter__(self):
        self.sess = _session_object()
        self.before = self.sess.accessed if self.sess is not None else False
        if self.sess is not None:
            self.sess.accessed = False
        self.personal = True
        return self

    def __exit__(self, *exc):
        self.personal = self.sess is None or self.sess.accessed
        if self.sess is not None:
            self.sess.accessed = self.before or self.personal
        return False


def _render(view, args, kwargs, now: float):
    """Render with a blank box and household and markers; an Entry, or a
    response (markers filled) when the result must not be cached."""
    from broadcast_feed import store
    from remote_nav.integration import annotate_response
    from tvapp.tv.device import DeviceInfo, HouseholdInfo

    rt = current_app.extensions["runtime"]
    with rt.session() as s:
        change = store.next_change(s, utcnow())
    until = now + MAX_AGE
    if change is not None:
        until = min(until, change.timestamp())
    real = g.device, g.household
    g.device = DeviceInfo(0, 0, real[0].family, real[0].lang, real[0].text_size)
    g.household = HouseholdInfo(0, "", "", MARK_WHO)
    g.screen_marks = True
    try:
        with _SessionWatch() as watch:
            resp = current_app.make_response(view(*args, **kwargs))
    finally:
        g.device, g.household = real
        g.screen_marks = False
    personal = watch.personal
    cacheable = (resp.status_code == 200 and resp.mimetype == "text/html" and not resp.is_streamed
                 and not resp.direct_passthrough and not personal
                 and "Set-Cookie" not in resp.headers)
    if not cacheable:
        if resp.mimetype == "text/html" and not resp.is_streamed and not resp.direct_passthrough:
            resp.set_data(fill(resp.get_data(), now, real[1].label))
        return resp
    annotate_response(resp, check=current_app.debug, path=request.path)
    body = resp.get_data()
    current_app.extensions["screen_cache"].renders += 1
    # The digest leaves out this process's marker tag: every web process gives the same ETag.
    return Entry(body, hashlib.sha256(body.replace(_TAG.encode(), b"")).hexdigest()[:20], now, until, [])


def answer(entry: Entry, now: float, label: str | None, device_since: float | None, if_none_match: str | None,
           if_modified_since: str | None, front_ttl: int = 0) -> tuple[int, list[tuple[str, str]], bytes]:
    """``(status, validator and caching headers, body)`` for one box: 304
    when its copy is current, else the entry with the name and clock filled.

    ``label`` None: the copy for the front, the same for every box of the
    variant, which the front may keep ``front_ttl`` seconds (never past the
    entry's own end; 0: not at all)."""
    minute = int(now // 60) * 60
    tag = hashlib.sha256(("%s|%s|%d" % (entry.digest, "\x00front" if label is None else label,
                                        minute)).encode()).hexdigest()[:24]
    since = max(entry.created, float(minute), device_since or now)
    headers = [("ETag", 'W/"%s"' % tag), ("Cache-Control", CACHE_CONTROL), ("Vary", "Cookie")]
    if label is None:
        ttl = min(front_ttl, int(entry.until - now))
        if ttl >= 1:
            headers.append(("X-Accel-Expires", str(ttl)))  # nginx's; it does not pass it on
    # A Last-Modified in the same second as the change it dates could not tell
    # the two apart: then only the ETag validates.
    modified = int(since) if now - since >= 1.0 else None
    if modified is not None:
        headers.append(("Last-Modified", formatdate(modified, usegmt=True)))
    if if_none_match:
        fresh = parse_etags(if_none_match).contains_weak(tag)
    else:
        ims = parse_date(if_modified_since) if if_modified_since else None
        fresh = modified is not None and ims is not None and ims.timestamp() >= modified
    if fresh:
        return 304, headers, b""
    return 200, headers, fill(entry.body, now, label)


def _for_front(environ) -> bool:
    return environ.get(FRONT_ENVIRON) == "1"


def _respond(entry: Entry, now: float):
    front = _for_front(request.environ)
    # The front passes a box's validators on (household screens need them);
    # its copy of a shared screen is always whole: it answers boxes' 304s itself.
    status, headers, body = answer(entry, now, None if front else g.household.label, g.get("device_since"),
                                   None if front else request.headers.get("If-None-Match"),
                                   None if front else request.headers.get("If-Modified-Since"),
                                   current_app.config.get("FRONT_CACHE_SECONDS", 0) if front else 0)
    resp = current_app.response_class(body, status=status, mimetype="text/html")
    for name, value in headers:
        resp.headers[name] = value
    g.screen_done = True  # annotated already: remote_nav's after_request leaves it
    request.environ[ENVIRON_KEY] = entry  # FastPath notes the headers Flask adds
    return resp


def shared_screen(*arg_names: str):
    """Cache a shared screen's rendering; ``arg_names`` are the query
    arguments the view reads (any others cannot change what it shows)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            version = g.get("content_version")
            cache = current_app.extensions.get("screen_cache")
            if version is None or cache is None or g.get("household") is None:
                return view(*args, **kwargs)
            now = time.time()
            key = make_key(current_app.extensions["screen_build"], request.endpoint, kwargs, request.args,
                           arg_names, g.device.lang, g.device.text_size, version)
            entry = cache.get(key)
            if entry is None or now >= entry.until:
                entry = _render(view, args, kwargs, now)
                if not isinstance(entry, Entry):
                    return entry
                cache.put(key, entry)
            else:
                cache.hits += 1
            return _respond(entry, now)

        inner.shared_screen_args = arg_names  # FastPath serves it
        return inner

    return wrap


# -- household screens --------------------------------------------------------------

def household_tag(build: str, path: str, query: str, device, household, stamp: str, bills: str,
                  now: float, extra: str = "") -> str:
    """The validator of a household screen: a digest of everything it is made
    of but the ticker (ticker.js sets it on load)."""
    day = datetime.fromtimestamp(now, KST).date().isoformat()
    raw = json.dumps([build, path, query, list(device), list(household), stamp, bills, day, extra],
                     ensure_ascii=False)
    return "h" + hashlib.sha256(raw.encode()).hexdigest()[:23]  # "h": the front looks only these up


class Spec(NamedTuple):
    """What a household screen is made of besides the household's rows."""

    bills: bool  # the household's bills (their digest, ``services.taxes.bills.content_key``)
    flow: object  # device id -> the Redis key of the box's flow state the screen shows, or None
    form: bool  # a form: its CSRF token is the box's (``tvapp.tv.device.csrf_secret``)


def _flow_part(raw) -> str:
    return hashlib.sha256(raw).hexdigest()[:16] if raw is not None else "-"


def _form_part(secret: str) -> str:
    """The box's CSRF secret as the validator holds it (``tvapp.tv.device.csrf_secret``)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _current_tag(build: str, path: str, query: str, device, household, current: tuple, now: float,
                 form_part: str) -> str:
    """The validator a screen would have now, from :func:`_current_validators`."""
    stamp, bills, flow = current
    return household_tag(build, path, query, device, household, stamp, bills, now, flow + form_part)


def _validator_keys(household, device_id: int, spec: Spec) -> list[str]:
    from services.taxes.bills import content_key

    keys = [webcache.household_key(household[0])]
    if spec.bills:
        keys.append(content_key(household[1]))
    if spec.flow is not None:
        keys.append(spec.flow(device_id))
    return keys


def _current_validators(redis, household, device_id: int, spec: Spec, got=None):
    """``((stamp, bills digest, flow digest), the raw values)`` as they stand,
    in one round trip (none when ``got``: the values of :func:`_validator_keys`,
    read already); None when the stamp or a bills digest is missing (then
    nothing can validate: render). A box with no flow state is a state of its own."""
    if got is None:
        got = redis.mget(_validator_keys(household, device_id, spec))
    if got[0] is None or (spec.bills and got[1] is None):
        return None
    return (got[0].decode(), got[1].decode() if spec.bills else "",
            _flow_part(got[-1]) if spec.flow is not None else ""), got


# -- the front's records ----------------------------------------------------------
#
# A box's revalidation of a household screen is answered by the front itself
# (tvapp.front, front_lua/) when the record the app wrote for that box and
# screen still holds: the validator it gave, and each key the screen was made
# from with its value's SHA-1 ("-": absent) - the household's stamp, the bills
# digest, the flow state, the box's cache generation (bumped when its row
# changes: pairing, language, text size) and the build. The front names the
# record (a digest of the box's cookies and the URI) in X-TV-Front-Key.

FRONT_KEY_RE = re.compile(r"[A-Za-z0-9+/]{27}=")


def _front_record(environ) -> str | None:
    """The record the front looks this request up under, when the front asked
    and the box sent one device cookie (so the front and the app read the same)."""
    name = environ.get("HTTP_X_TV_FRONT_KEY", "")
    if not name or not _for_front(environ) or not FRONT_KEY_RE.fullmatch(name):
        return None
    if environ.get("HTTP_COOKIE", "").count("tv_device=") != 1:
        return None
    return webcache.FRONT_PREFIX + name


def _front_cookies_current() -> bool:
    """The box sent the front cookies the app wants it to have (else it is
    given new ones, and a record under the old ones would never be asked for)."""
    from tvapp.tv.device import VIEW_COOKIE, WHO_COOKIE, front_cookies

    want = front_cookies(g.device, g.get("household"))
    return (request.cookies.get(VIEW_COOKIE), request.cookies.get(WHO_COOKIE)) == want


def _until_tomorrow(now: float) -> int:
    """Seconds to midnight in Korea: a household validator holds the day."""
    today = datetime.fromtimestamp(now, KST)
    midnight = datetime.combine(today.date() + timedelta(days=1), dt_time(0), KST)
    return int(midnight.timestamp() - now)


def _sha1(value) -> str:
    if value is None:
        return "-"
    return hashlib.sha1(value if isinstance(value, bytes) else str(value).encode()).hexdigest()


def keep_for_front(redis, record: str | None, tag: str, build: str, keys, values, box, now: float) -> None:
    """Write the front's record of a household screen just validated or
    rendered: ``keys``/``values`` as :func:`_validator_keys` names them and as
    the screen was made from them; ``box``: (token hash, cache generation)."""
    if record is None or not box or box[1] is None:
        return  # a box whose identity was not read under a generation cannot be checked by one
    ttl = min(webcache.HOUSEHOLD_STAMP_SECONDS, _until_tomorrow(now))
    if ttl < 2:
        return
    deps = []
    for key, value in zip([*keys, webcache.device_gen_key(box[0]), webcache.FRONT_BUILD_KEY],
                          [*values, box[1] or None, build], strict=True):  # generation 0: no counter yet
        deps += [key, _sha1(value)]
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.set(record, json.dumps({"t": tag, "d": deps}), ex=ttl)
        pipe.set(webcache.FRONT_BUILD_KEY, build)
        pipe.execute()
    except (RedisError, RuntimeError):
        log.debug("front record not written", exc_info=True)


def _bills_again(rt, household_code: str) -> bool:
    """The household's bills have run out of the cache: ask the back end again
    (which keeps them and their digest), so a copy of the same bills is
    validated without rendering. False when the back end cannot say (render:
    the screen tells the box)."""
    from services.taxes import bills as bills_mod

    try:
        bills_mod.household_bills(rt, household_code)
    except bills_mod.BillsUnavailable:
        return False
    return True


def _now_cookie(now: float) -> str:
    return NOW_COOKIE_FORMAT % int(now * 1000)


def _household_headers(tag: str, now: float) -> list[tuple[str, str]]:
    return [("ETag", 'W/"%s"' % tag), ("Cache-Control", CACHE_CONTROL), ("Vary", "Cookie"),
            ("Set-Cookie", _now_cookie(now))]


def household_screen(bills: bool = False, flow=None, form: bool = False):
    """Validate a household screen (see the module's docstring).

    ``bills``: it shows the household's bills (read through ``tvapp.taxes``,
    which notes their digest on ``g.bills_seen``). ``flow``: a function of the
    device id giving the Redis key of the box's flow state the screen shows
    (a certificate request's choices, where a receipt goes); the stored value's
    digest is part of the validator. ``form``: the screen has forms; it may
    read the session for its CSRF token and nothing else, and is validated
    only when that token is the box's own (``tvapp.tv.device.seed_csrf``)."""
    spec = Spec(bills, flow, form)

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            version, hh = g.get("content_version"), g.get("household")
            if version is None or hh is None:
                return view(*args, **kwargs)
            rt = current_app.extensions["runtime"]
            build = current_app.extensions["screen_build"]
            env = request.environ
            path, query = env.get("PATH_INFO", ""), env.get("QUERY_STRING", "")
            device, household = astuple(g.device), astuple(hh)
            form_part = ""
            if form:
                from tvapp.tv.device import COOKIE, CSRF_FIELD, csrf_secret

                secret = csrf_secret(current_app.secret_key, request.cookies.get(COOKIE, ""))
                form_part = _form_part(secret)
            now = time.time()
            inm = request.headers.get("If-None-Match")
            keys = _validator_keys(household, g.device.id, spec)
            # The front's record of this box's copy, when its front cookies are current.
            record = _front_record(env)
            if record is not None and not _front_cookies_current():
                record = None
            try:
                if inm:  # a copy Flask can validate (the fast path declined: cookies to set, say)
                    found = _current_validators(rt.redis, household, g.device.id, spec, rt.redis.mget(keys))
                    if (found is None and bills and rt.redis.exists(webcache.household_key(hh.id))
                            and _bills_again(rt, hh.code)):
                        found = _current_validators(rt.redis, household, g.device.id, spec, rt.redis.mget(keys))
                    if found is not None:
                        tag = _current_tag(build, path, query, device, household, found[0], now, form_part)
                        if parse_etags(inm).contains_weak(tag):
                            keep_for_front(rt.redis, record, tag, build, keys, found[1], g.get("device_cache"), now)
                            return _household_304(tag, now)
                stamp = webcache.household_stamp(rt.redis, hh.id)  # before anything is read
                flow_raw = rt.redis.get(flow(g.device.id)) if flow is not None else None
                flow_part = _flow_part(flow_raw) if flow is not None else ""
            except (RedisError, RuntimeError):
                return view(*args, **kwargs)
            seen: list = []
            if bills:
                g.bills_seen = seen
            cache = current_app.extensions.get("screen_cache")
            if cache is not None:
                cache.household_renders += 1
            try:
                with _SessionWatch() as watch:
                    resp = current_app.make_response(view(*args, **kwargs))
            finally:
                g.pop("bills_seen", None)
            if form:
                sess = watch.sess
                personal = (sess is None or sess.modified
                            or dict.get(sess, CSRF_FIELD) != secret)
            else:
                personal = watch.personal
            if (resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed or personal
                    or "Set-Cookie" in resp.headers or (bills and len(set(seen)) != 1)):
                return resp
            tag = household_tag(build, path, query, device, household, stamp, seen[0] if bills else "", now,
                                flow_part + form_part)
            made_from = [stamp] + ([seen[0]] if bills else []) + ([flow_raw] if flow is not None else [])
            keep_for_front(rt.redis, record, tag, build, keys, made_from, g.get("device_cache"), now)
            if inm and parse_etags(inm).contains_weak(tag):
                return _household_304(tag, now)
            for name, value in _household_headers(tag, now):
                if name == "Set-Cookie":
                    resp.headers.add(name, value)
                else:
                    resp.headers[name] = value
            return resp

        inner.household_screen = spec  # FastPath validates it
        return inner

    return wrap


def _household_304(tag: str, now: float):
    resp = current_app.response_class(status=304)
    for name, value in _household_headers(tag, now):
        resp.headers.add(name, value)
    resp.headers.remove("Content-Type")
    return resp


# -- the fast path ----------------------------------------------------------------

COOKIE_RE = re.compile(r"(?:^|;)\s*tv_device=([A-Za-z0-9_\-]{1,128})\s*(?:;|$)")
# Headers that differ on every response; the rest of what Flask sent is replayed.
PER_RESPONSE = {"etag", "last-modified", "content-length", "date", "x-request-id", "set-cookie", "server",
                "cache-control", "vary", "x-accel-expires"}  # the last three: ``answer`` gives them
_replay_lock = threading.Lock()
HINTS_MAX = 50000


class FastPath:
    """WSGI middleware in front of Flask: a shared screen this process has
    rendered, asked for by a paired box whose identity is in the Redis device
    cache, is answered here with the same bytes and headers the Flask path
    gives (``answer``; the headers Flask's hooks added the first time it served
    the entry are replayed, ``X-Request-Id`` made anew) - no routing hooks,
    no template context, no database. Anything else, or anything it is unsure
    of (Redis down, a stale or unknown box, an entry not yet rendered or
    expired), goes to Flask, which renders and caches as usual."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.served = 0
        self.households: dict = {}  # token hash -> (device id, household) as last read

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and environ.get("PATH_INFO", "").startswith("/tv/"):
            try:
                found = self._serve(environ)
            except Exception:  # noqa: BLE001 - Flask answers instead, and logs what it must
                log.debug("fast path declined", exc_info=True)
                found = None
            if found is not None:
                status, headers, body = found
                self.served += 1
                start_response(status, headers)
                return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
            return self.wsgi_app(environ, self._noting(environ, start_response))
        return self.wsgi_app(environ, start_response)

    def _noting(self, environ, start_response):
        """After Flask answered a shared screen with 200: note its steady headers."""

        def start(status, headers, exc_info=None):
            entry = environ.get(ENVIRON_KEY)
            if entry is not None and status.startswith("200") and not entry.replay:
                with _replay_lock:
                    if not entry.replay:
                        entry.replay.extend((k, v) for k, v in headers if k.lower() not in PER_RESPONSE)
            return start_response(status, headers, exc_info)

        return start

    def _serve(self, environ):
        app = self.app
        cache = app.extensions.get("screen_cache")
        m = COOKIE_RE.search(environ.get("HTTP_COOKIE", ""))
        if cache is None or m is None:
            return None
        endpoint, view_args = app.url_map.bind_to_environ(environ).match()
        view = app.view_functions.get(endpoint)
        arg_names = getattr(view, "shared_screen_args", None)
        spec = getattr(view, "household_screen", None)
        if arg_names is None and (spec is None or not environ.get("HTTP_IF_NONE_MATCH")):
            return None
        from tvapp.tv.device import HASH_PURPOSE, DeviceInfo, HouseholdInfo, read_cached

        rt = app.extensions["runtime"]
        th = rt.crypto.keyed_hash(m.group(1), HASH_PURPOSE)
        # A household screen's validators are read in the same round trip as the
        # box, for the household this process last saw it in (checked below).
        hint = self.households.get(th) if arg_names is None else None
        extra = _validator_keys(hint[1], hint[0], spec) if hint else ()
        entry, _gen, version, more = read_cached(rt, th, extra)
        if entry is None or not entry.get("h"):
            return None
        args = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)[::-1])
        _id, _hh, _family, lang, size = entry["d"]
        front = _for_front(environ)
        if front:
            # A box whose front cookies are not what the app knows of it goes to
            # Flask, which sets them (tvapp.tv.device.sync_front_cookies).
            from tvapp.tv.device import VIEW_COOKIE, WHO_COOKIE, front_cookies

            cookies = parse_cookie(environ)
            want = front_cookies(DeviceInfo(*entry["d"]), HouseholdInfo(*entry["h"]))
            if (cookies.get(VIEW_COOKIE), cookies.get(WHO_COOKIE)) != want:
                return None
        if arg_names is None:
            seen = (entry["d"][0], entry["h"])
            if hint != seen:
                if len(self.households) >= HINTS_MAX:
                    self.households.clear()
                self.households[th] = seen
                more = None
            return self._household(environ, entry, spec, m.group(1), th, more)
        key = make_key(app.extensions["screen_build"], endpoint, view_args, args, arg_names, lang, size, version)
        screen = cache.get(key)
        now = time.time()
        if screen is None or now >= screen.until or not screen.replay:
            return None
        cache.hits += 1
        code, headers, body = answer(screen, now, None if front else entry["h"][3], entry["at"],
                                     None if front else environ.get("HTTP_IF_NONE_MATCH"),
                                     None if front else environ.get("HTTP_IF_MODIFIED_SINCE"),
                                     app.config.get("FRONT_CACHE_SECONDS", 0) if front else 0)
        rid = environ.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex[:12]
        headers = screen.replay + headers + [("X-Request-Id", rid)]
        if code == 304:
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-length")]
            return "304 NOT MODIFIED", headers, b""
        headers.append(("Content-Length", str(len(body))))
        return "200 OK", headers, body

    def _household(self, environ, entry, spec: Spec, token: str, th: str, got=None):
        """A 304 for a household screen whose copy the box has is current; else None."""
        rt = self.app.extensions["runtime"]
        found = _current_validators(rt.redis, entry["h"], entry["d"][0], spec, got)
        if found is None:
            return None
        now = time.time()
        form_part = ""
        if spec.form:
            from tvapp.tv.device import csrf_secret

            form_part = _form_part(csrf_secret(self.app.secret_key, token))
        build = self.app.extensions["screen_build"]
        tag = _current_tag(build, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), entry["d"],
                           entry["h"], found[0], now, form_part)
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(tag):
            return None
        keep_for_front(rt.redis, _front_record(environ), tag, build,
                       _validator_keys(entry["h"], entry["d"][0], spec), found[1], (th, entry["gen"]), now)
        rid = environ.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex[:12]
        return "304 NOT MODIFIED", _household_headers(tag, now) + [("X-Request-Id", rid)], b""


# -- HTTP caching for everything else ------------------------------------------

STATIC_ENDPOINTS = ("static", "remote_nav.static")


@functools.lru_cache(maxsize=256)
def _static_digest(folder: str, filename: str) -> str | None:
    try:
        path = (Path(folder) / filename).resolve()
        if Path(folder).resolve() not in path.parents:
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    except OSError:
        return None


def _static_folder(app, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    bp = app.blueprints.get(endpoint.split(".")[0])
    return bp.static_folder if bp is not None else None


def init_app(app) -> None:
    app.extensions["screen_cache"] = ScreenCache()
    app.extensions["screen_build"] = build_id()
    app.wsgi_app = FastPath(app, app.wsgi_app)

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint in STATIC_ENDPOINTS and "filename" in values and "v" not in values:
            folder = _static_folder(app, endpoint)
            digest = _static_digest(folder, values["filename"]) if folder else None
            if digest:
                values["v"] = digest

    @app.after_request
    def _cache_headers(resp):
        if request.endpoint in STATIC_ENDPOINTS:
            folder = _static_folder(app, request.endpoint)
            v = request.args.get("v")
            if v and resp.status_code in (200, 304) and folder and \
                    v == _static_digest(folder, request.view_args.get("filename", "")):
                resp.headers["Cache-Control"] = "public, max-age=%d, immutable" % STATIC_MAX_AGE
        elif resp.mimetype == "text/html" and "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = CACHE_CONTROL
            if request.path.startswith("/tv"):
                resp.vary.add("Cookie")
        return resp
