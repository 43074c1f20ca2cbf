"""Through a real Kannel (bearerbox + smsbox + fakesmsc on loopback):
replies in Hangul, silence for our own number, and the whole U-petition:
a demo resident texts `등본 메일`, answers the code that came by SMS, the PDF
arrives at a real SMTP server, and `상태` reports it delivered."""

import re
import threading

import pytest
from sqlalchemy import select

from services import sms
from services.models import Request, SmsMessage
from tests.kannel.conftest import AppServer
from tests.support.procs import free_port, wait_for
from tests.support.smtp import SmtpServer
from tests.support.world import statuses

MINJUN = "01000000003"

pytestmark = pytest.mark.slow


@pytest.fixture
def served(demo, start_kannel):
    from tvapp import create_app

    port = free_port()
    app_url = "http://127.0.0.1:%d" % port
    server = AppServer(create_app(demo.config), port).start()
    kannel = start_kannel(app_url)
    yield kannel
    server.stop()


def test_hangul_reply_and_silence_for_our_number(served):
    replies = served.text(MINJUN, "도움말", until=lambda r: any("등본 메일" in x for x in r))
    assert any("수신거부" in r for r in replies)
    assert served.text("15880000", "도움말", settle=2.0) == []  # our own number: no loop
    # An unknown command still gets a readable Korean answer, whole syllables only.
    unknown = served.text(MINJUN, "아무말", until=lambda r: bool(r))
    assert "도움말" in unknown[0]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_certificate_by_sms_end_to_end_through_kannel(world, smtp, start_kannel):
    from services.core.config import load_config
    from tvapp import create_app

    port = free_port()
    app_url = "http://127.0.0.1:%d" % port
    # Kannel first (its ports), then the settings the app and the workers read.
    kannel = start_kannel(app_url)
    world.set(SMTP_URL=smtp.url, SMS_GATEWAY="kannel", KANNEL_SENDSMS_URL=kannel.sendsms_url,
              KANNEL_USER="tvgov", KANNEL_PASS=kannel.secret, PUBLIC_URL=app_url,
              SMS_SERVICE_NUMBER="1588-0000")
    server = AppServer(create_app(load_config()), port).start()
    try:
        world.worker()
        first = kannel.text(MINJUN, "등본 메일",
                            until=lambda r: any("확인 123456" in x for x in r) and any("인증번호 " in x for x in r))
        code = re.search(r"인증번호 (\d{6})", " ".join(first)).group(1)
        accepted = kannel.text(MINJUN, "확인 %s" % code, until=lambda r: any("접수" in x for x in r))
        receipt = re.search(r"\d{8}-\d{6}", " ".join(accepted)).group(0)
        with world.runtime.session() as s:
            req = s.scalar(select(Request).where(Request.receipt_no == receipt))
            rid = req.id
            assert req.channel == "sms" and req.delivery_method == "email"
        wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 90, "delivery by email")
        assert len(smtp.messages) == 1
        msg = smtp.messages[0]
        assert msg["To"] == "minjun.kim@example.com" and "주민등록표 등본" in msg["Subject"]
        att = next(iter(msg.iter_attachments()))
        assert att.get_content_type() == "application/pdf" and att.get_content().startswith(b"%PDF")
        status = kannel.text(MINJUN, "상태", until=lambda r: any(receipt in x and "전달 완료" in x for x in r))
        assert any("보냈습니다" in x for x in status)  # the completion notice, queued for the phone
        # Delivery reports from the (fake) SMSC moved the code's message to delivered.
        wait_for(lambda: _otp(world.runtime) == ("kannel", "delivered"), 20, "delivery report")
    finally:
        server.stop()


def _otp(rt):
    with rt.session() as s:
        m = s.scalar(select(SmsMessage).where(SmsMessage.purpose == "otp"))
        return (m.gateway, m.status) if m else None



def test_euc_kr_from_an_old_phone_is_understood(served, demo):
    """Issue 20 item 5: 상태 in EUC-KR (8-bit data) through the fake SMSC."""
    replies = served.text(MINJUN, "상태", charset="euc-kr", until=lambda r: bool(r))
    assert any("신청하신 증명서가 없습니다" in r for r in replies)
    with demo.session() as s:
        mo = s.scalar(select(SmsMessage).where(SmsMessage.direction == "mo"))
        assert mo.body == "상태" and mo.purpose == "status"


def test_fifty_messages_end_at_their_final_state(demo, start_kannel, monkeypatch):
    """Issue 20 item 10: reports never go backwards nor get lost (50 sends, each
    committed right after Kannel took it, reports racing the commit)."""
    from services.sms.kannel import KannelGateway
    from tvapp import create_app

    port = free_port()
    app_url = "http://127.0.0.1:%d" % port
    kannel = start_kannel(app_url)
    cfg = demo.config
    cfg.PUBLIC_URL, cfg.KANNEL_SENDSMS_URL, cfg.KANNEL_PASS = app_url, kannel.sendsms_url, kannel.secret
    server = AppServer(create_app(cfg), port).start()
    monkeypatch.setattr(demo, "sms_gateway", KannelGateway(cfg, demo.crypto))
    ids = []
    done = threading.Event()

    def send_all():
        try:
            for i in range(50):
                with demo.session() as s:
                    ids.append(sms.send_sms(s, demo, MINJUN, "안내 %d" % i, purpose="notice",
                                            dedup_key="n:%d" % i).id)
        finally:
            done.set()

    try:
        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        # A phone connected to the fake SMSC receives them (and the SMSC reports delivery).
        kannel.text("15880000", "x", until=lambda r: done.is_set() and len(r) >= 50, seconds=60)
        sender.join(10)
        assert len(ids) == 50

        def final():
            with demo.session() as s:
                return [s.get(SmsMessage, i).status for i in ids]

        wait_for(lambda: set(final()) == {"delivered"}, 30, "every report applied")
    finally:
        server.stop()
