"""Plain dataclasses that parsing produces and storage consumes.

Nothing here knows about the database: the storage layer maps these onto its
own rows. ``key`` is the deduplication key within one source and
``fingerprint()`` changes exactly when the stored copy should be updated.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

SEVERE_LEVELS = frozenset({"Severe", "Extreme"})


def _digest(obj) -> str:
    raw = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class FeedItem:
    """One news item from RSS or Atom, normalised for the TV."""

    guid: str  # the feed's guid/id, or a stable stand-in (see parsing._stable_guid)
    title: str
    summary: str  # plain text, one paragraph, short
    body: str  # plain text; paragraphs separated by a blank line
    published: datetime | None  # aware, Asia/Seoul
    source: str  # the feed's (or operator's) name for the source
    category: str | None = None
    categories: list[str] = field(default_factory=list)
    image_url: str | None = None
    link: str | None = None
    author: str | None = None
    updated: datetime | None = None

    kind = "item"

    @property
    def key(self) -> str:
        return self.guid

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("source", None)
        return _digest(data)

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("published", "updated"):
            data[name] = data[name].isoformat() if data[name] else None
        data["kind"] = self.kind
        return data


@dataclass
class CapArea:
    desc: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # (lat, lon)
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # lat, lon, km
    geocodes: list[tuple[str, str]] = field(default_factory=list)  # (valueName, value)

    def contains(self, lat: float, lon: float) -> bool:
        for poly in self.polygons:
            if point_in_polygon(lat, lon, poly):
                return True
        for clat, clon, radius in self.circles:
            if haversine_km(lat, lon, clat, clon) <= radius:
                return True
        return False


@dataclass
class CapInfo:
    language: str
    event: str
    urgency: str
    severity: str
    certainty: str
    categories: list[str] = field(default_factory=list)
    headline: str = ""
    description: str = ""
    instruction: str = ""
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    web: str | None = None
    contact: str = ""
    areas: list[CapArea] = field(default_factory=list)


@dataclass
class District:
    """The district the TV service belongs to, as CAP matching needs it.

    ``names`` are matched against areaDesc as whole words ("마포구",
    "서울특별시 마포구", "Mapo-gu"); ``geocodes`` are values (optionally
    "valueName=value"); a value ending in ``*`` matches by prefix.
    """

    names: list[str]
    centre: tuple[float, float] | None = None  # (lat, lon)
    geocodes: list[str] = field(default_factory=list)


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent: datetime | None
    status: str
    msg_type: str
    scope: str
    source: str = ""
    note: str = ""
    references: list[tuple[str, str, str]] = field(default_factory=list)  # sender, id, sent
    infos: list[CapInfo] = field(default_factory=list)
    sent_raw: str = ""

    kind = "cap"

    @property
    def key(self) -> str:
        """CAP's own reference form: ``sender,identifier,sent``."""
        return "%s,%s,%s" % (self.sender, self.identifier, self.sent_raw)

    @property
    def guid(self) -> str:
        return self.key

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("source", None)
        return _digest(data)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["kind"] = self.kind
        return json.loads(json.dumps(data, ensure_ascii=False, default=_jsonable))

    # -- the info block to show -------------------------------------------
    def info_for(self, language: str = "ko-KR") -> CapInfo | None:
        """The info block in ``language``, else same primary language, else the first."""
        if not self.infos:
            return None
        want = language.lower()
        for info in self.infos:
            if info.language.lower() == want:
                return info
        primary = want.split("-")[0]
        for info in self.infos:
            if info.language.lower().split("-")[0] == primary:
                return info
        return self.infos[0]

    @property
    def info(self) -> CapInfo | None:
        return self.info_for("ko-KR")

    def _get(self, name: str, default=""):
        info = self.info
        return getattr(info, name) if info is not None else default

    event = property(lambda self: self._get("event"))
    urgency = property(lambda self: self._get("urgency"))
    severity = property(lambda self: self._get("severity"))
    certainty = property(lambda self: self._get("certainty"))
    headline = property(lambda self: self._get("headline"))
    description = property(lambda self: self._get("description"))
    instruction = property(lambda self: self._get("instruction"))
    effective = property(lambda self: self._get("effective", None))
    onset = property(lambda self: self._get("onset", None))
    expires = property(lambda self: self._get("expires", None))

    @property
    def areas(self) -> list[CapArea]:
        """Areas of every info block (languages usually repeat the same areas)."""
        return [area for info in self.infos for area in info.areas]

    # -- decisions the workflow needs -------------------------------------
    @property
    def is_severe(self) -> bool:
        """Severity Severe or Extreme in any info block."""
        return any(info.severity in SEVERE_LEVELS for info in self.infos)

    def concerns(self, district: District) -> bool:
        """True if any area names the district, carries its geocode, or covers its centre."""
        for area in self.areas:
            if _names_match(area.desc, district.names):
                return True
            if _geocode_match(area.geocodes, district.geocodes):
                return True
            if district.centre is not None and area.contains(*district.centre):
                return True
        return False

    def is_expired(self, now: datetime) -> bool:
        expiries = [info.expires for info in self.infos if info.expires is not None]
        return bool(expiries) and max(expiries) <= now

    def ticker_candidate(self, district: District, now: datetime) -> bool:
        """An actual, severe, unexpired alert for the district (not a Cancel)."""
        return (
            self.status == "Actual"
            and self.msg_type in ("Alert", "Update")
            and self.is_severe
            and not self.is_expired(now)
            and self.concerns(district)
        )


def _squash(text: str) -> str:
    return "".join(text.split()).lower()


def _names_match(area_desc: str, names: list[str]) -> bool:
    desc = " " + " ".join(area_desc.replace(",", " , ").split()).lower() + " "
    squashed = _squash(area_desc)
    for name in names:
        name_n = " ".join(name.split()).lower()
        if not name_n:
            continue
        idx = desc.find(name_n)
        while idx != -1:
            before = desc[idx - 1] if idx > 0 else " "
            after_i = idx + len(name_n)
            after = desc[after_i] if after_i < len(desc) else " "
            if not before.isalnum() and not after.isalnum():
                return True
            idx = desc.find(name_n, idx + 1)
        if " " in name_n and _squash(name_n) in squashed:
            return True  # "서울특별시 마포구" written as "서울특별시마포구"
    return False


def _geocode_match(geocodes: list[tuple[str, str]], wanted: list[str]) -> bool:
    for spec in wanted:
        vname, _, value = spec.rpartition("=")
        for gname, gvalue in geocodes:
            if vname and vname != gname:
                continue
            if value.endswith("*"):
                if gvalue.startswith(value[:-1]):
                    return True
            elif gvalue == value:
                return True
    return False


def point_in_polygon(lat: float, lon: float, poly: list[tuple[float, float]]) -> bool:
    """Ray casting on (lat, lon) pairs; fine at district scale, edges count as inside."""
    inside = False
    n = len(poly)
    if n < 3:
        return False
    j = n - 1
    for i in range(n):
        yi, xi = poly[i]
        yj, xj = poly[j]
        # on an edge?
        cross = (lon - xi) * (yj - yi) - (lat - yi) * (xj - xi)
        if (
            abs(cross) < 1e-12
            and min(xi, xj) <= lon <= max(xi, xj)
            and min(yi, yj) <= lat <= max(yi, yj)
        ):
            return True
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _jsonable(obj):
    return obj.isoformat() if isinstance(obj, datetime) else str(obj)
