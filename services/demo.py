"""Demo set-up for the embedded default: mirror the demo households from the
reference back end (idempotent)."""

from __future__ import annotations

import logging

from services.households import sync_household

log = logging.getLogger(__name__)


def demo_household_codes(config) -> list[str]:
    """``Config.DEMO_HOUSEHOLDS``: household codes, comma-separated."""
    raw = config.DEMO_HOUSEHOLDS or ""
    return [c.strip() for c in raw.split(",") if c.strip()]


def seed(runtime) -> int:
    n = 0
    with runtime.session() as s:
        for code in demo_household_codes(runtime.config):
            sync_household(s, runtime, code)
            n += 1
    log.info("demo households mirrored: %d", n)
    return n
