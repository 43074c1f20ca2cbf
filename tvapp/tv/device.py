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

The device and its household are read from the database on every request,
in one query (``services.devices.identity``).
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from flask import after_this_request, current_app, g, redirect, request, url_for

from services import devices, pii
from services.models import Device

COOKIE = "tv_device"
COOKIE_MAX_AGE = 10 * 365 * 24 * 3600
HASH_PURPOSE = "tv-device"
LANGS = ("ko", "en")
TEXT_SIZES = ("normal", "large", "xlarge")


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


def token_hash(token: str) -> str:
    return runtime().crypto.keyed_hash(token, HASH_PURPOSE)


def _set_cookie(token: str) -> None:
    secure = current_app.config.get("ENV") == "production"

    @after_this_request
    def _cookie(resp):
        resp.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=secure, path="/")
        return resp


def load_device(create: bool = True) -> DeviceInfo | None:
    """The box making this request (cached on ``g``); creates it when asked."""
    if "device" in g and g.device is not None:
        return g.device
    token = request.cookies.get(COOKIE, "")
    found = devices.identity(runtime(), token_hash(token)) if token and len(token) <= 128 else None
    if found is not None:
        g.device = DeviceInfo(found.device_id, found.household_id, found.family,
                              found.lang if found.lang in LANGS else "ko",
                              found.text_size if found.text_size in TEXT_SIZES else "normal")
        g.household = (HouseholdInfo(found.household_id, found.code, found.address,
                                     pii.mask_name(found.head_name or ""))
                       if found.household_id is not None and found.code is not None else None)
        return g.device
    if not create:
        g.device = None
        return None
    token = secrets.token_urlsafe(32)
    with runtime().session() as s:
        d = Device(token_hash=token_hash(token), family=detect_family(request.user_agent.string),
                   lang="ko", text_size="normal")
        s.add(d)
        s.flush()
        g.device = _info(d)
    g.household = None
    _set_cookie(token)
    return g.device


def update_device(**fields) -> DeviceInfo:
    """Change the current box's ``lang``, ``text_size``, ``household_id`` ..."""
    with runtime().session() as s:
        d = s.get(Device, g.device.id)
        for k, v in fields.items():
            setattr(d, k, v)
        s.flush()
        g.device = _info(d)
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
