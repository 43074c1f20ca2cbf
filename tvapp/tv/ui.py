"""Template helpers for TV screens (registered as Jinja globals/filters by
``init_app``): QR codes as data URIs and Korean digit grouping."""

from __future__ import annotations

import base64
import io
import re
import time
from datetime import datetime, timedelta, timezone

import pyqrcode
from flask import g, request, url_for

from tvapp.screen_cache import MARK_CLOCK, MARK_NOW, marking

KST = timezone(timedelta(hours=9))


def qr_data_uri(text: str, scale: int = 6) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (no file, no request)."""
    code = pyqrcode.create(text, error="M")
    buf = io.BytesIO()
    code.svg(buf, scale=scale, xmldecl=False, svgns=True, module_color="#000", background="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def group_digits(value: str, kind: str = "phone") -> str:
    """Korean grouping while typing: ``02-1234-5678``, ``010-1234-5678``,
    card numbers in groups of 4; other kinds untouched. Mirrors ``tv.js``."""
    d = re.sub(r"\D", "", value or "")
    if kind == "card":
        return "-".join(d[i:i + 4] for i in range(0, len(d), 4))
    if kind != "phone" or not d:
        return d
    if d.startswith("1") and len(d) <= 8:  # 1588-1234
        return d if len(d) <= 4 else d[:4] + "-" + d[4:]
    head = 2 if d.startswith("02") else 3
    area, rest = d[:head], d[head:]
    if not rest:
        return area
    if len(rest) <= 4:
        return area + "-" + rest
    if len(rest) <= 7:
        return "%s-%s-%s" % (area, rest[:3], rest[3:])
    return "%s-%s-%s" % (area, rest[:4], rest[4:])


def tv_now_ms() -> int | str:
    if marking():  # a shared screen: filled in per response (tvapp.screen_cache)
        return MARK_NOW
    return int(time.time() * 1000)


def tv_clock() -> str:
    if marking():
        return MARK_CLOCK
    return datetime.now(KST).strftime("%H:%M")


_STATIC: dict = {}


def static_url(filename: str) -> str:
    """``url_for("static", filename=...)``, built once per script root and file."""
    key = (request.script_root, filename)
    found = _STATIC.get(key)
    if found is None:
        found = _STATIC[key] = url_for("static", filename=filename)
    return found


def init_app(app) -> None:
    app.add_template_global(static_url, "static_url")
    app.add_template_global(qr_data_uri, "qr_data_uri")
    app.add_template_global(tv_now_ms, "tv_now_ms")
    app.add_template_global(tv_clock, "tv_clock")
    app.add_template_filter(group_digits, "group_digits")

    @app.context_processor
    def _tv_context():
        return {"tv_device": g.get("device"), "tv_household": g.get("household")}
