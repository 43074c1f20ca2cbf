"""Walk every TV screen with a real remote (HbbTV key codes through the
DevTools protocol) at exactly 1280x720: focus moves, Back and focus
restoration, minimum text size, the title-safe area; a screenshot of each
screen goes to test-artifacts/tv/."""

from __future__ import annotations

import pytest

from services import ledger
from services.households import get_household
from services.models import utcnow

pytestmark = pytest.mark.browser

HOUSEHOLD = "1144012-0001"


def add_requests(rt):
    with rt.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        made = []
        for i, (ctype, events) in enumerate([
            ("resident-copy", [("sent_to_backend", {}), ("accepted", {}), ("issued", {}),
                               ("delivering", {"page": 1, "pages": 3}),
                               ("delivering", {"page": 2, "pages": 3})]),
            ("land-register", [("sent_to_backend", {}),
                               ("waiting", {"message": "구청 시스템 점검 중 (10시에 다시 시도)"})]),
            ("tax-payment", [("sent_to_backend", {}), ("accepted", {}), ("issued", {}),
                             ("delivering", {"page": 1, "pages": 1}), ("delivered", {}),
                             ("completed", {})]),
            ("building-register", [("failed", {"message": "팩스 번호가 응답하지 않습니다"})]),
        ]):
            req, _ = ledger.create_request(
                s, rt.crypto, client_token="browser-%d-%s" % (i, utcnow().timestamp()),
                kind="certificate", household_id=hid, resident_id=None, channel="tv",
                delivery_method="fax", delivery_address="02-1234-5678",
                options={"certificate_type": ctype})
            for j, (kind, detail) in enumerate(events):
                ledger.append_event(s, req.id, "%s-%d" % (kind, j), kind, detail)
            req.status = {"completed": "completed", "failed": "failed", "delivering": "delivering",
                          "waiting": "submitted"}[events[-1][0]]
            made.append(req.receipt_no)
        return made


def ready(tv):
    tv.wait_ready()
    tv.use_fake_clock()


def go(tv, url):
    tv.goto(url)
    tv.use_fake_clock()


def press_nav(tv, key, path):
    """Press a key that loads another screen; wait for it."""
    with tv.page.expect_navigation():
        tv.press(key)
    assert tv.page.url.split("?")[0].endswith(path) or path in tv.page.url, tv.page.url
    ready(tv)


def check_screen(tv, artifacts, name):
    assert tv.viewport() == {"width": 1280, "height": 720}
    tv.screenshot(artifacts / ("%s.png" % name))
    assert tv.small_text(30) == [], tv.small_text(30)
    assert tv.outside_safe_area() == [], tv.outside_safe_area()
    tv.screenshot(artifacts / ("%s.png" % name))


def test_walk_every_screen_and_back(server, demo, tv, artifacts):
    receipts = add_requests(demo)
    tv.page.goto(server + "/tv/simulator")   # pairs this browser to the first demo household
    go(tv, server + "/tv/")
    assert tv.focused_id() == "tile-certificates"
    check_screen(tv, artifacts, "home")

    # Home -> 나의 민원 -> detail -> back, focus restored at each level
    tv.press("DOWN")
    assert tv.focused_id() == "tile-requests"
    press_nav(tv, "OK", "/tv/requests/")
    check_screen(tv, artifacts, "requests")
    first = "req-%s" % receipts[-1]  # newest first
    assert tv.focused_id() == first
    tv.press("DOWN")
    second = tv.focused_id()
    assert second == "req-%s" % receipts[-2]
    press_nav(tv, "OK", "/tv/requests/%s" % receipts[-2])
    assert tv.focused_id() == "detail-back"
    check_screen(tv, artifacts, "request-failed")
    press_nav(tv, "BACK", "/tv/requests/")
    assert tv.focused_id() == second
    tv.press("DOWN")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/requests/%s" % receipts[0])
    assert "2/3 페이지 전송 중" in tv.page.inner_text("#timeline")
    check_screen(tv, artifacts, "request-delivering")
    press_nav(tv, "BACK", "/tv/requests/")
    press_nav(tv, "4", "/tv/requests/%s" % receipts[0])   # number keys pick rows
    press_nav(tv, "BACK", "/tv/requests/")
    press_nav(tv, "BACK", "/tv/")
    assert tv.focused_id() == "tile-requests"

    # Settings, help, practice
    tv.press("RIGHT")
    assert tv.focused_id() == "tile-settings"
    press_nav(tv, "OK", "/tv/settings/")
    assert tv.focused_id() == "lang-ko"
    check_screen(tv, artifacts, "settings")
    tv.press("DOWN")
    tv.press("DOWN")
    assert tv.focused_id() == "help-remote"
    press_nav(tv, "OK", "/tv/settings/help")
    check_screen(tv, artifacts, "help")
    press_nav(tv, "BACK", "/tv/settings/")
    assert tv.focused_id() == "help-remote"

    # The unpair dialog: Back closes it, focus comes back
    tv.press("DOWN")
    assert tv.focused_id() == "unpair-open"
    tv.press("OK")
    assert tv.focused_id() == "unpair-no"
    check_screen(tv, artifacts, "settings-unpair-dialog")
    tv.press("BACK")
    assert tv.focused_id() == "unpair-open"
    assert tv.page.is_hidden("#unpair-dialog")

    press_nav(tv, "BACK", "/tv/")
    assert tv.focused_id() == "tile-settings"

    # Back on home asks to exit; Back again stays
    tv.press("BACK")
    assert tv.focused_id() == "rn-exit-no"
    assert "끝낼까요" in tv.page.inner_text("#rn-exit")
    check_screen(tv, artifacts, "home-exit")
    tv.press("BACK")
    assert tv.focused_id() == "tile-settings"

    # Colour legend and layout reads: the runtime never measures at key time
    reads = tv.layout_reads()
    tv.press("LEFT")
    tv.press("RIGHT")
    assert tv.layout_reads() == reads


def test_number_pad_and_phone_handoff(server, demo, tv, browser, artifacts):
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/settings/practice")
    assert tv.focused_id() == "fax"
    for d in "0212345678":
        tv.press(d)
    assert tv.page.inner_text("#fax .np-text") == "02-1234-5678"
    assert tv.page.input_value("#fax-value") == "0212345678"
    tv.press("RED")          # deletes the last digit (legend: 한 글자 지우기)
    assert tv.page.inner_text("#fax .np-text") == "02-123-4567"
    assert "한 글자 지우기" in tv.page.inner_text("[data-nav-legend]")
    tv.press("DOWN")
    tv.press("OK")           # the on-screen pad
    assert tv.page.inner_text("#fax .np-text") == "02-1234-5671"

    # The phone: open the QR's page in another browser context and type
    poll = tv.page.get_attribute("#email", "data-ho-poll")
    token = poll.rsplit("/", 1)[1].removesuffix(".json")
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 800})
    phone = phone_ctx.new_page()
    phone.goto(server + "/m/h/" + token)
    phone.type("#value", "kim@example.kr")
    tv.page.wait_for_function("() => document.querySelector('#email .ho-text').textContent === 'kim@example.kr'")
    phone.click("#send")
    assert "TV로 보냈습니다" in phone.inner_text("h1")
    phone_ctx.close()
    check_screen(tv, artifacts, "practice")

    # Back and forth: nothing typed is lost
    press_nav(tv, "BACK", "/tv/settings/")
    go(tv, server + "/tv/settings/practice")
    assert tv.page.inner_text("#fax .np-text") == "02-1234-5671"


def test_text_size_and_language(server, demo, tv, artifacts):
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/settings/")
    tv.press("DOWN")
    tv.press("RIGHT")
    assert tv.focused_id() == "size-large"
    press_nav(tv, "OK", "/tv/settings/")
    assert tv.page.get_attribute("html", "class") == "rn-text-large"
    assert tv.focused_id() == "size-large"
    assert tv.small_text(34) == []
    check_screen(tv, artifacts, "settings-large")
    go(tv, server + "/tv/")
    check_screen(tv, artifacts, "home-large")
    go(tv, server + "/tv/settings/")
    assert tv.focused_id() == "size-large"   # focus memory survives the reload
    tv.press("UP")
    tv.press("RIGHT")
    assert tv.focused_id() == "lang-en"
    press_nav(tv, "OK", "/tv/settings/")
    assert "Language" in tv.page.inner_text("body")
    go(tv, server + "/tv/")
    check_screen(tv, artifacts, "home-english")


def test_pairing_and_error_screens(server, demo, tv, artifacts):
    go(tv, server + "/tv/")   # a new box: sent to pairing
    assert tv.page.url.endswith("/tv/pair")
    assert tv.focused_id() == "pair-help"
    check_screen(tv, artifacts, "pair")
    press_nav(tv, "OK", "/tv/settings/help")
    press_nav(tv, "BACK", "/tv/pair")
    assert tv.focused_id() == "pair-help"
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/no-such-screen")
    assert tv.focused_id() == "calm-ok"
    check_screen(tv, artifacts, "error-404")
    press_nav(tv, "BACK", "/tv/")


def test_simulator_remote_picture(server, demo, browser, artifacts):
    ctx = browser.new_context(viewport={"width": 1600, "height": 900})
    page = ctx.new_page()
    page.goto(server + "/tv/simulator")
    frame = page.frame_locator("#tv")
    tv_frame = page.frame(name="tv")
    tv_frame.wait_for_function("() => window.RemoteNav && RemoteNav.current() === 'tile-certificates'")
    tv_frame.evaluate("RemoteNav.setClock(function () { return (window.__t = (window.__t || 0) + 1000); })")
    page.click('button[data-key="DOWN"]')
    assert tv_frame.evaluate("RemoteNav.current()") == "tile-requests"
    page.click('button[data-key="OK"]')
    tv_frame.wait_for_url("**/tv/requests/")
    tv_frame.wait_for_function("() => window.RemoteNav && RemoteNav.current() !== null")
    page.click('button[data-key="BACK"]')
    tv_frame.wait_for_url("**/tv/")
    tv_frame.wait_for_function("() => window.RemoteNav && RemoteNav.current() === 'tile-requests'")
    page.keyboard.press("ArrowRight")  # the page's own keyboard works too
    tv_frame.wait_for_function("() => RemoteNav.current() === 'tile-settings'")
    assert frame.locator("#tile-settings").count() == 1
    page.screenshot(path=str(artifacts / "simulator.png"))
    ctx.close()
