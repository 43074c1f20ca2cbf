"""Issue 21 through a real Kannel (bearerbox + smsbox + fakesmsc on loopback):
a box asks for the identity code, the SMS that reaches the phone through
Kannel says to reply 1 (and carries the code), the phone's 1 comes back
through Kannel, the answer says it is approved, and the box's request is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services import approvals
from services.certificates import requests as certs
from services.models import Resident
from tests.kannel.conftest import AppServer
from tests.support.procs import free_port

MINJUN = "01000000003"
BOX = 7001

pytestmark = pytest.mark.slow


def test_a_reply_of_1_through_kannel_approves_the_tv_request(demo, start_kannel, monkeypatch):
    from services.sms.kannel import KannelGateway
    from tvapp import create_app

    port = free_port()
    app_url = "http://127.0.0.1:%d" % port
    kannel = start_kannel(app_url)
    cfg = demo.config
    cfg.PUBLIC_URL, cfg.KANNEL_SENDSMS_URL, cfg.KANNEL_PASS = app_url, kannel.sendsms_url, kannel.secret
    server = AppServer(create_app(cfg), port).start()
    monkeypatch.setattr(demo, "sms_gateway", KannelGateway(cfg, demo.crypto))
    try:
        with demo.session() as s:
            r = s.scalar(select(Resident).where(Resident.ref == "R1003"))
            rid, hh = r.id, r.household_id
        assert certs.send_code(demo, hh, rid, approval=(BOX, "flow-k", "resident-copy")).ok  # the box asks
        assert approvals.status(demo, BOX, "flow-k", rid) == "pending"
        phone = kannel.text(MINJUN, "1", until=lambda got: any("승인했습니다" in x for x in got)
                            and any("1을 답장하세요" in x for x in got))
        sent = next(x for x in phone if "1을 답장하세요" in x)
        assert "TV의 등본 신청이 맞으면" in sent and "인증번호 " in sent  # one message: the reply and the code
        assert approvals.status(demo, BOX, "flow-k", rid) == "approved"
        assert approvals.take(demo, BOX, "flow-k", rid)
    finally:
        server.stop()
