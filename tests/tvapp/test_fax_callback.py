"""Signed HTTP fax API callbacks reach the fax job; forged ones do not."""

import json

import pytest

from fax_bridge.transports.http_api import SIGNATURE_HEADER, HttpFaxApiTransport, sign_callback
from services.core.config import ConfigError, load_config


def test_callbacks_are_refused_without_an_http_fax_transport(client):
    assert client.post("/gateway/fax/callback", data=b"{}").status_code == 404


def test_forged_and_unsigned_callbacks_are_refused(client, runtime, monkeypatch):
    monkeypatch.setattr(runtime.config, "FAX_TRANSPORT", "http")
    monkeypatch.setattr(runtime.config, "FAX_API_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(runtime.config, "FAX_CALLBACK_SECRET", "s3cret")
    body = json.dumps({"id": "x", "status": "delivered"}).encode()
    assert client.post("/gateway/fax/callback", data=body).status_code == 403
    forged = sign_callback(b"wrong", body)
    r = client.post("/gateway/fax/callback", data=body, headers={SIGNATURE_HEADER: forged})
    assert r.status_code == 403
    good = sign_callback(b"s3cret", body)
    r = client.post("/gateway/fax/callback", data=body, headers={SIGNATURE_HEADER: good})
    assert r.status_code == 200  # accepted (an unknown job changes nothing)


def test_a_callback_signed_with_the_empty_key_is_refused(client, runtime, monkeypatch):
    """Issue 19 item 4: FAX_TRANSPORT=http with FAX_CALLBACK_SECRET unset."""
    monkeypatch.setattr(runtime.config, "FAX_TRANSPORT", "http")
    monkeypatch.setattr(runtime.config, "FAX_API_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(runtime.config, "FAX_CALLBACK_SECRET", "")
    body = json.dumps({"id": "x", "status": "delivered", "key": "20261121-000123:1"}).encode()
    r = client.post("/gateway/fax/callback", data=body, headers={SIGNATURE_HEADER: sign_callback(b"", body)})
    assert r.status_code == 403


def test_callbacks_name_jobs_only_by_an_unguessable_key():
    transport = HttpFaxApiTransport("http://127.0.0.1:9", "k", callback_url="http://127.0.0.1:9/cb",
                                    callback_secret=b"s3cret")
    guessable = "20261121-000123:1"  # a receipt number and an attempt count
    wire = transport.wire_key(guessable)
    assert wire.startswith(guessable + ".") and len(wire) > len(guessable) + 30

    def callback(key):
        body = json.dumps({"id": "p-1", "status": "delivered", "key": key}).encode()
        return transport.parse_callback(body, {SIGNATURE_HEADER: sign_callback(b"s3cret", body)})

    assert callback(wire).key == guessable
    assert callback(guessable).key == ""  # names no job
    assert callback(guessable + ".0123456789abcdef0123456789abcdef").key == ""
    other = HttpFaxApiTransport("http://127.0.0.1:9", "k", callback_secret=b"other")
    assert other.wire_key(guessable) != wire


def test_production_refuses_to_start_without_the_callback_secret(monkeypatch):
    for name, value in (("TVGOV_ENV", "production"), ("SECRET_KEY", "s" * 40), ("PII_KEY", "p" * 40),
                        ("REDIS_URL", "redis://127.0.0.1:9/0"), ("BACKEND_URL", "http://127.0.0.1:9"),
                        ("FAX_TRANSPORT", "http"), ("FAX_API_URL", "http://127.0.0.1:9")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FAX_CALLBACK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="FAX_CALLBACK_SECRET"):
        load_config()
    monkeypatch.setenv("FAX_CALLBACK_SECRET", "c" * 40)
    assert load_config().is_production
