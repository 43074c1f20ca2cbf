"""Paying a tax bill exactly once, against real processes: the reference back
end with its sandbox gateway, Redis, worker and sweeper processes.

Every test ends by counting: charges at the sandbox, payment records here,
PaymentNotice messages at the back end."""

import signal
import threading

import pytest
import requests
from sqlalchemy import func, select

from services.households import get_household
from services.payments import Card
from services.taxes import bills as bills_mod
from services.taxes import payments
from services.taxes.models import DECLINED, PAID, REFUSED, UNKNOWN, WAITING, TaxPayment
from tests.support.procs import wait_for
from tests.support.world import kinds, statuses

HH = "1144012-0001"
OVERDUE = "1144012608260000022"  # 주민세 10,000원 + 300원 late charge
DUE = "1144012611260000011"  # 자동차세 254,800원
GOOD = Card("4111111111111111", "1230", "480312", "12")


def bill(rt, epay=OVERDUE):
    return bills_mod.find(bills_mod.household_bills(rt, HH), epay)


def prepare(rt, epay=OVERDUE, method="card", delivery=None):
    with rt.session() as s:
        hid = get_household(s, HH).id
        p = payments.prepare(s, rt, hid, bill(rt, epay), method, delivery)
        return p.order_id, hid, p.total


def sandbox(world):
    return requests.get(world.backend.url + "/pay/v1/admin/stats", timeout=5).json()


def pay_rows(rt, epay=OVERDUE, status=PAID):
    with rt.session() as s:
        return s.scalar(select(func.count()).select_from(TaxPayment).where(
            TaxPayment.epay_no == epay, TaxPayment.status == status))


def request_id(rt, order_id):
    with rt.session() as s:
        return s.scalar(select(TaxPayment.request_id).where(TaxPayment.order_id == order_id))


def assert_once(world, order_id, epay=OVERDUE):
    rid = request_id(world.runtime, order_id)
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "payment request to finish")
    assert sandbox(world)["charges"] == 1
    assert list(sandbox(world)["by_order"]) == [order_id]
    assert pay_rows(world.runtime, epay) == 1
    stats = world.backend.stats()
    assert stats["tax_payments"] == 1
    assert stats["keys"].count("%s:notice" % order_id) == 1
    assert stats["by_kind"]["PaymentNotice"]["unique"] == 1
    done = requests.get(world.backend.url + "/admin/bills/" + epay, timeout=5).json()
    assert done["paid"] and done["payment_ref"] == order_id
    assert kinds(world.runtime, rid).count("tax_recorded") == 1
    return rid


def test_card_numbers_never_show_in_repr_and_wrong_lengths_are_named():
    card = Card("4111111111111111", "13", "48031", "123")
    assert "4111" not in repr(card) and "4111" not in str(card)
    assert set(card.problems()) == {"expiry", "birth", "password2"}
    assert Card("4111111111111111", "1330", "480312", "12").problems() == {
        "expiry": "유효기간의 월은 01부터 12까지입니다."}
    assert GOOD.problems() == {}


def test_three_presses_of_ok_charge_once_and_replay_the_first_result(world):
    world.worker(0)
    order_id, hid, total = prepare(world.runtime)
    assert total == 10300
    again, _, _ = prepare(world.runtime)
    assert again == order_id  # the order is fixed; showing the screen again does not make another
    results = [payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
               for _ in range(3)]
    assert {r.status for r in results} == {PAID}
    assert len({r.receipt_no for r in results}) == 1 and results[0].receipt_no
    assert_once(world, order_id)


def test_two_boxes_confirming_the_same_bill_at_once_charge_once(world):
    world.worker(0)
    barrier = threading.Barrier(2)
    out, errors = [], []

    def box():
        try:
            order_id, hid, total = prepare(world.runtime)
            barrier.wait()
            out.append(payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD,
                                         shown_total=total))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=box) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert not errors, errors
    assert [r.status for r in out] == [PAID, PAID]
    assert out[0].order_id == out[1].order_id and out[0].receipt_no == out[1].receipt_no
    assert_once(world, out[0].order_id)


def test_worker_killed_between_charge_and_notice_tells_the_back_end_once(world):
    requests.post(world.backend.url + "/admin/faults", json={"delay_after_commit": 4}, timeout=5)
    first = world.worker(0)
    order_id, hid, total = prepare(world.runtime)
    r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
    assert r.status == PAID
    key = "%s:notice" % order_id
    wait_for(lambda: key in world.backend.stats()["keys"], 30, "the back end to record the notice")
    first.kill(signal.SIGKILL)
    requests.post(world.backend.url + "/admin/faults", json={}, timeout=5)
    world.worker(1)
    world.sweeper()
    assert_once(world, order_id)
    assert world.backend.stats()["by_kind"]["PaymentNotice"]["replays"] >= 1


def test_provider_timeout_is_resolved_by_looking_the_order_up(world):
    world.set(PAYMENT_TIMEOUT=1)
    requests.post(world.backend.url + "/pay/v1/admin/faults", json={"delay_confirm": 3}, timeout=5)
    try:
        order_id, hid, total = prepare(world.runtime)
        r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
        assert r.status == UNKNOWN
        assert "확인 중이며 나의 민원에 표시됩니다" in r.message
        again = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD,
                                  shown_total=total)
        assert again.status == UNKNOWN  # pressing again does not pay again
    finally:
        requests.post(world.backend.url + "/pay/v1/admin/faults", json={}, timeout=10)
    world.worker(0)
    world.sweeper()
    rid = assert_once(world, order_id)
    assert "payment_checking" in kinds(world.runtime, rid)


def test_a_bill_paid_elsewhere_is_refused_before_any_charge(world):
    order_id, hid, total = prepare(world.runtime)
    requests.post(world.backend.url + "/admin/bills/" + OVERDUE, json={"paid": True}, timeout=5)
    r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
    assert r.status == REFUSED and r.reason == "already_paid"
    assert "이미 납부된 고지서입니다" in r.message and "청구되지 않았습니다" in r.message
    assert sandbox(world)["charges"] == 0


def test_an_amount_changed_since_the_screen_showed_is_refused(world):
    order_id, hid, total = prepare(world.runtime, DUE)
    requests.post(world.backend.url + "/admin/bills/" + DUE, json={"amount": 260_000}, timeout=5)
    r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
    assert r.status == REFUSED and r.reason == "amount_changed" and "260,000원" in r.message
    assert sandbox(world)["charges"] == 0
    # A new screen shows the new amount, with a new order.
    new_order, _, new_total = prepare(world.runtime, DUE)
    assert new_order != order_id and new_total == 260_000


@pytest.mark.parametrize("number,reason,words", [
    ("4000000000000002", "insufficient_funds", "잔액"),
    ("4000000000000010", "wrong_password", "비밀번호"),
    ("4000000000000069", "expired_card", "유효기간"),
    ("4000000000000051", "over_limit", "한도"),
])
def test_declines_are_plain_korean_and_the_bill_can_be_tried_again(world, number, reason, words):
    order_id, hid, total = prepare(world.runtime)
    r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid,
                          card=Card(number, "1230", "480312", "12"), shown_total=total)
    assert r.status == DECLINED and r.reason == reason and words in r.message
    assert r.message.endswith("요금은 청구되지 않았습니다.")
    assert sandbox(world)["charges"] == 0
    assert prepare(world.runtime)[0] != order_id


def test_wrong_lengths_are_refused_before_anything_is_sent(world):
    order_id, hid, total = prepare(world.runtime)
    with pytest.raises(payments.PaymentFlowError) as e:
        payments.pay_card(world.runtime, order_id=order_id, household_id=hid,
                          card=Card("4111", "1230", "480312", "12"), shown_total=total)
    assert "number" in e.value.fields
    assert sandbox(world)["orders"] == {}


def test_back_end_down_means_nothing_charged(world):
    order_id, hid, total = prepare(world.runtime)
    world.backend.stop()
    r = payments.pay_card(world.runtime, order_id=order_id, household_id=hid, card=GOOD, shown_total=total)
    assert r.status == "not_charged" and "청구되지 않았습니다" in r.message
    assert pay_rows(world.runtime, status="ready") == 1  # may be tried again


def test_virtual_account_turns_paid_when_the_transfer_arrives(world):
    world.worker(0)
    world.sweeper()
    order_id, hid, total = prepare(world.runtime, method="virtual_account")
    r = payments.open_virtual_account(world.runtime, order_id=order_id, household_id=hid)
    assert r.status == WAITING
    with world.runtime.session() as s:
        account = s.scalar(select(TaxPayment.account_no).where(TaxPayment.order_id == order_id))
    assert account and account.isdigit()
    rid = request_id(world.runtime, order_id)
    wait_for(lambda: "waiting" in kinds(world.runtime, rid), 20, "the request to wait for the deposit")
    requests.post(world.backend.url + "/pay/v1/sandbox/deposits", json={"accountNumber": account, "amount": total},
                  timeout=5).raise_for_status()
    assert_once(world, order_id)
