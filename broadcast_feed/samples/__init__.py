"""Sample feeds shipped for the embedded demo (no internet needed).

``make run`` can ingest ``demo_documents()``: the district press-release RSS,
the community Atom feed and a CAP cold-wave warning whose times are shifted
so that it is active now (a real alert's times would have passed).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from broadcast_feed.items import District
from broadcast_feed.text import SEOUL

HERE = Path(__file__).parent
RSS = HERE / "mapo_press_rss.xml"
ATOM = HERE / "mapo_community_atom.xml"
CAP = HERE / "mapo_cold_wave_cap.xml"

# The demo district: Mapo-gu office (서울특별시 마포구 월드컵로 212) as its centre.
DEMO_DISTRICT = District(
    names=["마포구", "서울특별시 마포구", "Mapo-gu"],
    centre=(37.5663, 126.9019),
    geocodes=["1144000000"],
)

_CAP_TIME = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
_SENT = re.compile(rb"<sent>([^<]+)</sent>")


def shift_cap_times(data: bytes, now: datetime) -> bytes:
    """Move every CAP dateTime by the same amount so that ``<sent>`` becomes ``now``."""
    match = _SENT.search(data)
    if not match:
        return data
    sent = datetime.fromisoformat(match.group(1).decode())
    delta = now.astimezone(SEOUL).replace(microsecond=0) - sent

    def move(m: re.Match) -> bytes:
        moved = datetime.fromisoformat(m.group(0).decode()) + delta
        return moved.astimezone(SEOUL).isoformat().encode()

    return _CAP_TIME.sub(move, data)


def demo_documents(now: datetime | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) for each sample, the CAP alert made current."""
    now = now or datetime.now(SEOUL)
    return [
        (RSS.name, RSS.read_bytes()),
        (ATOM.name, ATOM.read_bytes()),
        (CAP.name, shift_cap_times(CAP.read_bytes(), now)),
    ]
