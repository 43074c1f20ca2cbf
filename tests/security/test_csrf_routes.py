"""Every form and API that changes something refuses a POST without a CSRF
token, and one with another session's token. The list comes from the app's
url_map, so a new route is covered the day it is added. Only machine
endpoints are exempt, and each of them is shown to be authenticated
otherwise (HMAC signature, fax API signature, caller address)."""

from __future__ import annotations

import json
import time

import pytest

from services.sms import http as sms_http
from tests.security.conftest import console_login, csrf_token
from tests.tvapp.test_tv_screens import pair

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Exempt from CSRF, and what authenticates them instead (proved below).
MACHINE = {"gateway.http_inbound", "gateway.http_status", "gateway.fax_callback",
           "gateway.kannel_mo"}  # Kannel's post-url (long texts); checked by the caller's address
EXPIRED_FORM = "화면을 너무 오래 띄워 두었습니다"


def unsafe_routes(app):
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted((rule.methods or set()) & UNSAFE):
            values = {a: 1 if "int" in type(rule._converters[a]).__name__.lower() else "tok-1"
                      for a in rule.arguments}
            yield rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)


def is_csrf_refusal(r) -> bool:
    body = r.get_data(as_text=True)
    return r.status_code == 400 and ("CSRF" in body or EXPIRED_FORM in body)


@pytest.fixture
def everyone(app, seeded, demo):
    """One browser that is a logged-in admin, a paired TV box and a phone that
    opened a form: each has a valid CSRF token in its session, so a refusal
    can only be about the token the request lacks."""
    c = console_login(app, "admin")
    pair(c, demo)
    csrf_token(c, "/console/sources")
    return c


def test_every_unsafe_route_needs_a_csrf_token(app, everyone):
    routes = list(unsafe_routes(app))
    assert len(routes) >= 30, "the url_map walk found too few routes"
    other = app.test_client()
    forged = csrf_token(other, "/console/login")  # valid, but of another session
    exempt = set()
    for endpoint, method, path in routes:
        data = {"text": "x", "value": "x", "use": "none", "lang": "en", "size": "large", "code": "123456",
                "resident_id": "1", "username": "admin", "password": "admin-demo-1234"}
        r = everyone.open(path, method=method, data=data)
        if not is_csrf_refusal(r):
            exempt.add(endpoint)
            continue
        r = everyone.open(path, method=method, data=dict(data, csrf_token=forged))
        assert is_csrf_refusal(r), (endpoint, "accepted another session's token", r.status_code)
        r = everyone.open(path, method=method, data=data, headers={"X-CSRFToken": forged})
        assert is_csrf_refusal(r), (endpoint, "accepted another session's token in the header")
    assert exempt == MACHINE, "CSRF-exempt routes that are not machine endpoints: %s" % (exempt - MACHINE)


def test_refused_posts_changed_nothing(app, everyone, demo):
    """Spot checks that a refused form really did nothing."""
    from broadcast_feed import store
    from services.models import Device, SmsMessage

    with demo.session() as s:
        sms_before = s.query(SmsMessage).count()
        paired = s.query(Device).filter(Device.household_id.is_not(None)).count()
        operators = len(store.list_operators(s))
    everyone.post("/tv/settings/unpair", data={})
    everyone.post("/tv/certificates/identity/send", data={})
    everyone.post("/console/operators", data={"username": "mallory", "password": "x" * 12, "role": "admin"})
    everyone.post("/console/ticker", data={"text": "forged", "minutes": "30"})
    with demo.session() as s:
        assert s.query(SmsMessage).count() == sms_before
        assert s.query(Device).filter(Device.household_id.is_not(None)).count() == paired
        assert len(store.list_operators(s)) == operators
    texts = [m["text"] for m in everyone.get("/tv/ticker.json").get_json()["messages"]]
    assert "forged" not in texts


def test_machine_endpoints_are_authenticated(app, demo, monkeypatch):
    c = app.test_client()
    demo.config.SMS_HTTP_SECRET = "gw-secret"
    body = json.dumps({"id": "m-1", "from": "010-0000-0003", "text": "도움말",
                       "reference": "1", "status": "delivered"}).encode()
    for path in ("/gateway/sms/inbound", "/gateway/sms/status"):
        assert c.post(path, data=body).status_code == 401  # unsigned
        assert c.post(path, data=body, headers=sms_http.signed_headers("wrong", body)).status_code == 401
        stale = sms_http.signed_headers("gw-secret", body, now=time.time() - 3600)
        assert c.post(path, data=body, headers=stale).status_code == 401  # a replay
        tampered = sms_http.signed_headers("gw-secret", body)
        assert c.post(path, data=body + b" ", headers=tampered).status_code == 401
    assert c.post("/gateway/sms/inbound", data=body,
                  headers=sms_http.signed_headers("gw-secret", body)).status_code == 200

    monkeypatch.setattr(demo.config, "FAX_TRANSPORT", "http")
    monkeypatch.setattr(demo.config, "FAX_API_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(demo.config, "FAX_CALLBACK_SECRET", "fax-secret")
    from fax_bridge.transports.http_api import SIGNATURE_HEADER, sign_callback

    fax = json.dumps({"id": "x", "status": "delivered"}).encode()
    assert c.post("/gateway/fax/callback", data=fax).status_code == 403
    assert c.post("/gateway/fax/callback", data=fax,
                  headers={SIGNATURE_HEADER: sign_callback(b"wrong", fax)}).status_code == 403

    # Kannel: by the caller's address only; a forwarded-for header is not believed
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    for path in ("/gateway/kannel/mo?from=010-0000-0003&text=help", "/gateway/kannel/dlr?id=1&type=1&sig=x"):
        assert c.get(path, environ_base=outside).status_code == 403
        assert c.get(path, environ_base=outside, headers={"X-Forwarded-For": "127.0.0.1",
                                                          "X-Real-IP": "127.0.0.1"}).status_code == 403
