"""A sandbox fax line for the embedded default (a phone network cannot exist
on this machine): it plays the fax server of the spool folder format
(docs/fax-spool.md), taking each new job folder, "dialling", sending page by
page at a fax line's pace, and writing status.json as a real server would.

Scripted outcomes by number, for demos and tests: a number ending in 0000
is busy, 0001 does not answer, 0002 drops the call on page 2. Everything else
is delivered.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


def _write_status(folder: Path, **fields) -> None:
    fields = dict({"version": 1, "reason": "", "updated_at": datetime.now(timezone.utc).isoformat()}, **fields)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(fields, f)
    os.replace(tmp, folder / "status.json")


class SpoolLine:
    def __init__(self, root: str | Path, page_seconds: float = 2.0):
        self.out = Path(root) / "outgoing"
        self.page_seconds = page_seconds
        self._busy: dict[str, dict] = {}

    def _status(self, folder: Path) -> dict | None:
        try:
            return json.loads((folder / "status.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def tick(self) -> None:
        """Advance every job folder by at most one state; call it periodically."""
        if not self.out.exists():
            return
        now = time.monotonic()
        for folder in sorted(self.out.iterdir()):
            st = self._status(folder)
            if st and st["status"] in ("delivered", "busy", "no_answer", "failed", "cancelled"):
                continue
            try:
                job = json.loads((folder / "job.json").read_text())
            except (FileNotFoundError, ValueError):
                continue
            if (folder / "cancel").exists():
                _write_status(folder, status="cancelled", page=0, pages_sent=st.get("pages_sent", 0) if st else 0)
                continue
            state = self._busy.setdefault(folder.name, {"next": now})
            if now < state["next"]:
                continue
            state["next"] = now + self.page_seconds
            number, first, pages = job["number"], job.get("first_page", 1), job["pages"]
            if st is None:
                _write_status(folder, status="dialing", page=0, pages_sent=first - 1)
                continue
            if st["status"] == "dialing":
                if number.endswith("0000"):
                    _write_status(folder, status="busy", page=0, pages_sent=first - 1, reason="busy signal")
                elif number.endswith("0001"):
                    _write_status(folder, status="no_answer", page=0, pages_sent=first - 1, reason="no answer")
                else:
                    _write_status(folder, status="sending", page=first, pages_sent=first - 1)
                continue
            page = st.get("page", first)
            if number.endswith("0002") and page == 2 and first == 1:
                _write_status(folder, status="failed", page=2, pages_sent=1, reason="call dropped on page 2")
            elif page >= pages:
                _write_status(folder, status="delivered", page=pages, pages_sent=pages)
            else:
                _write_status(folder, status="sending", page=page + 1, pages_sent=page)
