"""Email-to-fax gateway: SMTP to ``<number>@<gateway domain>`` with the fax attached.

Gateways answer (if at all) with a confirmation email some time later, which
this transport does not read: an attempt ends as ``handed_off`` once the relay
accepted the message. SMTP has no idempotency, so the lifecycle never submits
the same attempt twice through this transport; the ``Message-ID`` derives from
the attempt key so a gateway that deduplicates on it can.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from ..errors import TransportError
from .base import FaxTransport, Phase, StatusUpdate, SubmitRequest

__all__ = ["EmailGatewayTransport"]


class EmailGatewayTransport(FaxTransport):
    """Send each attempt as one email to the gateway."""

    name = "email_gateway"
    idempotent_submit = False

    def __init__(self, host: str, port: int = 25, *, domain: str, sender: str,
                 attach: str = "tiff", starttls: bool = False, username: str = "",
                 password: str = "", timeout: float = 30.0, subject: str = "FAX") -> None:
        if attach not in ("tiff", "pdf"):
            raise ValueError("attach must be 'tiff' or 'pdf'")
        self.host = host
        self.port = port
        self.domain = domain
        self.sender = sender
        self.attach = attach
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.subject = subject

    def message(self, request: SubmitRequest) -> EmailMessage:
        """The email for one attempt (To: ``<digits>@<domain>``)."""
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = "%s@%s" % (request.number.digits, self.domain)
        msg["Subject"] = "%s %s" % (self.subject, request.key)
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = "<%s@fax_bridge>" % hashlib.sha256(request.key.encode()).hexdigest()[:32]
        msg.set_content("Fax of %d page(s), %s resolution.\n" % (
            request.pages, "fine" if request.fine else "normal"))
        if self.attach == "pdf" and request.pdf:
            msg.add_attachment(request.pdf, maintype="application", subtype="pdf",
                               filename="fax.pdf")
        else:
            msg.add_attachment(request.tiff, maintype="image", subtype="tiff", filename="fax.tif")
        return msg

    def _submit(self, request: SubmitRequest) -> str:
        msg = self.message(request)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError("gateway refused the recipient", transient=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError("SMTP relay failed: %s" % exc.__class__.__name__) from exc
        if refused:
            raise TransportError("gateway refused the recipient", transient=False)
        return msg["Message-ID"].strip("<>")

    def _status(self, provider_id: str) -> StatusUpdate:
        return StatusUpdate(provider_id, Phase.HANDED_OFF, reason="accepted by the email gateway")

    def _cancel(self, provider_id: str) -> bool:
        return False
