"""Issue 19 item 6: one-time codes and pairing codes are never kept in clear in
``sms_messages.body``. Through a real HTTP SMS gateway on loopback the phone
gets the code; the row keeps it masked. Development's outbox (its row is the
phone simulator's screen) keeps the text, but never in production."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from services import otp, pii, sms
from services.models import SmsMessage

PHONE = "010-0000-0003"


@pytest.fixture
def sms_provider():
    """A loopback HTTP SMS provider that keeps what it was asked to send."""
    sent = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            sent.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/send" % srv.server_port, sent
    srv.shutdown()
    srv.server_close()


def test_mask_codes():
    assert pii.mask_codes("[마포구청] 인증번호 960735 (5분)") == "[마포구청] 인증번호 ****** (5분)"
    assert pii.mask_codes("연결 VDDH-DGPT") == "연결 ****-****"
    assert pii.mask_codes("연결 vddhdgpt") == "연결 ****-****"
    assert pii.mask_codes("취소 20261121-123456") == "취소 20261121-123456"  # receipt numbers stay


def test_stored_sms_texts_mask_the_codes(runtime, sms_provider):
    url, sent = sms_provider
    cfg = runtime.config
    cfg.SMS_GATEWAY, cfg.SMS_HTTP_URL, cfg.SMS_HTTP_SECRET = "http", url, "s" * 32
    with runtime.session() as s:
        assert otp.send_code(s, runtime, "subject-1", PHONE, purpose="otp").ok
        sms.record_mo(s, runtime, PHONE, "연결 VDDH-DGPT", dedup_key="mo:pair", gateway="http")
    code = re.search(r"인증번호 (\d{6})", sent[0]["text"]).group(1)  # the phone got it
    with runtime.session() as s:
        bodies = [m.body for m in s.scalars(select(SmsMessage))]
    assert len(bodies) == 2
    for body in bodies:
        assert code not in body and "VDDH" not in body
    assert any("인증번호 ******" in b for b in bodies) and any("****-****" in b for b in bodies)


def test_production_masks_even_the_outbox(runtime, monkeypatch):
    monkeypatch.setattr(type(runtime.config), "is_production", property(lambda self: True))
    with runtime.session() as s:
        otp.send_code(s, runtime, "subject-2", PHONE, purpose="otp")
        body = s.scalar(select(SmsMessage.body))
    assert "인증번호 ******" in body
