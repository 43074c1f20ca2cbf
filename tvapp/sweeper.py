"""``python -m tvapp.sweeper``: the periodic sweep with every part's periodic
work wired in. services.sweeper is the generic loop (re-queueing lost
requests); the parts above services register their tasks here, where the
application is assembled (news polling, scheduled publish and expiry)."""

from __future__ import annotations

import sys

from broadcast_feed.tasks import news_tick
from services.sweeper import PERIODIC, main


def wire() -> list:
    if news_tick not in PERIODIC:
        PERIODIC.append(news_tick)
    return PERIODIC


wire()

if __name__ == "__main__":
    sys.exit(main())
