"""지방세 on the TV with the test client as a paired box (against a back end of
the test's own, since paying changes its bills): every screen's focus graph,
amounts and dates in Korean form, OK pressed three times making one charge,
wrong card lengths caught, refusals in plain Korean, the phone page, the
virtual account, and the 납세증명서 after paying."""

import re

import pytest
import requests
from sqlalchemy import event, func, select

from services.core import versions
from services.core.db import get_engine
from services.models import Request
from services.taxes.models import TaxPayment
from tests.support.procs import wait_for
from tests.tvapp.test_tv_screens import check_screen, csrf, pair

OVERDUE = "1144012608260000022"  # 주민세 10,000 + 300
DUE = "1144012611260000011"  # 자동차세 254,800
GOOD = dict(number="4111111111111111", expiry="1230", birth="480312", password2="12")


@pytest.fixture
def taxtv(demo, client, private_backend, monkeypatch):
    monkeypatch.setattr(demo.config, "BACKEND_URL", private_backend.url)
    demo.__dict__.pop("bridge", None)
    client.household_id = pair(client, demo)
    client.backend = private_backend
    yield client
    demo.__dict__.pop("bridge", None)


def html(resp):
    return resp.get_data(as_text=True)


def charges(tv):
    return requests.get(tv.backend.url + "/pay/v1/admin/stats", timeout=5).json()["charges"]


def card_screen(tv, epay=OVERDUE):
    page = html(tv.get("/tv/taxes/bill/%s/card" % epay))
    check_screen(page, "/tv/taxes/bill/%s" % epay)
    order_id = re.search(r'action="/tv/taxes/pay/([^/]+)/card"', page).group(1)
    return page, order_id


def pay(tv, page, order_id, **card):
    total = re.search(r'name="total" value="(\d+)"', page).group(1)
    return tv.post("/tv/taxes/pay/%s/card" % order_id, data=dict(card or GOOD, total=total, csrf_token=csrf(page)))


def test_bills_unpaid_first_with_korean_amounts_dates_and_late_charge(taxtv):
    page = html(taxtv.get("/tv/taxes/"))
    check_screen(page, "/tv/")
    assert "납부할 고지서 2건, 모두 265,100원입니다." in page
    assert page.index("주민세") < page.index("자동차세")  # overdue first
    assert "10,300원" in page and "납기 지남" in page and "254,800원" in page and "까지" in page
    page = html(taxtv.get("/tv/taxes/bill/%s" % OVERDUE))
    check_screen(page, "/tv/taxes/")
    assert "1144-0126-0826-0000-022" in page
    assert "본세 10,000원 + 가산금 300원" in page and "(납기 지남)" in page
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일", page)
    assert "영수증: 메일 y" in page  # the payer's registered email, masked
    page = html(taxtv.get("/tv/taxes/history"))
    check_screen(page, "/tv/taxes/")
    assert "186,420원" in page and "납부" in page


def test_back_end_down_shows_a_calm_screen(taxtv):
    taxtv.backend.stop()
    r = taxtv.get("/tv/taxes/")
    assert r.status_code == 503
    check_screen(html(r), "/tv/")
    assert "구청 시스템에 연결할 수 없어" in html(r) and "아무것도 결제되지 않았습니다" in html(r)


def test_three_presses_of_ok_make_one_charge_and_the_certificate_is_then_possible(taxtv, demo):
    page, order_id = card_screen(taxtv)
    assert "10,300원 납부하기" in page
    again, same = card_screen(taxtv)
    assert same == order_id  # fixed when the confirm screen was first shown
    results = [pay(taxtv, page, order_id) for _ in range(3)]
    assert all(r.status_code == 302 and r.location.endswith("/tv/taxes/result/" + order_id) for r in results)
    assert charges(taxtv) == 1
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(TaxPayment).where(TaxPayment.status == "paid")) == 1
        assert s.scalar(select(func.count()).select_from(Request).where(Request.kind == "tax_payment")) == 1
    result = html(taxtv.get("/tv/taxes/result/" + order_id))
    check_screen(result, "/tv/taxes/")
    assert "주민세 10,300원을 납부했습니다." in result and "영수증을 메일" in result
    assert "4111" not in result and "납세증명서 받기: 메일 y" in result  # in one press, to the payer's registered email
    # The pipeline (run here in-process) tells the back end and issues the receipt.
    from services import pipeline

    with demo.session() as s:
        rid = s.scalar(select(TaxPayment.request_id).where(TaxPayment.order_id == order_id))
    pipeline.process_request(rid)
    bill = requests.get(taxtv.backend.url + "/admin/bills/" + OVERDUE, timeout=5).json()
    assert bill["paid"] and bill["payment_ref"] == order_id
    assert "1144-0126-0826-0000-022" not in html(taxtv.get("/tv/taxes/"))
    assert "10,300원" in html(taxtv.get("/tv/taxes/history"))
    # 나의 민원 has it, with its timeline.
    receipt = re.search(r'id="receipt">([\d-]+)<', result).group(1)
    detail = html(taxtv.get("/tv/requests/" + receipt))
    check_screen(detail, "/tv/requests/")
    assert "지방세 납부" in detail and "납부 완료" in detail and "구청 수납 확인" in detail
    # The 납세증명서 is no longer refused for the payer.
    record = demo.bridge.record(request_ref="t-1", certificate_type="tax-payment", household_code="1144012-0001",
                                resident_ref="R1001", options={}, idempotency_key="t-1:record")
    assert record["certificate_type"] == "tax-payment"


def test_wrong_card_lengths_are_caught_before_sending(taxtv):
    page, order_id = card_screen(taxtv)
    assert "data-card-form" in page and "카드 번호 16자리를 모두 입력해 주세요." in taxtv.get(
        "/static/taxes/taxes.js").get_data(as_text=True)
    r = pay(taxtv, page, order_id, **dict(GOOD, number="41111111", birth="4803"))
    assert r.status_code == 422
    check_screen(html(r), "/tv/taxes/bill/%s" % OVERDUE)
    assert "카드 번호는 16자리입니다." in html(r) and "41111111" not in html(r)
    assert requests.get(taxtv.backend.url + "/pay/v1/admin/stats", timeout=5).json()["orders"] == {}


def test_decline_is_a_plain_korean_sentence_and_nothing_charged(taxtv):
    page, order_id = card_screen(taxtv)
    pay(taxtv, page, order_id, **dict(GOOD, number="4000000000000002"))
    result = html(taxtv.get("/tv/taxes/result/" + order_id))
    check_screen(result, "/tv/taxes/")
    assert "카드 잔액(한도)이 부족합니다." in result and "요금은 청구되지 않았습니다." in result
    assert charges(taxtv) == 0
    assert card_screen(taxtv)[1] != order_id  # a new try is a new order


def test_paid_elsewhere_is_refused_before_any_charge(taxtv):
    page, order_id = card_screen(taxtv)
    requests.post(taxtv.backend.url + "/admin/bills/" + OVERDUE, json={"paid": True}, timeout=5)
    pay(taxtv, page, order_id)
    result = html(taxtv.get("/tv/taxes/result/" + order_id))
    assert "이미 납부된 고지서입니다." in result and charges(taxtv) == 0


def test_a_card_screen_shown_again_writes_nothing(taxtv, demo):
    """The first showing opens the order; showing it again (Back and OK, a
    second box, a lost copy) finds the order as it left it: no write, no
    household counter bumped, the same order - whether the receipt goes to
    the payer's email or, as chosen here, nowhere."""
    writes = []

    def seen(conn, cursor, statement, *_):
        if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA")):
            writes.append(statement.split(None, 3)[:3])

    engine = get_engine(demo.config.DATABASE_URL)
    counter = versions.household_key(taxtv.household_id)
    for use in ("email", "none"):
        page = html(taxtv.get("/tv/taxes/bill/%s/receipt" % DUE))
        assert taxtv.post("/tv/taxes/bill/%s/receipt" % DUE,
                          data=dict(use=use, csrf_token=csrf(page))).status_code == 302
        first, order_id = card_screen(taxtv, DUE)
        assert ("영수증: 메일 " if use == "email" else "영수증: 받지 않음") in first
        before = demo.redis.get(counter)
        event.listen(engine, "before_cursor_execute", seen)
        try:
            again, again_id = card_screen(taxtv, DUE)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert again_id == order_id and writes == [], writes
        assert demo.redis.get(counter) == before
        assert again.count("영수증: ") == first.count("영수증: ") and "254,800원" in again
    assert charges(taxtv) == 0


def test_receipt_destination_screen(taxtv):
    page = html(taxtv.get("/tv/taxes/bill/%s/receipt" % DUE))
    check_screen(page, "/tv/taxes/bill/%s" % DUE)
    r = taxtv.post("/tv/taxes/bill/%s/receipt" % DUE, data=dict(use="fax", fax="0212345678", csrf_token=csrf(page)))
    assert r.status_code == 302
    assert "영수증: 팩스 02-" in html(taxtv.get("/tv/taxes/bill/%s" % DUE))


def test_phone_payment_page_and_the_tv_following_along(taxtv, demo):
    page = html(taxtv.get("/tv/taxes/bill/%s/phone" % DUE))
    check_screen(page, "/tv/taxes/bill/%s" % DUE)
    url = re.search(r'data-qr="([^"]+)"', page).group(1)
    poll = re.search(r'data-live="([^"]+)"', page).group(1)
    assert taxtv.get(poll).get_json()["done"] is False
    phone = taxtv.application.test_client()
    path = url.split("://", 1)[1].split("/", 1)[1]
    form = html(phone.get("/" + path))
    assert "254,800원" in form and "1144-0126-1126-0000-011" in form
    r = phone.post("/" + path, data=dict(GOOD, csrf_token=csrf(form)))
    assert r.status_code == 200 and "254,800원을 납부했습니다" in html(r)
    r2 = phone.post("/" + path, data=dict(GOOD, csrf_token=csrf(form)))
    assert "납부했습니다" in html(r2)
    assert taxtv.get(poll).get_json() == {"done": True, "status": "paid",
                                          "message": "자동차세 254,800원을 납부했습니다."}
    assert charges(taxtv) == 1


def test_virtual_account_screen_turns_paid_after_the_transfer(taxtv, demo):
    page = html(taxtv.get("/tv/taxes/bill/%s/account" % DUE))
    check_screen(page, "/tv/taxes/")
    number = re.search(r'id="account-number">([\d-]+)<', page).group(1).replace("-", "")
    assert "254,800원" in page and "신한은행" in page
    requests.post(taxtv.backend.url + "/pay/v1/sandbox/deposits", json={"accountNumber": number, "amount": 254800},
                  timeout=5).raise_for_status()
    from services import pipeline

    with demo.session() as s:
        p = s.scalar(select(TaxPayment).where(TaxPayment.epay_no == DUE))
        order_id, rid = p.order_id, p.request_id
    wait_for(lambda: pipeline.process_request(rid) in ("delivered", "completed", "done"), 20, "deposit seen")
    result = html(taxtv.get("/tv/taxes/result/" + order_id))
    check_screen(result, "/tv/taxes/")
    assert "254,800원을 납부했습니다" in result
    assert requests.get(taxtv.backend.url + "/admin/bills/" + DUE, timeout=5).json()["paid"]


def test_receipt_to_a_remembered_fax_number(taxtv, demo):
    page = html(taxtv.get("/tv/taxes/bill/%s/receipt" % DUE))
    assert 'id="receipt-saved' not in page
    taxtv.post("/tv/taxes/bill/%s/receipt" % DUE, data=dict(use="fax", fax="0221531234", csrf_token=csrf(page)))
    page = html(taxtv.get("/tv/taxes/bill/%s/receipt" % DUE))  # remembered: one press next time
    check_screen(page, "/tv/taxes/bill/%s" % DUE)
    place = re.search(r'name="place" value="(d\d+)"', page).group(1)
    assert "02-2153-1234" in page
    r = taxtv.post("/tv/taxes/bill/%s/receipt" % DUE, data=dict(use="saved", place=place, csrf_token=csrf(page)))
    assert r.status_code == 302
    assert "영수증: 팩스 02-" in html(taxtv.get("/tv/taxes/bill/%s" % DUE))
    r = taxtv.post("/tv/taxes/bill/%s/receipt" % DUE, data=dict(use="saved", place="d999999", csrf_token=csrf(page)))
    assert r.status_code == 422 and "찾을 수 없습니다" in html(r)


def test_a_card_sent_with_redis_down_is_typed_again_on_its_own_screen(taxtv, demo, monkeypatch):
    """Redis gone as 결제하기 is pressed: the calm 503 says the card is typed again (its digits are
    never kept on the box), 다시 해 보기 leads to the bill's card screen (not the bills), and
    nothing was charged."""
    page, order_id = card_screen(taxtv)
    before, real = charges(taxtv), demo.config.REDIS_URL
    monkeypatch.setattr(demo.config, "REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    r = pay(taxtv, page, order_id)
    assert r.status_code == 503
    text = html(r)
    assert "카드 정보는 안전을 위해 남기지 않으니 다시 입력해 주세요." in text
    assert "입력하신 내용은 그대로 있습니다" not in text
    retry = re.search(r'id="calm-ok"[^>]*href="([^"]+)"|href="([^"]+)"[^>]*id="calm-ok"', text)
    href = retry.group(1) or retry.group(2)
    assert href == "/tv/taxes/pay/%s/card" % order_id
    monkeypatch.setattr(demo.config, "REDIS_URL", real)
    again = taxtv.get(href)
    assert again.status_code == 302 and again.headers["Location"].endswith("/tv/taxes/bill/%s/card" % OVERDUE)
    assert charges(taxtv) == before
    assert taxtv.get("/tv/taxes/pay/no-such-order/card").headers["Location"].endswith("/tv/taxes/")
