"""SMS plumbing: CP949 byte counting, gateway choice, our-number guard,
opt-outs, delivery reports that only move forward, and the Kannel and HTTP
gateways against small real HTTP servers on loopback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from services import sms
from services.models import SmsMessage
from services.sms import http as sms_http
from services.sms.kannel import KannelGateway, dlr_signature
from services.sms.text import cp949_len, cut, fit, limit_for

PHONE = "010-0000-0003"


def test_cp949_counts_hangul_as_two_bytes_and_never_cuts_a_syllable():
    assert cp949_len("abc") == 3
    assert cp949_len("등본") == 4
    assert cp949_len("😀") == 2  # not in CP949: counted conservatively
    text = "가" * 50
    assert cut(text, 91) == "가" * 45
    out = fit(text, 90)
    assert cp949_len(out) <= 90 and out.endswith("..")
    assert out[:-2] == "가" * 44
    assert fit("짧은 글", 90) == "짧은 글"


def test_limit_follows_lms_setting():
    cfg = SimpleNamespace(SMS_MAX_BYTES=90, LMS_MAX_BYTES=2000, LMS_ENABLED=False)
    assert limit_for(cfg) == 90
    cfg.LMS_ENABLED = True
    assert limit_for(cfg) == 2000


def test_gateway_for_chooses_by_config(runtime):
    cfg = runtime.config
    assert sms.gateway_for(cfg).name == "outbox"
    cfg.SMS_GATEWAY = "kannel"
    assert sms.gateway_for(cfg).name == "kannel"
    cfg.SMS_GATEWAY = "http"
    with pytest.raises(sms.GatewayError):
        sms.gateway_for(cfg)  # no URL / secret
    cfg.SMS_HTTP_URL, cfg.SMS_HTTP_SECRET = "http://127.0.0.1:9/x", "s3cret"
    assert sms.gateway_for(cfg).name == "http"
    cfg.SMS_GATEWAY = "pigeon"
    with pytest.raises(ValueError):
        sms.gateway_for(cfg)


def test_our_numbers_and_short_codes_are_never_answered(runtime):
    cfg = runtime.config
    for n in ("1588-0000", "15880000", "114", "#1234", "+82 1588 0000", "KT-INFO", "", "02-123"):
        assert sms.is_ours_or_short(cfg, n), n
    for n in (PHONE, "+82-10-0000-0003", "01000000003", "011-123-4567"):
        assert not sms.is_ours_or_short(cfg, n), n
    cfg.SMS_OWN_NUMBERS = "010-9999-0000"
    assert sms.is_ours_or_short(cfg, "01099990000")


def test_send_sms_fits_dedups_and_respects_optout(runtime):
    with runtime.session() as s:
        m = sms.send_sms(s, runtime, PHONE, "가" * 100, purpose="notice", dedup_key="t:1")
        assert m.status == "sent" and cp949_len(m.body) <= 90
        assert sms.send_sms(s, runtime, PHONE, "other", purpose="notice", dedup_key="t:1").id == m.id
        assert sms.send_sms(s, runtime, "1588-0000", "x", purpose="notice", dedup_key="t:2").status == "blocked"
        assert sms.opt_out(s, runtime, PHONE) and not sms.opt_out(s, runtime, PHONE)
        assert sms.send_sms(s, runtime, PHONE, "x", purpose="notice", dedup_key="t:3").status == "optout"
        assert sms.opt_in(s, runtime, PHONE)
        assert sms.send_sms(s, runtime, PHONE, "x", purpose="notice", dedup_key="t:4").status == "sent"
        runtime.config.LMS_ENABLED = True
        long = sms.send_sms(s, runtime, PHONE, "가" * 100, purpose="notice", dedup_key="t:5")
        assert long.body == "가" * 100


def test_delivery_reports_only_move_forward(runtime):
    with runtime.session() as s:
        m = sms.send_sms(s, runtime, PHONE, "x", purpose="notice", dedup_key="d:1")
        assert sms.record_dlr(s, m.id, "buffered")
        assert not sms.record_dlr(s, m.id, "sent")
        assert sms.record_dlr(s, m.id, "delivered")
        assert not sms.record_dlr(s, m.id, "delivered")
        assert not sms.record_dlr(s, m.id, "failed")
        assert not sms.record_dlr(s, m.id, "buffered")
        assert s.get(SmsMessage, m.id).status == "delivered"
        assert not sms.record_dlr(s, 999999, "delivered")


def test_mo_rows_are_recorded_once(runtime):
    with runtime.session() as s:
        a, new_a = sms.record_mo(s, runtime, PHONE, "상태", dedup_key="mo:x", gateway="kannel")
        b, new_b = sms.record_mo(s, runtime, PHONE, "상태", dedup_key="mo:x", gateway="kannel")
        assert new_a and not new_b and a.id == b.id and a.direction == "mo"
        assert a.phone_masked == "010-****-0003" and PHONE not in a.phone_enc


class _Recorder(BaseHTTPRequestHandler):
    calls: list = []
    status = 202

    def _answer(self, body: bytes = b""):
        type(self).calls.append((self.command, self.path, dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"Sent.\r\n")

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def log_message(self, *a):
        pass


@pytest.fixture
def recorder():
    handler = type("H", (_Recorder,), {"calls": [], "status": 202})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, handler
    srv.shutdown()
    srv.server_close()


def test_kannel_gateway_sends_utf8_ucs2_with_dlr(runtime, recorder):
    srv, handler = recorder
    cfg = runtime.config
    cfg.KANNEL_SENDSMS_URL = "http://127.0.0.1:%d/cgi-bin/sendsms" % srv.server_port
    cfg.KANNEL_PASS = "pw"
    gw = KannelGateway(cfg, runtime.crypto)
    assert gw.send(PHONE, "등본을 메일로 보냈습니다", 42) == "sent"
    _, path, _, _ = handler.calls[0]
    q = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    assert q["text"] == "등본을 메일로 보냈습니다" and q["charset"] == "UTF-8" and q["coding"] == "2"
    assert q["dlr-mask"] == "19" and q["to"] == PHONE.replace("-", "") and q["from"].isdigit() and q["username"] == cfg.KANNEL_USER
    dlr = urlsplit(q["dlr-url"])
    dq = parse_qs(dlr.query)
    assert dlr.path == "/gateway/kannel/dlr" and dq["type"] == ["%d"] and dq["id"] == ["42"]
    assert dq["sig"] == [dlr_signature(runtime.crypto, 42)]
    handler.status = 403
    with pytest.raises(sms.GatewayError):
        gw.send(PHONE, "x", 43)
    cfg.KANNEL_SENDSMS_URL = "http://127.0.0.1:9/cgi-bin/sendsms"
    with pytest.raises(sms.GatewayError):
        KannelGateway(cfg, runtime.crypto).send(PHONE, "x", 44)


def test_http_gateway_signs_its_json(runtime, recorder):
    srv, handler = recorder
    cfg = runtime.config
    cfg.SMS_HTTP_URL, cfg.SMS_HTTP_SECRET = "http://127.0.0.1:%d/send" % srv.server_port, "s3cret"
    assert sms_http.HttpGateway(cfg).send(PHONE, "안녕하세요", 7) == "sent"
    _, _, headers, body = handler.calls[0]
    assert json.loads(body)["text"] == "안녕하세요" and json.loads(body)["reference"] == "7"
    assert sms_http.verify("s3cret", headers["X-Timestamp"], headers["X-Signature"], body)
    assert not sms_http.verify("other", headers["X-Timestamp"], headers["X-Signature"], body)
    assert not sms_http.verify("s3cret", headers["X-Timestamp"], headers["X-Signature"], body + b" ")
    old = sms_http.signed_headers("s3cret", body, now=1_000_000)
    assert not sms_http.verify("s3cret", old["X-Timestamp"], old["X-Signature"], body)


def test_send_sms_through_a_failing_gateway_records_failed(runtime):
    runtime.config.SMS_GATEWAY = "kannel"
    runtime.config.KANNEL_SENDSMS_URL = "http://127.0.0.1:9/cgi-bin/sendsms"
    with runtime.session() as s:
        m = sms.send_sms(s, runtime, PHONE, "x", purpose="notice", dedup_key="f:1")
        assert m.status == "failed" and m.gateway == "kannel"
