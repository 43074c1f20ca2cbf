"""Fax delivery through fax_bridge: the host side.

- ``FAX_TRANSPORT``: ``spool`` (embedded default, ``VAR_DIR/fax/spool``),
  ``hylafax`` (``FAX_HYLAFAX_HOST``, ``FAX_HYLAFAX_PORT``), ``email``
  (email-to-fax gateway: ``FAX_EMAIL_DOMAIN`` over ``SMTP_URL``) or ``http``
  (``FAX_API_URL``, ``FAX_API_KEY``, ``FAX_CALLBACK_SECRET``; callbacks to
  ``/gateway/fax/callback``).
- Jobs live in fax_bridge's SQLite store, with the recipient number
  encrypted (``EncryptedFaxStore``).
- ``python -m services.fax_worker`` runs the dispatcher; its events become
  the request's timeline ("2/3 페이지 전송 중").
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from fax_bridge import (
    EmailGatewayTransport,
    FaxDispatcher,
    FaxNumberPolicy,
    HttpFaxApiTransport,
    HylaFaxTransport,
    RetryPolicy,
    SpoolTransport,
    SqliteJobStore,
)
from fax_bridge.store import FaxJob


class EncryptedFaxStore(SqliteJobStore):
    """fax_bridge's SQLite store with the recipient number encrypted at rest."""

    def __init__(self, path: str, crypto) -> None:
        self.crypto = crypto
        super().__init__(path)

    def _job(self, row) -> FaxJob:  # type: ignore[override]
        job = SqliteJobStore._job(row)
        if job.number.startswith("gAAAA"):
            job.number = self.crypto.decrypt(job.number)
        return job

    def _write_job(self, job: FaxJob) -> None:
        stored = dataclasses.replace(job, number=self.crypto.encrypt(job.number))
        super()._write_job(stored)


def fax_dir(config) -> Path:
    d = Path(config.VAR_DIR) / "fax"
    d.mkdir(parents=True, exist_ok=True)
    return d


def store_for(runtime) -> EncryptedFaxStore:
    return EncryptedFaxStore(str(fax_dir(runtime.config) / "jobs.sqlite3"), runtime.crypto)


def transport_for(config):
    kind = os.environ.get("FAX_TRANSPORT", "spool")
    if kind == "spool":
        return SpoolTransport(os.environ.get("FAX_SPOOL_DIR") or str(fax_dir(config) / "spool"))
    if kind == "hylafax":
        return HylaFaxTransport(os.environ.get("FAX_HYLAFAX_HOST", "127.0.0.1"),
                                int(os.environ.get("FAX_HYLAFAX_PORT", "4559")),
                                user=os.environ.get("FAX_HYLAFAX_USER"),
                                password=os.environ.get("FAX_HYLAFAX_PASSWORD", ""))
    if kind == "email":
        from urllib.parse import urlparse

        u = urlparse(os.environ.get("SMTP_URL", "smtp://127.0.0.1:25"))
        return EmailGatewayTransport(u.hostname or "127.0.0.1", u.port or 25,
                                     domain=os.environ["FAX_EMAIL_DOMAIN"],
                                     sender=os.environ.get("MAIL_FROM", "no-reply@tvgov.local"))
    if kind == "http":
        return HttpFaxApiTransport(os.environ["FAX_API_URL"], os.environ.get("FAX_API_KEY", ""),
                                   callback_url=os.environ.get("FAX_CALLBACK_URL", ""),
                                   callback_secret=os.environ.get("FAX_CALLBACK_SECRET", "").encode())
    raise ValueError("FAX_TRANSPORT must be spool, hylafax, email or http")


def retry_policy() -> RetryPolicy:
    fields = {f.name for f in dataclasses.fields(RetryPolicy)}
    kw = {}
    for name in fields:
        env = os.environ.get("FAX_RETRY_" + name.upper())
        if env is not None:
            kw[name] = type(getattr(RetryPolicy(), name))(env)
    return RetryPolicy(**kw)


def policy() -> FaxNumberPolicy:
    return FaxNumberPolicy()


def dispatcher_for(runtime, on_event=None, store=None) -> FaxDispatcher:
    return FaxDispatcher(store or store_for(runtime), transport_for(runtime.config),
                         lines=int(os.environ.get("FAX_LINES", "2")), retry=retry_policy(),
                         on_event=on_event, poll_interval=float(os.environ.get("FAX_POLL", "1.0")))
