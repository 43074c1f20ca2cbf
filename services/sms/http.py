"""A generic HTTP SMS gateway: JSON out (signed), JSON webhooks in (signed).

Both directions carry ``X-Timestamp`` and ``X-Signature: sha256=<hex>``, an
HMAC-SHA256 over ``timestamp + "." + body`` with the shared secret. A
receiver refuses a signature older than five minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from services import phones
from services.sms.base import GatewayError, SmsGateway

MAX_SKEW = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict:
    ts = str(int(now if now is not None else time.time()))
    return {"Content-Type": "application/json", "X-Timestamp": ts,
            "X-Signature": signature(secret, ts, body)}


def verify(secret: str, timestamp: str | None, sig: str | None, body: bytes,
           now: float | None = None) -> bool:
    if not secret or not timestamp or not sig:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - ts) > MAX_SKEW:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sig)


class HttpGateway(SmsGateway):
    name = "http"

    def __init__(self, config, session: requests.Session | None = None):
        if not config.SMS_HTTP_URL or not config.SMS_HTTP_SECRET:
            raise GatewayError("SMS_GATEWAY=http needs SMS_HTTP_URL and SMS_HTTP_SECRET")
        self.url = config.SMS_HTTP_URL
        self.secret = config.SMS_HTTP_SECRET
        self.sender = config.SMS_SERVICE_NUMBER
        self.status_url = config.PUBLIC_URL.rstrip("/") + "/gateway/sms/status"
        self.http = session or requests

    def send(self, to: str, body: str, message_id: int) -> str:
        payload = json.dumps({"from": phones.national_digits(self.sender) or self.sender,
                              "to": phones.national_digits(to) or to, "text": body, "reference": str(message_id),
                              "status_url": self.status_url}, ensure_ascii=False).encode()
        try:
            resp = self.http.post(self.url, data=payload, headers=signed_headers(self.secret, payload),
                                  timeout=10)
        except requests.RequestException as exc:
            raise GatewayError("sms http gateway unreachable: %s" % type(exc).__name__) from exc
        if 200 <= resp.status_code < 300:
            return "sent"
        raise GatewayError("sms http gateway refused: HTTP %d" % resp.status_code)
