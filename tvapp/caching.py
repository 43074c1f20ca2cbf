"""HTTP caching of TV screens: all of it lives here (and in the front's nginx
config, ``tvapp.front``). Views, templates and the domain know only the two
decorators; the domain counts its changes in ``services.core.versions``.

**Shared screens** (home, the certificate catalogue, the news): the same for
every box of a language and text size but for the household's masked name
and the clock. :func:`shared_screen` renders them (rendering is cheap), gives
a weak ``ETag`` of the bytes and answers a matching ``If-None-Match`` with a
304 (Werkzeug's ``make_conditional``); the clock's milliseconds (``data-now``)
are left out of it, its minute is in the text. Asked by the front (``X-TV-Front: 1``)
the name is left blank (tv.js fills it from the box's ``tv_who`` cookie) and
``X-Accel-Expires`` lets nginx keep the copy ``FRONT_CACHE_SECONDS`` for every
box of that variant.

**Household screens** (나의 민원, a request, the bills, the forms that show
the household's residents or a payment order): :func:`household_screen`
computes the weak ``ETag`` *before* rendering, from what the screen is made
of: the build, the path and query, the box (language, text size) and its
household, the household's version counter (bumped after every commit that
changes what these screens show), for bills screens the digest of the bills
the back end gave (``services.taxes.bills.digest``), the box's flow state
(``flow=``: choices kept in Redis while it walks a request), for form screens
the session's CSRF secret, and the day in Korea (screens say "today"). A box
whose ``If-None-Match`` matches gets a 304 without rendering; otherwise the
view renders and the answer carries that ``ETag``. The version is read before
rendering: a change committed meanwhile bumps it, so the next request renders
again; a copy is never validated past a change. With Redis down the screen
renders every time, without a validator.

Every household answer (200 or 304) sets the ``tv_now`` cookie (the server's
time, ms): tv.js keeps the clock of a copy the box kept right.

Every console answer (but its static files) is ``no-store``: Back after
logout must not show an operator's page from the browser's history. So is
every verification page (it shows an issued document's pages).
Every other HTML answer gets ``Cache-Control: private, no-cache`` unless it set
its own. Static files are linked with ``?v=<digest>`` and served for a year
(immutable) when the digest is current.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from pathlib import Path

from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from redis.exceptions import RedisError

from services.core import versions
from services.korean import now_kst
from services.taxes import bills as bills_mod

CACHE_CONTROL = "private, no-cache"
CONSOLE_CACHE_CONTROL = "no-store"
CONSOLE_BLUEPRINT = "console"
# The verification page shows an issued document's pages: kept by no cache either.
# 주민 참여's screens show a voter's receipt code and ballot: no-store too.
NO_STORE_BLUEPRINTS = (CONSOLE_BLUEPRINT, "verify", "participation")
STATIC_MAX_AGE = 365 * 24 * 3600
STATIC_ENDPOINTS = ("static", "remote_nav.static")
FRONT_ENVIRON = "HTTP_X_TV_FRONT"  # "1": asked by the front, which may keep a shared screen
NOW_COOKIE = "tv_now"
ROOT = Path(__file__).resolve().parents[1]
# What a screen's bytes are made of besides the database: a deploy changes the build id.
BUILD_SOURCES = ("tvapp", "remote_nav", "broadcast_feed/tvtext.py", "broadcast_feed/text.py",
                 "services/certificates/catalogue.py")
BUILD_SUFFIXES = (".py", ".html", ".js", ".css", ".mo", ".json")


_CLOCK_MS = re.compile(rb'data-now="\d+"')


def build_id(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for src in BUILD_SOURCES:
        p = root / src
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.suffix in BUILD_SUFFIXES)
        for f in files:
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def for_front() -> bool:
    """This request is the front's fetch of a shared screen's copy for every box."""
    return request.environ.get(FRONT_ENVIRON) == "1" and bool(g.get("front_copy"))


# -- shared screens -------------------------------------------------------------

def shared_screen(view):
    """A screen that shows every box of a variant the same thing."""

    @functools.wraps(view)
    def inner(*args, **kwargs):
        g.front_copy = request.environ.get(FRONT_ENVIRON) == "1"
        resp = current_app.make_response(view(*args, **kwargs))
        if resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed \
                or "Set-Cookie" in resp.headers:
            return resp
        body = _CLOCK_MS.sub(b"", resp.get_data())  # the clock's minute is in the text
        resp.set_etag(hashlib.sha256(body).hexdigest()[:24], weak=True)
        resp.headers["Cache-Control"] = CACHE_CONTROL
        resp.vary.add("Cookie")
        if g.front_copy:
            ttl = int(current_app.config.get("FRONT_CACHE_SECONDS", 0))
            if ttl > 0:
                resp.headers["X-Accel-Expires"] = str(ttl)  # nginx's; it does not pass it on
            return resp  # the front answers the boxes' validators itself
        return resp.make_conditional(request)

    return inner


# -- household screens ------------------------------------------------------------

def _digest(value) -> str:
    if value is None:
        return "-"
    return hashlib.sha256(value if isinstance(value, bytes) else str(value).encode()).hexdigest()[:16]


def household_tag(made_of: list) -> str:
    raw = json.dumps([current_app.extensions["screen_build"], *made_of], ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _made_of(bills: bool, flow, form: bool) -> list:
    """What the screen shows besides its rows' contents, read now in one Redis
    round trip (raises RedisError when Redis does not answer)."""
    rt = current_app.extensions["runtime"]
    hh, dev = g.household, g.device
    keys = [versions.household_key(hh.id)]
    if flow is not None:
        keys.append(flow(dev.id))
    if bills:
        keys.append(bills_mod.content_key(hh.code))
    values = rt.redis.mget(keys)
    made = [request.path, request.query_string.decode("latin-1"), dev.id, dev.lang, dev.text_size,
            hh.id, hh.label, int(values[0] or 0), now_kst().date().isoformat()]
    if flow is not None:
        made.append(_digest(values[1]))
    if bills:
        try:  # the digest of the bills kept; lapsed, the back end is asked now
            made.append(values[-1].decode() if values[-1] is not None else bills_mod.digest(rt, hh.code))
        except bills_mod.BillsUnavailable:
            return []  # the screen says the back end is away: render it
    if form:
        generate_csrf()  # the session's CSRF secret, made now if it has none
        made.append(_digest(session.get("csrf_token")))
    return made


def _now_cookie(resp) -> None:
    resp.set_cookie(NOW_COOKIE, str(int(time.time() * 1000)), path="/tv", samesite="Lax")


def household_screen(bills: bool = False, flow=None, form: bool = False):
    """A household's own screen, validated before rendering (see above).

    ``bills``: it shows the household's bills. ``flow``: a function of the
    device id giving the Redis key of the box's flow state the screen shows.
    ``form``: it carries a form (its CSRF token is part of what it is)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            try:
                made = _made_of(bills, flow, form) if g.get("household") is not None else []
            except (RedisError, RuntimeError):
                made = []
            if not made:
                return view(*args, **kwargs)
            tag = household_tag(made)
            if request.if_none_match.contains_weak(tag):
                resp = current_app.response_class(status=304)
                resp.headers.remove("Content-Type")
            else:
                resp = current_app.make_response(view(*args, **kwargs))
                if resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed:
                    return resp
                if form and _digest(session.get("csrf_token")) != made[-1]:
                    return resp  # the render made the session a new CSRF secret: no validator
            resp.set_etag(tag, weak=True)
            resp.headers["Cache-Control"] = CACHE_CONTROL
            resp.vary.add("Cookie")
            _now_cookie(resp)
            return resp

        return inner

    return wrap


# -- static files and everything else -------------------------------------------

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
    app.extensions["screen_build"] = build_id()

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
        elif request.blueprint in NO_STORE_BLUEPRINTS and request.endpoint != request.blueprint + ".static":
            resp.headers["Cache-Control"] = CONSOLE_CACHE_CONTROL
            resp.headers.pop("ETag", None)
            resp.headers.pop("Last-Modified", None)
        elif resp.mimetype == "text/html" and "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = CACHE_CONTROL
            if request.path.startswith("/tv"):
                resp.vary.add("Cookie")
        return resp
