"""Email delivery: SMTP to a configured relay, or ``.eml`` files in a local
outbox folder (the embedded default).

``SMTP_URL`` (``Config``): ``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587``
or ``smtps://user:pass@host:465``. Unset: ``VAR_DIR/outbox/email``. The runtime
builds the mailer once (``runtime.mailer``).

The Message-ID is derived from the request, so a retried job sends a message
with the same identity, and the outbox writes one file per Message-ID.
4xx answers are temporary (retried); 5xx and refusals are permanent.

SMTP itself has no idempotency: a process that dies after the relay's
"250 OK" and before it has recorded the send cannot know the message left,
and the retry sends it again (at least once, never lost). ``send`` calls
``on_accepted`` the moment the relay has taken the message, before QUIT, so
the caller records it with as little time as possible in between; a copy
that still slips through carries the same Message-ID and document, and
mail systems take copies with one Message-ID as one message.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import tempfile
from abc import ABC, abstractmethod
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from services.core.errors import AppError

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$")


class EmailTemporaryError(AppError):
    """Try again later (4xx, connection refused, timeout)."""

    status_code = 503


class EmailPermanentError(AppError):
    """The message cannot be delivered to that address (5xx, refused)."""

    status_code = 422


def valid_address(address: str) -> bool:
    """A plain address, with no display name and nothing a header could be injected with."""
    # fullmatch: with match(), "$" also matched before a final "\n", and a To
    # header ending in a newline ends the header block (the rest became body).
    return bool(address) and len(address) <= 254 and EMAIL_RE.fullmatch(address) is not None


class Mailer(ABC):
    name = "base"

    @abstractmethod
    def send(self, msg: EmailMessage, on_accepted: Callable[[], None] | None = None) -> None:
        """Send ``msg``; ``on_accepted()`` runs as soon as it has been taken, before
        the connection closes (its exceptions propagate, the message is sent)."""


class OutboxMailer(Mailer):
    name = "outbox"

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def send(self, msg: EmailMessage, on_accepted: Callable[[], None] | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", msg["Message-ID"].strip("<>")) + ".eml"
        target = self.folder / name
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(msg.as_bytes())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        if on_accepted is not None:
            on_accepted()


class SmtpMailer(Mailer):
    name = "smtp"

    def __init__(self, url: str, timeout: float = 20.0):
        u = urlparse(url)
        self.scheme = u.scheme
        self.host = u.hostname or "localhost"
        self.port = u.port or {"smtps": 465, "smtp+starttls": 587}.get(u.scheme, 25)
        self.user = unquote(u.username) if u.username else None
        self.password = unquote(u.password) if u.password else None
        self.timeout = timeout

    def send(self, msg: EmailMessage, on_accepted: Callable[[], None] | None = None) -> None:
        smtp = None
        try:
            try:
                cls = smtplib.SMTP_SSL if self.scheme == "smtps" else smtplib.SMTP
                smtp = cls(self.host, self.port, timeout=self.timeout)
                if self.scheme == "smtp+starttls":
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if all(400 <= c < 500 for c in codes):
                    raise EmailTemporaryError("recipient deferred %s" % codes) from exc
                raise EmailPermanentError("recipient refused %s" % codes) from exc
            except smtplib.SMTPResponseException as exc:
                if 400 <= exc.smtp_code < 500:
                    raise EmailTemporaryError("SMTP %d" % exc.smtp_code) from exc
                raise EmailPermanentError("SMTP %d" % exc.smtp_code) from exc
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError, socket.timeout) as exc:
                raise EmailTemporaryError(type(exc).__name__) from exc
            # The relay has the message: record it before anything else (QUIT included).
            if on_accepted is not None:
                on_accepted()
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()


def mailer_for(config) -> Mailer:
    url = getattr(config, "SMTP_URL", None)
    if url:
        return SmtpMailer(url)
    return OutboxMailer(Path(config.VAR_DIR) / "outbox" / "email")


def build_message(*, to: str, subject: str, body: str, message_id: str, sender: str,
                  sender_name: str, attachments: list[tuple[str, bytes, str]], when) -> EmailMessage:
    if not valid_address(to):
        raise EmailPermanentError("invalid address")
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(when)
    msg.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg
