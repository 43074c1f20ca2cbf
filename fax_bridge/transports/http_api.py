"""HTTP fax API: submit with ``requests``, follow by signed callbacks (and polling).

The protocol (what :mod:`fax_bridge.testing.fax_server` implements, and what
an adapter for a commercial provider maps to):

``POST {base}/faxes`` multipart: ``file`` (TIFF), fields ``to`` (digits),
``pages``, ``first_page``, ``resolution`` (fine/normal), ``callback_url``;
headers ``Authorization: Bearer <key>`` and ``Idempotency-Key: <attempt key>``
(the same key returns the same fax, it is never dialled twice).
Answer ``201`` (or ``200`` for a repeated key) ``{"id": ..., "status": ...}``.

``GET {base}/faxes/<id>`` answers ``{"id", "status", "page", "pages_sent",
"pages", "reason", "key"}``; ``DELETE {base}/faxes/<id>`` cancels.

Callbacks: ``POST <callback_url>`` with the same JSON as ``GET`` and header
``X-Fax-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>``.
They can arrive twice and out of order; the lifecycle only moves forward.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace

import requests

from ..errors import CallbackRejected, TransportError
from .base import FaxTransport, Phase, StatusUpdate, SubmitRequest

__all__ = ["HttpFaxApiTransport", "sign_callback", "verify_callback", "SIGNATURE_HEADER"]

SIGNATURE_HEADER = "X-Fax-Signature"


def sign_callback(secret: bytes, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Fax-Signature`` header value for a callback body."""
    t = int(time.time() if timestamp is None else timestamp)
    mac = hmac.new(secret, b"%d." % t + body, hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def verify_callback(secret: bytes, body: bytes, header: str | None, *, tolerance: int = 300,
                    now: float | None = None) -> StatusUpdate:
    """Check a callback's signature and age, and parse it.

    Raises :class:`CallbackRejected` for a missing or wrong signature, a
    timestamp further than ``tolerance`` seconds from now, or a bad body.
    """
    if not header:
        raise CallbackRejected("callback without signature")
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise CallbackRejected("malformed signature header") from exc
    expected = hmac.new(secret, b"%d." % t + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise CallbackRejected("bad callback signature")
    if abs((time.time() if now is None else now) - t) > tolerance:
        raise CallbackRejected("callback timestamp outside tolerance")
    try:
        return _parse(json.loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise CallbackRejected("malformed callback body") from exc


def _parse(data: dict) -> StatusUpdate:
    return StatusUpdate(
        provider_id=str(data["id"]),
        phase=Phase(data["status"]),
        page=int(data.get("page") or 0),
        pages_sent=int(data.get("pages_sent") or 0),
        pages=int(data.get("pages") or 0),
        reason=str(data.get("reason") or ""),
        key=str(data.get("key") or ""),
    )


class HttpFaxApiTransport(FaxTransport):
    """Client of an HTTP fax API (see the module docstring for the protocol)."""

    name = "http_api"
    pushes_status = True
    idempotent_submit = True
    supports_resume = True

    def __init__(self, base_url: str, api_key: str, *, callback_url: str = "",
                 callback_secret: bytes = b"", timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.callback_url = callback_url
        self.callback_secret = callback_secret
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = "Bearer %s" % api_key
        self.pushes_status = bool(callback_url)

    def _check(self, response: requests.Response) -> dict:
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError("fax API answered %d" % response.status_code, transient=True)
        if response.status_code >= 400:
            raise TransportError("fax API refused: %d" % response.status_code, transient=False)
        return response.json()

    # The provider knows an attempt by ``<attempt key>.<token>``: the token is an
    # HMAC of the attempt key under the callback secret, so a callback can name
    # a job only by a key nobody without the secret can make (an attempt key
    # alone is a receipt number and a count: guessable).
    def wire_key(self, key: str) -> str:
        token = hmac.new(self.callback_secret, b"fax-key." + key.encode(), hashlib.sha256).hexdigest()[:32]
        return "%s.%s" % (key, token)

    def _attempt_key(self, wire: str) -> str:
        key, _, _token = wire.rpartition(".")
        return key if key and hmac.compare_digest(self.wire_key(key), wire) else ""

    def _own(self, update: StatusUpdate) -> StatusUpdate:
        return replace(update, key=self._attempt_key(update.key))

    def _submit(self, request: SubmitRequest) -> str:
        response = self.session.post(
            self.base_url + "/faxes",
            headers={"Idempotency-Key": self.wire_key(request.key)},
            data={
                "to": request.number.digits,
                "pages": str(request.pages),
                "first_page": str(request.first_page),
                "resolution": "fine" if request.fine else "normal",
                "callback_url": self.callback_url,
            },
            files={"file": ("fax.tif", request.tiff, "image/tiff")},
            timeout=self.timeout,
        )
        return str(self._check(response)["id"])

    def _status(self, provider_id: str) -> StatusUpdate:
        response = self.session.get("%s/faxes/%s" % (self.base_url, provider_id), timeout=self.timeout)
        return self._own(_parse(self._check(response)))

    def _cancel(self, provider_id: str) -> bool:
        response = self.session.delete("%s/faxes/%s" % (self.base_url, provider_id),
                                       timeout=self.timeout)
        if response.status_code == 409:  # already finished
            return False
        self._check(response)
        return True

    def parse_callback(self, body: bytes, headers) -> StatusUpdate:
        """Verify and parse a callback request (``headers`` is any mapping)."""
        if not self.callback_secret:  # an empty key signs anything
            raise CallbackRejected("no callback secret is set (FAX_CALLBACK_SECRET)")
        header = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
        return self._own(verify_callback(self.callback_secret, body, header))

    def close(self) -> None:
        self.session.close()
