"""Spool folder transport: one folder per attempt that a fax server watches.

The embedded default. The format is documented in ``docs/fax-spool.md``:
``<root>/outgoing/<id>/`` holds ``fax.tif`` and ``job.json``; the fax server
writes ``status.json`` back into the folder; we ask for cancellation by
creating ``cancel``. A folder is prepared under ``<root>/tmp/`` and renamed
into ``outgoing/`` in one step, so the server never sees half a job, and its
name derives from the attempt key, so submitting the same attempt twice finds
the folder already there.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import TransportError
from .base import FaxTransport, Phase, StatusUpdate, SubmitRequest

__all__ = ["SpoolTransport", "SPOOL_VERSION", "write_status"]

SPOOL_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def folder_name(key: str) -> str:
    """A file-system-safe folder name for an attempt key, unique per key (never
    starting with a dot: no ``..``, and no hidden folder a fax server skips)."""
    safe = _UNSAFE.sub("_", key)[:80].lstrip(".")
    return "%s-%s" % (safe, hashlib.sha256(key.encode()).hexdigest()[:10])


def _write_json_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".%s." % path.name)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def write_status(folder: Path, status: str, *, page: int = 0, pages_sent: int = 0,
                 reason: str = "") -> None:
    """What a fax server does to report on a job (used by tests and simple servers)."""
    _write_json_atomic(Path(folder) / "status.json", {
        "version": SPOOL_VERSION, "status": status, "page": page, "pages_sent": pages_sent,
        "reason": reason, "updated_at": _dt.datetime.now(_dt.timezone.utc).isoformat()})


class SpoolTransport(FaxTransport):
    """Hand fax jobs to a fax server through a shared folder."""

    name = "spool"
    idempotent_submit = True
    supports_resume = True

    def __init__(self, root: str | os.PathLike[str], *, sender: str = "",
                 folder_mode: int = 0o750) -> None:
        self.root = Path(root)
        self.folder_mode = folder_mode
        self.outgoing = self.root / "outgoing"
        self.staging = self.root / "tmp"
        self.sender = sender
        self.outgoing.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)

    def folder(self, provider_id: str) -> Path:
        """The job folder of an attempt."""
        if not provider_id or provider_id.startswith(".") or _UNSAFE.search(provider_id):
            raise TransportError("bad spool id", transient=False)
        return self.outgoing / provider_id

    def _submit(self, request: SubmitRequest) -> str:
        name = folder_name(request.key)
        if (self.outgoing / name).is_dir():
            return name
        staging = Path(tempfile.mkdtemp(dir=self.staging, prefix=name + "."))
        try:
            (staging / "fax.tif").write_bytes(request.tiff)
            _write_json_atomic(staging / "job.json", {
                "version": SPOOL_VERSION,
                "id": name,
                "key": request.key,
                "number": request.number.digits,
                "pages": request.pages,
                "first_page": request.first_page,
                "resolution": "fine" if request.fine else "normal",
                "document": "fax.tif",
                "sender": request.sender or self.sender,
                "submitted_at": _dt.datetime.now(_dt.timezone.utc).isoformat(),
            })
            staging.chmod(self.folder_mode)  # the fax server's group reads it
            try:
                os.rename(staging, self.outgoing / name)
            except OSError:
                if (self.outgoing / name).is_dir():  # another worker published it first
                    return name
                raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return name

    def _status(self, provider_id: str) -> StatusUpdate:
        folder = self.folder(provider_id)
        if not folder.is_dir():
            return StatusUpdate(provider_id, Phase.FAILED, reason="job folder missing")
        job = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        try:
            data = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return StatusUpdate(provider_id, Phase.QUEUED, pages=job["pages"], key=job["key"])
        except ValueError:
            raise TransportError("unreadable status.json") from None
        return StatusUpdate(
            provider_id, Phase(data["status"]), page=int(data.get("page") or 0),
            pages_sent=int(data.get("pages_sent") or 0), pages=job["pages"],
            reason=str(data.get("reason") or ""), key=job["key"])

    def _cancel(self, provider_id: str) -> bool:
        folder = self.folder(provider_id)
        if not folder.is_dir():
            return False
        (folder / "cancel").touch()
        return True
