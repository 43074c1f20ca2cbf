"""Kannel: mobile-terminated messages through smsbox's ``sendsms``.

Hangul goes as UTF-8 with ``coding=2`` (UCS-2 on the air); ``dlr-mask=19``
asks for the final states (1 delivered, 2 failed, 16 rejected by the SMSC);
numbers go as digits only (SMSCs expect no dashes); the ``dlr-url`` carries our message id and a signature so nobody else can
move a message's status.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests

from services import phones
from services.sms.base import GatewayError, SmsGateway

log = logging.getLogger(__name__)

DLR_MASK = 19


def dlr_signature(crypto, message_id: int) -> str:
    return crypto.keyed_hash("dlr:%d" % message_id, "sms-dlr")[:32]


class KannelGateway(SmsGateway):
    name = "kannel"

    def __init__(self, config, crypto, session: requests.Session | None = None):
        self.url = config.KANNEL_SENDSMS_URL
        self.user = config.KANNEL_USER
        self.password = config.KANNEL_PASS
        self.sender = config.SMS_SERVICE_NUMBER
        self.public_url = config.PUBLIC_URL.rstrip("/")
        self.crypto = crypto
        self.http = session or requests

    def dlr_url(self, message_id: int) -> str:
        # Kannel fills %d with the report type; the rest is ours.
        return "%s/gateway/kannel/dlr?%s&type=%%d" % (
            self.public_url, urlencode({"id": message_id, "sig": dlr_signature(self.crypto, message_id)}))

    def params(self, to: str, body: str, message_id: int) -> dict:
        return {
            "username": self.user, "password": self.password,
            "from": phones.national_digits(self.sender) or self.sender,
            "to": phones.national_digits(to) or to, "text": body,
            "charset": "UTF-8", "coding": 2,
            "dlr-mask": DLR_MASK, "dlr-url": self.dlr_url(message_id),
        }

    def send(self, to: str, body: str, message_id: int) -> str:
        try:
            resp = self.http.get(self.url, params=self.params(to, body, message_id), timeout=10)
        except requests.RequestException as exc:
            raise GatewayError("kannel unreachable: %s" % type(exc).__name__) from exc
        if resp.status_code in (200, 202):
            return "sent"
        raise GatewayError("kannel refused: HTTP %d" % resp.status_code)
