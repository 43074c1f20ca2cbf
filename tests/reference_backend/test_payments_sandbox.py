"""The sandbox card gateway's contract (what services.payments relies on), and
the back end's tax messages, against a real reference back end process."""

import threading
import uuid

import pytest
import requests

from services.bridge.client import BackendClient, BackendRefused

AUTH = {"Authorization": "Basic c2FuZGJveDo="}
GOOD = {"cardNumber": "4111111111111111", "expiry": "1299", "birth": "480312", "password2": "12"}


@pytest.fixture
def pay(private_backend):
    base = private_backend.url + "/pay/v1"

    class Pay:
        url = base
        backend = private_backend

        def post(self, path, body, **headers):
            return requests.post(base + path, json=body, headers=dict(AUTH, **headers), timeout=10)

        def get(self, path):
            return requests.get(base + path, headers=AUTH, timeout=10)

        def order(self, amount=10300, method="card", **kw):
            oid = "t-" + uuid.uuid4().hex[:16]
            r = self.post("/orders", dict({"orderId": oid, "amount": amount, "orderName": "주민세",
                                           "method": method}, **kw))
            assert r.status_code == 201, r.text
            return oid, r.json()

        def stats(self):
            return requests.get(base + "/admin/stats", timeout=5).json()

    return Pay()


def test_authorise_then_confirm_charges_once_and_replays(pay):
    oid, order = pay.order()
    assert order["status"] == "created"
    again = pay.post("/orders", {"orderId": oid, "amount": 10300, "orderName": "주민세", "method": "card"})
    assert again.status_code == 200 and again.json()["orderId"] == oid
    assert pay.post("/orders", {"orderId": oid, "amount": 1, "method": "card"}).status_code == 409
    auth = pay.post("/orders/%s/authorize" % oid, GOOD)
    assert auth.status_code == 200 and auth.json()["status"] == "authorized"
    body = {"paymentKey": auth.json()["paymentKey"], "amount": 10300}
    first = pay.post("/orders/%s/confirm" % oid, body, **{"Idempotency-Key": oid + ":confirm"})
    second = pay.post("/orders/%s/confirm" % oid, body, **{"Idempotency-Key": oid + ":confirm"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()["status"] == "paid"
    other = pay.post("/orders/%s/confirm" % oid, dict(body, amount=1), **{"Idempotency-Key": oid + ":confirm"})
    assert other.status_code == 422
    another_key = pay.post("/orders/%s/confirm" % oid, body, **{"Idempotency-Key": "x" + oid})
    assert another_key.status_code == 409 and another_key.json()["code"] == "already_processed"
    assert pay.get("/orders/" + oid).json()["status"] == "paid"
    assert pay.stats()["by_order"] == {oid: 10300}


def test_confirm_checks_the_amount_against_the_order(pay):
    oid, _ = pay.order(amount=5000)
    key = pay.post("/orders/%s/authorize" % oid, GOOD).json()["paymentKey"]
    r = pay.post("/orders/%s/confirm" % oid, {"paymentKey": key, "amount": 4000}, **{"Idempotency-Key": "k" + oid})
    assert r.status_code == 400 and r.json()["code"] == "amount_mismatch"
    assert pay.stats()["charges"] == 0


def test_confirm_needs_an_idempotency_key_and_credentials(pay):
    oid, _ = pay.order()
    assert pay.post("/orders/%s/confirm" % oid, {"amount": 10300}).status_code == 400
    assert requests.post(pay.url + "/orders", json={}, timeout=5).status_code == 401


@pytest.mark.parametrize("card,code,words", [
    ("4000000000000002", "insufficient_funds", "잔액"),
    ("4000000000000010", "wrong_password", "비밀번호"),
    ("4000000000000069", "expired_card", "유효기간"),
    ("4000000000000051", "over_limit", "한도"),
])
def test_declines_have_plain_korean_reasons(pay, card, code, words):
    oid, _ = pay.order()
    r = pay.post("/orders/%s/authorize" % oid, dict(GOOD, cardNumber=card))
    assert r.status_code == 402 and r.json()["code"] == code
    assert words in r.json()["message"] and r.json()["message"].endswith(".")
    assert pay.stats()["charges"] == 0


def test_a_past_expiry_is_an_expired_card_and_bad_lengths_are_refused(pay):
    oid, _ = pay.order()
    assert pay.post("/orders/%s/authorize" % oid, dict(GOOD, expiry="0120")).json()["code"] == "expired_card"
    assert pay.post("/orders/%s/authorize" % oid, dict(GOOD, cardNumber="4111")).json()["code"] == "invalid_card"


def test_unconfirmed_orders_expire(pay):
    import time

    oid, _ = pay.order(ttlSeconds=1)
    time.sleep(1.5)
    assert pay.get("/orders/" + oid).json()["status"] == "expired"
    assert pay.post("/orders/%s/authorize" % oid, GOOD).status_code == 410


def test_slow_confirm_charges_then_answers_late_and_the_order_tells(pay):
    oid, _ = pay.order()
    key = pay.post("/orders/%s/authorize" % oid, GOOD).json()["paymentKey"]
    requests.post(pay.url + "/admin/faults", json={"delay_confirm": 3}, timeout=5)
    try:
        with pytest.raises(requests.Timeout):
            requests.post(pay.url + "/orders/%s/confirm" % oid, json={"paymentKey": key, "amount": 10300},
                          headers=dict(AUTH, **{"Idempotency-Key": "k" + oid}), timeout=1)
        assert pay.get("/orders/" + oid).json()["status"] == "paid"  # the truth, without paying again
    finally:
        requests.post(pay.url + "/admin/faults", json={}, timeout=10)
    assert pay.stats()["charges"] == 1


def test_virtual_account_turns_paid_on_deposit(pay):
    oid, order = pay.order(method="virtual_account")
    account = order["virtualAccount"]["accountNumber"]
    assert order["status"] == "waiting_deposit" and account.isdigit()
    bad = requests.post(pay.url + "/sandbox/deposits", json={"accountNumber": account, "amount": 1}, timeout=5)
    assert bad.status_code == 400
    ok = requests.post(pay.url + "/sandbox/deposits", json={"accountNumber": account, "amount": 10300}, timeout=5)
    assert ok.status_code == 200 and ok.json()["status"] == "paid"
    assert pay.get("/orders/" + oid).json()["status"] == "paid"
    assert pay.stats()["charges"] == 1


def test_concurrent_confirms_charge_once(pay):
    oid, _ = pay.order()
    key = pay.post("/orders/%s/authorize" % oid, GOOD).json()["paymentKey"]
    codes = []

    def go(k):
        r = pay.post("/orders/%s/confirm" % oid, {"paymentKey": key, "amount": 10300}, **{"Idempotency-Key": k})
        codes.append(r.status_code)

    threads = [threading.Thread(target=go, args=("k%d" % (i % 2),)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert pay.stats()["charges"] == 1 and 200 in codes


def test_tax_bills_have_late_charges_and_notices_are_recorded_once(private_backend):
    bridge = BackendClient(private_backend.url)
    bills = {b["ref"]: b for b in bridge.tax_bills("1144012-0001")}
    overdue, due, paid = bills["T-0002"], bills["T-0001"], bills["T-0003"]
    assert overdue["status"] == "overdue" and overdue["late_charge"] == 300 and overdue["total"] == 10300
    assert due["status"] == "due" and due["late_charge"] == 0 and len(due["epay_no"]) == 19
    assert paid["status"] == "paid" and paid["paid_at"]
    notice = dict(epay_no=overdue["epay_no"], amount=10300, payment_ref="ord-1", method="card",
                  paid_at="2026-11-21T10:00:00+00:00")
    a = bridge.payment_notice(idempotency_key="ord-1:notice", **notice)
    b = bridge.payment_notice(idempotency_key="ord-1:notice", **notice)
    c = bridge.payment_notice(idempotency_key="ord-1:notice-again", **notice)  # same payment, other key
    assert a == b and a["receipt_ref"] == c["receipt_ref"]
    with pytest.raises(BackendRefused) as e:
        bridge.payment_notice(idempotency_key="ord-2:notice", **dict(notice, payment_ref="ord-2"))
    assert e.value.code == "already_paid"
    with pytest.raises(BackendRefused) as e:
        bridge.payment_notice(idempotency_key="ord-3:notice", **dict(notice, epay_no=due["epay_no"],
                                                                      payment_ref="ord-3", amount=1))
    assert e.value.code == "amount_changed"
    stats = private_backend.stats()
    assert stats["tax_payments"] == 1 and stats["by_kind"]["PaymentNotice"]["replays"] == 1
    assert {b["ref"]: b for b in bridge.tax_bills("1144012-0001")}["T-0002"]["status"] == "paid"
