"""Signed HTTP fax API callbacks reach the fax job; forged ones do not."""

import json

from fax_bridge.transports.http_api import SIGNATURE_HEADER, sign_callback


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
