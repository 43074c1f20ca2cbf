"""Demo set-up for the embedded default: mirror the demo households from the
reference back end (idempotent)."""

from __future__ import annotations

import logging
import os

from services.households import sync_household

log = logging.getLogger(__name__)

DEMO_HOUSEHOLDS = ("1144012-0001", "1144012-0002", "1144012-0003")


def demo_household_codes() -> list[str]:
    raw = os.environ.get("DEMO_HOUSEHOLDS")
    return [c.strip() for c in raw.split(",") if c.strip()] if raw else list(DEMO_HOUSEHOLDS)


def seed(runtime) -> int:
    n = 0
    with runtime.session() as s:
        for code in demo_household_codes():
            sync_household(s, runtime, code)
            n += 1
    log.info("demo households mirrored: %d", n)
    return n
