"""Issue 17 item 3 with the remote: a fax meets a busy line; the request's
screen shows it and offers 신청 취소 (RED) and 메일로 받기 (YELLOW); after
the choice the screen follows what happens by itself (no key pressed) until
the outcome. A whole back office (job worker, fax worker on the sandbox line
where a number ending 0000 is busy, a real SMTP server), the app served in a
thread, real Chromium at 1280x720."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.support.procs import wait_for
from tests.support.smtp import SmtpServer
from tests.support.world import events, make, receipt, statuses, world  # noqa: F401
from tests.tvapp.browser.test_request_timeline_browser import BUSY, check_screen_top
from tests.tvapp.browser.test_tv_browser import go, press_nav
from tvapp import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def office(world, smtp):  # noqa: F811
    """The back office running, and the app on it served in a thread."""
    world.set(SMTP_URL=smtp.url, FAX_SANDBOX_PAGE_SECONDS="0.1", FAX_POLL="0.1")
    world.worker()
    world.fax_worker()
    app = create_app(world.runtime.config)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    world.url = "http://127.0.0.1:%d" % srv.server_port
    yield world
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def busy_request(office, tv, token):
    rid = make(office.runtime, token, resident_ref="R1003", method="fax", address="02-2153-0000")
    wait_for(lambda: any(k == "waiting" and d.get("reason") == "fax_retry" for k, d in events(office.runtime, rid)),
             90, "a busy line")
    no = receipt(office.runtime, rid)
    tv.page.goto(office.url + "/tv/simulator")   # pairs the box to the first demo household
    go(tv, office.url + "/tv/requests/%s" % no)
    assert BUSY in tv.page.inner_text("#timeline")
    assert tv.page.locator("script[src*='live.js']").count() == 1
    legend = tv.page.inner_text("[data-nav-legend]")
    assert "신청 취소" in legend and "메일로 받기" in legend
    for button in ("detail-back", "detail-cancel", "detail-switch"):  # all on screen
        box = tv.page.locator("#" + button).bounding_box()
        assert 64 <= box["x"] and box["x"] + box["width"] <= 1216, (button, box)
    return rid, no


def wait_text(tv, selector, text, timeout=60000):
    """Wait for the screen to show ``text`` by itself (live.js reloads it)."""
    tv.page.wait_for_function(
        "([s, t]) => { const e = document.querySelector(s); return !!e && e.innerText.indexOf(t) >= 0; }",
        arg=[selector, text], timeout=timeout)


def test_busy_fax_switched_to_email_with_the_remote(office, tv, smtp, artifacts):
    rid, no = busy_request(office, tv, "browser-switch")
    check_screen_top(tv, artifacts, "fax-trouble")
    press_nav(tv, "YELLOW", "/tv/requests/%s/switch" % no)
    assert tv.focused_id() == "action-ok"
    assert "mi***@example.com" in tv.page.inner_text("#action-email")
    assert "minjun.kim@example.com" not in tv.page.content()
    press_nav(tv, "OK", "/tv/requests/%s" % no)
    assert "메일로 바꿈" in tv.page.inner_text("#timeline")
    wait_text(tv, ".req-summary", "전달 완료")   # no key pressed: the screen followed the request
    lines = tv.page.text_content("#timeline")  # every step (the box shows a page of them at a time)
    assert lines.index("문자 알림 보냄") < lines.index("전달 완료") < lines.index("팩스 멈춤") < lines.index("메일로 바꿈")
    shown = tv.page.inner_text("#timeline")  # the newest on the first page
    assert "문자 알림 보냄" in shown and "전달 완료" in shown
    assert tv.page.locator("#detail-switch").count() == 0 and tv.page.locator("#detail-cancel").count() == 0
    check_screen_top(tv, artifacts, "fax-trouble-switched")
    assert statuses(office.runtime, [rid])[rid] == "delivered"
    assert len(smtp.messages) == 1


def test_busy_fax_cancelled_with_the_remote(office, tv, smtp, artifacts):
    rid, no = busy_request(office, tv, "browser-cancel")
    press_nav(tv, "RED", "/tv/requests/%s/cancel" % no)
    assert tv.focused_id() == "action-ok"
    press_nav(tv, "OK", "/tv/requests/%s" % no)
    assert "취소됨" in tv.page.inner_text(".req-summary")
    wait_text(tv, "#timeline", "팩스 멈춤")   # the fax server stopped it; the screen followed by itself
    assert tv.page.locator("script[src*='live.js']").count() == 0  # nothing left to follow
    check_screen_top(tv, artifacts, "fax-trouble-cancelled")
    assert statuses(office.runtime, [rid])[rid] == "cancelled"
    assert smtp.messages == []


def test_email_the_server_does_not_take_sent_by_fax_typed_on_the_number_pad(office, tv, smtp, artifacts):
    smtp.handler.refuse_all = "451 4.3.0 try again later"
    rid = make(office.runtime, "browser-mail", resident_ref="R1003", address="minjun.kim@example.com")
    wait_for(lambda: any(d.get("reason") == "smtp_temporary" for k, d in events(office.runtime, rid)),
             60, "the mail server's 4xx")
    no = receipt(office.runtime, rid)
    tv.page.goto(office.url + "/tv/simulator")
    go(tv, office.url + "/tv/requests/%s" % no)
    assert "팩스로 받기" in tv.page.inner_text("[data-nav-legend]")
    press_nav(tv, "YELLOW", "/tv/requests/%s/switch" % no)
    assert tv.focused_id() == "fax"
    for d in "0607001234":  # refused: the screen says why, the number selected for the next digits
        tv.press(d)
    tv.press("DOWN")
    assert tv.focused_id() == "action-ok"
    press_nav(tv, "OK", "/tv/requests/%s/switch" % no)
    assert "060" in tv.page.inner_text("#action-error")
    assert tv.focused_id() == "fax"
    check_screen_top_free(tv, artifacts, "mail-trouble-refused")
    for d in "0221534321":
        tv.press(d)
    assert tv.page.inner_text("#fax .np-text") == "02-2153-4321"
    tv.press("DOWN")
    smtp.handler.refuse_all = None  # the mail server would take it now: it must not get it
    with tv.page.expect_navigation():
        tv.press("OK")
    tv.page.wait_for_url("**/tv/requests/%s" % no)
    assert "팩스로 바꿈" in tv.page.inner_text("#timeline")
    wait_text(tv, ".req-summary", "전달 완료")   # followed by itself
    assert "02-****-4321" in tv.page.inner_text(".req-summary")
    assert statuses(office.runtime, [rid])[rid] == "delivered"
    assert smtp.messages == []


def check_screen_top_free(tv, artifacts, name):
    tv.screenshot(artifacts / ("%s.png" % name))
    assert tv.small_text(30) == [], tv.small_text(30)
