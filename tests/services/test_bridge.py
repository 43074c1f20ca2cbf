"""The bridge against the real reference back end process."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from services.bridge.client import (
    BackendClient,
    BackendProtocolError,
    BackendRefused,
    BackendUnavailable,
    CircuitBreaker,
)
from tests.support.procs import free_port


def test_ping_household_and_record(backend_server):
    c = BackendClient(backend_server.url)
    assert c.ping()
    hh = c.household("1144012-0001")
    assert [r["name"] for r in hh["residents"]] == ["김영수", "이순자", "김민준"]
    rec = c.record(request_ref="20261121-100001", certificate_type="resident-abstract",
                   household_code="1144012-0001", resident_ref="R1003",
                   options={"past_addresses": "yes"}, idempotency_key="t-bridge-1")
    assert rec["holder"]["name"] == "김민준"
    addresses = [dict(row)["주소"] for row in rec["sections"][0]["rows"]]
    assert len(addresses) == 2 and "판교역로" in addresses[0]


def test_same_key_is_done_once_and_replayed(backend_server):
    c = BackendClient(backend_server.url)
    kw = dict(request_ref="20261121-100002", certificate_type="resident-copy",
              household_code="1144012-0002", resident_ref="R2001", options={},
              idempotency_key="t-bridge-2")
    first, second = c.record(**kw), c.record(**kw)
    assert first == second
    stats = backend_server.stats()
    assert stats["keys"].count("t-bridge-2") == 1
    # The same key with another payload is refused by the back end.
    with pytest.raises(BackendProtocolError):
        c.record(**dict(kw, resident_ref="R2002"))


def test_refusals_carry_a_reason_people_can_read(backend_server):
    c = BackendClient(backend_server.url)
    with pytest.raises(BackendRefused) as err:
        c.record(request_ref="r", certificate_type="resident-copy", household_code="1144012-0001",
                 resident_ref="R2001", options={}, idempotency_key="t-bridge-3")
    assert err.value.code == "not_in_household"
    assert "세대원" in err.value.message
    with pytest.raises(BackendRefused) as err:
        c.record(request_ref="r", certificate_type="land-register", household_code="1144012-0002",
                 resident_ref="R2002", options={"parcel": "P-1144012-0101"},
                 idempotency_key="t-bridge-4")
    assert err.value.code == "parcel_not_owned"


def test_down_back_end_opens_the_breaker_and_fails_fast():
    port = free_port()  # nothing listens here
    c = BackendClient("http://127.0.0.1:%d" % port, timeout=0.5, retries=1,
                      breaker=CircuitBreaker(2, 60))
    with pytest.raises(BackendUnavailable):
        c.household("1144012-0001")
    assert c.breaker.state == "open"
    with pytest.raises(BackendUnavailable, match="circuit open"):
        c.household("1144012-0001")


def test_breaker_half_opens_and_closes_on_success(backend_server):
    now = [0.0]
    br = CircuitBreaker(1, 10, clock=lambda: now[0])
    br.failure()
    assert br.state == "open" and not br.allow()
    now[0] = 11
    assert br.allow() and not br.allow()  # one trial only
    br.success()
    assert br.state == "closed"


class _Junk(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Response>&x;</Response>',
    b"<Response xmlns='urn:tvgov:backend:1'/>",
    b"not xml at all",
])
def test_answers_that_break_the_schema_are_refused(body):
    handler = type("H", (_Junk,), {"body": body})
    srv = HTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        c = BackendClient("http://127.0.0.1:%d" % srv.server_port)
        with pytest.raises(BackendProtocolError):
            c.household("1144012-0001")
    finally:
        srv.shutdown()
        srv.server_close()


def test_back_end_refuses_hostile_and_invalid_messages(backend_server):
    url = backend_server.url + "/api/v1/messages"
    xxe = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    r = requests.post(url, data=xxe, timeout=5)
    assert r.status_code == 400 and "DTD" in r.json()["reason"]
    r = requests.post(url, data=b"<Request xmlns='urn:tvgov:backend:1'/>", timeout=5)
    assert r.status_code == 400 and "schema" in r.json()["reason"]
