"""Template helpers for TV screens (registered as Jinja globals/filters by
``init_app``): QR codes as data URIs, Korean digit grouping and Korean
particles (``name|eul``, ``place|ro``, ``word|josa("이")``, and ``text|particles``
for a translated sentence that writes a particle both ways, ``%(to)s(으)로``)."""

from __future__ import annotations

import re
import time

from flask import g, request, url_for
from flask_babel import get_locale
from markupsafe import Markup

from services import korean, qr
from services.korean import now_kst
from tvapp.caching import for_front
from tvapp.tv.labels import day, day_time, tax_name
from tvapp.tv.service_texts import bill_subject, ko, ko_attr, svc


def qr_data_uri(text: str, scale: int = 6) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (no file, no request)."""
    return qr.svg_data_uri(text, scale, level="M")


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


def tv_now_ms() -> int:
    return int(time.time() * 1000)


def tv_clock() -> str:
    return now_kst().strftime("%H:%M")


def tv_who() -> str:
    """The household's masked name for the header; in the front's copy of a
    shared screen an empty slot that tv.js fills from the box's cookie."""
    if for_front():
        return Markup('<span class="tv-who-name"></span>')
    hh = g.get("household")
    return hh.label if hh is not None else ""


_STATIC: dict = {}


def cert_name(ctype, particle: str = "") -> str:
    """A certificate's name in the screen's language; in Korean with the
    particle ``particle`` ("eul", "iga" ...) chosen by its final consonant."""
    if get_locale() is not None and get_locale().language == "en" and getattr(ctype, "name_en", ""):
        return ctype.name_en
    return getattr(korean, particle)(ctype.name_ko) if particle else ctype.name_ko


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
    app.add_template_global(tv_who, "tv_who")
    app.add_template_global(cert_name, "cert_name")
    app.add_template_filter(group_digits, "group_digits")
    app.add_template_filter(day, "day")  # 2026년 12월 24일 / Dec 24, 2026
    app.add_template_filter(day_time, "day_time")
    app.add_template_filter(tax_name, "tax_name")  # 자동차세 / Automobile tax
    app.add_template_filter(svc, "svc")  # a service's Korean text in the screen's language
    app.add_template_filter(ko, "ko")  # Korean left on an English screen, in <span lang="ko">
    app.add_template_filter(ko_attr, "ko_attr")  # ... or the element's lang="ko"
    app.add_template_filter(bill_subject, "bill_subject")  # 주택분 (월드컵북로 212) / Housing (월드컵북로 212)
    for name in ("josa", "eul", "iga", "eun", "gwa", "ro", "particles"):
        app.add_template_filter(getattr(korean, name), name)

    @app.context_processor
    def _tv_context():
        return {"tv_device": g.get("device"), "tv_household": g.get("household")}
