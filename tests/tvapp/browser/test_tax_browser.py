"""Issue 6's proof: a demo bill paid by card with the remote alone in real
Chromium (HbbTV key codes, 1280x720), OK pressed again and again, makes one
charge; the receipt arrives by email at a real SMTP server; the bill shows
paid on the TV and at the back end. Every tax screen is checked (text size,
safe area) and photographed into test-artifacts/taxes/."""

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import requests
from sqlalchemy import select

from services import pipeline
from services.taxes.models import TaxPayment
from tests.support.smtp import SmtpServer
from tests.tvapp.browser.test_tv_browser import check_screen, go, press_nav

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "taxes"
OVERDUE = "1144012608260000022"
DUE = "1144012611260000011"


@pytest.fixture
def smtp(demo, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setattr(demo.config, "SMTP_URL", server.url)  # the app's too: one Config
    yield server
    server.stop()


@pytest.fixture
def own_backend(demo, private_backend, monkeypatch):
    """Paying changes the back end's bills: use one of the test's own."""
    monkeypatch.setattr(demo.config, "BACKEND_URL", private_backend.url)
    demo.__dict__.pop("bridge", None)
    yield private_backend
    demo.__dict__.pop("bridge", None)


@pytest.fixture
def shots():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def type_digits(tv, digits):
    for d in digits:
        tv.press(d)


def test_pay_a_bill_by_card_with_the_remote(own_backend, server, demo, tv, shots, smtp):
    tv.page.goto(server + "/tv/simulator")  # pairs this box to 1144012-0001
    go(tv, server + "/tv/")
    for _ in range(6):
        if tv.focused_id() == "tile-taxes":
            break
        tv.press("RIGHT")
    assert tv.focused_id() == "tile-taxes"
    press_nav(tv, "OK", "/tv/taxes/")
    check_screen(tv, shots, "tax-bills")
    assert "10,300원" in tv.page.inner_text("#bills")
    press_nav(tv, "1", "/tv/taxes/bill/" + OVERDUE)  # number key 1: the overdue 주민세
    check_screen(tv, shots, "tax-bill")
    assert "1144-0126-0826-0000-022" in tv.page.inner_text("#bill-facts")
    assert tv.focused_id() == "method-phone"
    tv.press("RIGHT")
    assert tv.focused_id() == "method-card"
    press_nav(tv, "OK", "/tv/taxes/bill/%s/card" % OVERDUE)
    check_screen(tv, shots, "tax-card-empty")
    assert tv.focused_id() == "card-number"

    # A field of the wrong length is caught on the box: nothing is sent.
    type_digits(tv, "41111111")
    for _ in range(4):
        tv.press("DOWN")
        if tv.focused_id() == "card-pay":
            break
    assert tv.focused_id() == "card-pay"
    tv.press("OK")
    tv.page.wait_for_selector("#card-check:not([hidden])")
    assert "16자리" in tv.page.inner_text("#card-check")
    check_screen(tv, shots, "tax-card-check")
    assert requests.get(own_backend.url + "/pay/v1/admin/stats", timeout=5).json()["orders"] == {}

    # Now properly: number, expiry, birth date, two password digits.
    tv.page.focus("#card-number")
    type_digits(tv, "41111111")
    assert tv.page.input_value("#card-number-value") == "4111111141111111"
    tv.page.focus("#card-expiry")
    type_digits(tv, "1230")
    tv.page.focus("#card-birth")
    type_digits(tv, "480312")
    tv.page.focus("#card-pw")
    type_digits(tv, "12")
    assert tv.page.evaluate("window.sessionStorage") is None  # card digits are never kept on the box
    check_screen(tv, shots, "tax-card-filled")
    tv.page.focus("#card-pay")
    from playwright.sync_api import Error as PlaywrightError

    with tv.page.expect_navigation(url=re.compile(r"/tv/taxes/result/")):
        tv.press("OK")
        for _ in range(3):  # impatient presses
            try:
                tv.press("OK")
            except PlaywrightError:
                pass
    tv.page.wait_for_load_state("networkidle")
    check_screen(tv, shots, "tax-result-paid")
    assert "주민세 10,300원을 납부했습니다." in tv.page.inner_text("#result-text")
    assert "4111" not in tv.page.content()
    stats = requests.get(own_backend.url + "/pay/v1/admin/stats", timeout=5).json()
    assert stats["charges"] == 1

    with demo.session() as s:
        p = s.scalar(select(TaxPayment).where(TaxPayment.epay_no == OVERDUE))
        rid, order_id = p.request_id, p.order_id
    assert pipeline.process_request(rid) == "delivered"  # what a worker does with the job
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert "지방세 납부 영수증" in msg["Subject"]
    data = next(msg.iter_attachments()).get_content()
    text = pdfium.PdfDocument(data)[0].get_textpage().get_text_range()
    assert "김영수" in text and "10,300원" in text and "문서확인번호" in text

    bill = requests.get(own_backend.url + "/admin/bills/" + OVERDUE, timeout=5).json()
    assert bill["paid"] and bill["payment_ref"] == order_id
    assert own_backend.stats()["tax_payments"] == 1

    go(tv, server + "/tv/taxes/result/" + order_id)
    check_screen(tv, shots, "tax-result-timeline")
    assert "구청 수납 확인" in tv.page.inner_text("#timeline") or "전달" in tv.page.inner_text("#timeline")
    go(tv, server + "/tv/taxes/")
    assert OVERDUE not in tv.page.content()
    check_screen(tv, shots, "tax-bills-after")
    press_nav(tv, "GREEN", "/tv/taxes/history")
    check_screen(tv, shots, "tax-history")
    assert "10,300원" in tv.page.inner_text("#paid-list")
    assert requests.get(own_backend.url + "/pay/v1/admin/stats", timeout=5).json()["charges"] == 1


def test_other_tax_screens_look_right(own_backend, server, demo, tv, shots):
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/taxes/bill/%s/receipt" % DUE)
    check_screen(tv, shots, "tax-receipt-to")
    go(tv, server + "/tv/taxes/bill/%s/phone" % DUE)
    check_screen(tv, shots, "tax-phone")
    go(tv, server + "/tv/taxes/bill/%s/account" % DUE)
    check_screen(tv, shots, "tax-account")
    # A decline, shown in plain Korean.
    go(tv, server + "/tv/taxes/bill/%s/card" % OVERDUE)
    for field, digits in (("#card-number", "4000000000000002"), ("#card-expiry", "1230"),
                          ("#card-birth", "480312"), ("#card-pw", "12")):
        tv.page.focus(field)
        type_digits(tv, digits)
    tv.page.focus("#card-pay")
    with tv.page.expect_navigation(url=re.compile(r"/tv/taxes/result/")):
        tv.press("OK")
    tv.page.wait_for_load_state("networkidle")
    check_screen(tv, shots, "tax-result-declined")
    assert "잔액" in tv.page.inner_text("#result-text")
    own_backend.stop()
    go(tv, server + "/tv/taxes/")
    check_screen(tv, shots, "tax-backend-down")


def test_the_tv_follows_a_payment_made_on_the_phone(own_backend, server, demo, tv, shots):
    """The TV sits on the phone screen; the phone pays (HTTP, as a phone would);
    the TV moves to the result by itself, no key pressed."""
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/taxes/bill/" + DUE)
    assert tv.focused_id() == "method-phone"  # the phone comes first
    press_nav(tv, "OK", "/tv/taxes/bill/%s/phone" % DUE)
    check_screen(tv, shots, "tax-phone-waiting")
    url = tv.page.get_attribute("img[data-qr]", "data-qr")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    phone = requests.Session()
    form = phone.get(server + path, timeout=10).text
    assert "254,800원" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    pressed = tv.presses
    with tv.page.expect_navigation(url=re.compile(r"/tv/taxes/result/"), timeout=30000):
        r = phone.post(server + path, data=dict(number="4111111111111111", expiry="1230", birth="480312",
                                                password2="12", csrf_token=token), timeout=10)
        assert r.status_code == 200 and "254,800원을 납부했습니다" in r.text
    tv.wait_ready()
    assert tv.presses == pressed  # the TV moved by itself
    assert "자동차세 254,800원을 납부했습니다." in tv.page.inner_text("#result-text")
    assert tv.focused_id() == "result-cert-quick"  # the 납세증명서 next, in one press
    check_screen(tv, shots, "tax-result-after-phone")
    assert requests.get(own_backend.url + "/pay/v1/admin/stats", timeout=5).json()["charges"] == 1
