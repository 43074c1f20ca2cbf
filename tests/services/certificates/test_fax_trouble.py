"""Issue 17 item 3: a fax in trouble (the line busy) is cancelled, or goes by
email instead, from the TV; never delivered twice. A whole back office: the
job worker, the fax worker with the sandbox line (a number ending 0000 is
busy), a real SMTP server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fax_bridge import JobState
from services import ledger
from services.certificates import requests as certs
from services.delivery import fax
from services.households import get_household
from services.models import Delivery
from tests.support.procs import wait_for
from tests.support.smtp import SmtpServer
from tests.support.world import events, make, receipt, statuses, world  # noqa: F401

BUSY_FAX = "02-2153-0000"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def household(rt):
    with rt.session() as s:
        return get_household(s, "1144012-0001").id


def busy_fax(world, token):  # noqa: F811
    world.set(FAX_SANDBOX_PAGE_SECONDS="0.1", FAX_POLL="0.1")
    world.worker()
    world.fax_worker()
    rid = make(world.runtime, token, resident_ref="R1003", method="fax", address=BUSY_FAX)
    wait_for(lambda: any(k == "waiting" and d.get("reason") == "fax_retry" for k, d in events(world.runtime, rid)),
             90, "a busy line")
    return rid, receipt(world.runtime, rid)


def test_a_busy_fax_switched_to_email_is_stopped_first_and_sent_once(world, smtp):  # noqa: F811
    world.set(SMTP_URL=smtp.url)
    rid, no = busy_fax(world, "trouble-switch")
    assert fax.store_for(world.runtime).get(no).state is JobState.RETRY_WAIT
    hid = household(world.runtime)
    with pytest.raises(certs.FlowError):  # another household's request
        certs.switch_delivery(world.runtime, no, hid + 1, "email")
    assert certs.switch_delivery(world.runtime, no, hid, "email") == "switched"
    assert certs.switch_delivery(world.runtime, no, hid, "email") == "already"  # OK pressed twice
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 90, "email after the switch")
    assert len(smtp.messages) == 1 and smtp.messages[0]["To"] == "minjun.kim@example.com"
    assert fax.store_for(world.runtime).get(no).state is JobState.CANCELLED
    kinds = [k for k, _ in events(world.runtime, rid)]
    # the switch recorded, the fax job stopped, and only then the email sent
    assert kinds.index("switched") < kinds.index("fax_stopped") < kinds.index("delivered")
    assert kinds.count("delivered") == 1 and kinds.count("fax_stopped") == 1
    sw = [d for k, d in events(world.runtime, rid) if k == "switched"][0]
    assert sw == {"from": "fax", "to": "email", "to_masked": sw["to_masked"]} and "minjun" not in sw["to_masked"]
    with world.runtime.session() as s:
        rows = {d.method: d.status for d in s.scalars(select(Delivery))}
    assert rows == {"fax": "cancelled", "email": "sent"}
    with pytest.raises(certs.FlowError):  # delivered: nothing more to switch
        certs.switch_delivery(world.runtime, no, hid, "fax")


def test_a_busy_fax_cancelled_on_the_tv_stops_at_the_fax_line(world):  # noqa: F811
    rid, no = busy_fax(world, "trouble-cancel")
    hid = household(world.runtime)
    with pytest.raises(ledger.LedgerError):
        ledger.cancel_by_household(world.runtime, no, hid + 1)
    assert ledger.cancel_by_household(world.runtime, no, hid) == "cancelled"
    assert ledger.cancel_by_household(world.runtime, no, hid) == "already"
    wait_for(lambda: fax.store_for(world.runtime).get(no).state is JobState.CANCELLED, 60, "the fax job stopped")
    wait_for(lambda: "fax_stopped" in [k for k, _ in events(world.runtime, rid)], 30, "the timeline says so")
    assert statuses(world.runtime, [rid])[rid] == "cancelled"
    with pytest.raises(certs.FlowError):  # cancelled: nothing to switch
        certs.switch_delivery(world.runtime, no, hid, "email")


def test_an_email_the_server_does_not_take_goes_by_fax_instead_once(world, smtp):  # noqa: F811
    """The mail server answers 4xx again and again: the TV's 팩스로 받기 sends it
    to the number typed instead, and the email is never sent after all."""
    smtp.handler.refuse_all = "451 4.3.0 try again later"
    world.set(SMTP_URL=smtp.url, FAX_SANDBOX_PAGE_SECONDS="0.1", FAX_POLL="0.1")
    world.worker()
    world.fax_worker()
    rid = make(world.runtime, "trouble-mail", resident_ref="R1003", address="minjun.kim@example.com")
    wait_for(lambda: any(d.get("reason") == "smtp_temporary" for k, d in events(world.runtime, rid)),
             60, "the mail server's 4xx")
    no, hid = receipt(world.runtime, rid), household(world.runtime)
    with pytest.raises(certs.FlowError) as refused:  # a number the fax policy refuses
        certs.switch_delivery(world.runtime, no, hid, "fax", address="060-700-1234")
    assert refused.value.code == "fax_number_refused"

    def switched():
        try:
            return certs.switch_delivery(world.runtime, no, hid, "fax", address="02-2153-4321") == "switched"
        except certs.FlowError as e:  # a worker was trying the mail server that moment
            assert e.code == "email_sending"
            return False
    wait_for(switched, 30, "the switch to fax")
    assert certs.switch_delivery(world.runtime, no, hid, "fax", address="02-2153-4321") == "already"
    smtp.handler.refuse_all = None  # the mail server would take it now: it must not get it
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 90, "the fax")
    assert smtp.messages == []
    kinds = [k for k, _ in events(world.runtime, rid)]
    assert kinds.index("switched") < kinds.index("delivered") and kinds.count("delivered") == 1
    assert fax.store_for(world.runtime).get(no).state is JobState.DELIVERED
    with world.runtime.session() as s:
        rows = {d.method: d.status for d in s.scalars(select(Delivery))}
    assert rows["email"] == "cancelled" and rows["fax"] == "delivered"
