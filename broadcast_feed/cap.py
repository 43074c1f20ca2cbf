"""CAP 1.2 alerts (KS X ITU-T X.1303): alert -> info -> area.

``parse_cap(root)`` turns an already safely parsed ``<alert>`` into a
``CapAlert``. Missing optional fields become empty values; malformed
polygons or circles are skipped, never fatal. Only an alert without an
identifier or sender is refused, since it could not be deduplicated.
"""

from __future__ import annotations

import math

from lxml import etree

from broadcast_feed.errors import FeedRefused
from broadcast_feed.items import CapAlert, CapArea, CapInfo
from broadcast_feed.text import parse_datetime, plain_text, safe_url

MAX_POINTS = 5000


def _ns(root) -> str:
    return etree.QName(root).namespace or ""


def _t(el, ns: str, name: str, *, paragraphs: bool = False) -> str:
    child = el.find("{%s}%s" % (ns, name))
    if child is None:
        return ""
    return plain_text("".join(child.itertext()), paragraphs=paragraphs)


def _all(el, ns: str, name: str) -> list:
    return el.findall("{%s}%s" % (ns, name))


def _coord(pair: str) -> tuple[float, float] | None:
    try:
        lat_s, lon_s = pair.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def parse_polygon(text: str) -> list[tuple[float, float]] | None:
    """ "lat,lon lat,lon ..." -> points, or None if it is not a usable polygon."""
    pairs = text.split()
    if len(pairs) < 3 or len(pairs) > MAX_POINTS:
        return None
    points = []
    for pair in pairs:
        point = _coord(pair)
        if point is None:
            return None
        points.append(point)
    if points[0] != points[-1]:
        points.append(points[0])
    return points


def parse_circle(text: str) -> tuple[float, float, float] | None:
    """ "lat,lon radius_km" -> (lat, lon, km), or None."""
    parts = text.split()
    if len(parts) != 2:
        return None
    centre = _coord(parts[0])
    try:
        radius = float(parts[1])
    except ValueError:
        return None
    if centre is None or not math.isfinite(radius) or radius < 0:
        return None
    return centre[0], centre[1], radius


def parse_references(text: str) -> list[tuple[str, str, str]]:
    refs = []
    for chunk in text.split():
        parts = chunk.split(",")
        if len(parts) == 3:
            refs.append((parts[0], parts[1], parts[2]))
    return refs


def _area(el, ns: str) -> CapArea:
    area = CapArea(desc=_t(el, ns, "areaDesc"))
    for poly in _all(el, ns, "polygon"):
        points = parse_polygon("".join(poly.itertext()))
        if points:
            area.polygons.append(points)
    for circ in _all(el, ns, "circle"):
        circle = parse_circle("".join(circ.itertext()))
        if circle:
            area.circles.append(circle)
    for geo in _all(el, ns, "geocode"):
        name, value = _t(geo, ns, "valueName"), _t(geo, ns, "value")
        if value:
            area.geocodes.append((name, value))
    return area


def _info(el, ns: str) -> CapInfo:
    return CapInfo(
        language=_t(el, ns, "language") or "en-US",
        event=_t(el, ns, "event"),
        urgency=_t(el, ns, "urgency") or "Unknown",
        severity=_t(el, ns, "severity") or "Unknown",
        certainty=_t(el, ns, "certainty") or "Unknown",
        categories=[c for c in (plain_text(x.text) for x in _all(el, ns, "category")) if c],
        headline=_t(el, ns, "headline"),
        description=_t(el, ns, "description", paragraphs=True),
        instruction=_t(el, ns, "instruction", paragraphs=True),
        effective=parse_datetime(_t(el, ns, "effective")),
        onset=parse_datetime(_t(el, ns, "onset")),
        expires=parse_datetime(_t(el, ns, "expires")),
        sender_name=_t(el, ns, "senderName"),
        web=safe_url(_t(el, ns, "web")),
        contact=_t(el, ns, "contact"),
        areas=[_area(a, ns) for a in _all(el, ns, "area")],
    )


def parse_cap(root, *, source_name: str | None = None) -> CapAlert:
    ns = _ns(root)
    identifier = _t(root, ns, "identifier")
    sender = _t(root, ns, "sender")
    if not identifier or not sender:
        raise FeedRefused(
            "CAP 경보에 identifier 또는 sender가 없습니다 (CAP alert without identifier/sender)"
        )
    sent_raw = _t(root, ns, "sent")
    infos = [_info(i, ns) for i in _all(root, ns, "info")]
    return CapAlert(
        identifier=identifier,
        sender=sender,
        sent=parse_datetime(sent_raw),
        sent_raw=sent_raw,
        status=_t(root, ns, "status"),
        msg_type=_t(root, ns, "msgType"),
        scope=_t(root, ns, "scope"),
        source=source_name
        or _t(root, ns, "source")
        or (infos[0].sender_name if infos else "")
        or sender,
        note=_t(root, ns, "note", paragraphs=True),
        references=parse_references(_t(root, ns, "references")),
        infos=infos,
    )
