"""News in real Chromium: a console flow (login, draft, submit, approve),
the 지역 소식 screens walked with the remote at 1280x720 (text >= 30 px,
title-safe, article pages that never overflow), and a live ticker: published
by an approver in the console, it reaches an open TV page through real Redis
pub/sub and server-sent events within 2 seconds. Screenshots go to
test-artifacts/news/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from broadcast_feed import demo as news_demo
from broadcast_feed import push, store, workflow
from remote_nav.driver import TvDriver
from services.models import utcnow

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "news"
LOGINS = {u: p for u, p, _ in workflow.DEMO_OPERATORS}


@pytest.fixture
def news_server(demo, app, monkeypatch):
    """The app in a thread with the demo households and demo news."""
    monkeypatch.setattr(push, "STREAM_SECONDS", 5.0)  # streams end soon; EventSource reconnects
    news_demo.seed(demo)
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % srv.server_port
    srv.shutdown()
    srv.server_close()
    thread.join(10)


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="ko-KR")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def tv(browser):
    driver = TvDriver.open(browser)
    yield driver
    driver.close()


def console_login(page, base, user):
    page.goto(base + "/console/login")
    page.fill("#username", user)
    page.fill("#password", LOGINS[user])
    with page.expect_navigation():
        page.click("#login-submit")
    assert page.url.endswith("/console/"), page.url


def console_logout(page):
    with page.expect_navigation():
        page.click("#logout")


def go(tv, url):
    tv.goto(url)
    tv.use_fake_clock()  # held-key throttling follows this clock, not the test's speed


def press_nav(tv, key):
    with tv.page.expect_navigation():
        tv.press(key)
    tv.wait_ready()
    tv.use_fake_clock()


def check_tv(tv, artifacts, name):
    assert tv.viewport() == {"width": 1280, "height": 720}
    tv.screenshot(artifacts / ("tv-%s.png" % name))
    assert tv.small_text(30) == [], tv.small_text(30)
    assert tv.outside_safe_area() == [], tv.outside_safe_area()


def test_console_flow_in_chromium(news_server, demo, desk, artifacts):
    with demo.session() as s:
        item = store.list_items(s, "ingested")[0]
        item_id, title = item.id, item.title
    page = desk
    page.goto(news_server + "/console/")
    assert "/console/login" in page.url
    page.screenshot(path=str(artifacts / "console-login.png"))
    console_login(page, news_server, "editor")
    page.screenshot(path=str(artifacts / "console-items.png"))
    with page.expect_navigation():
        page.click("a.item-link:has-text(%r)" % title[:20])
    assert page.url.endswith("/console/items/%d" % item_id)
    page.fill("#title", title + " (편집)")
    page.fill("#note", "제목 다듬기")
    with page.expect_navigation():
        page.click("#save")
    assert page.inner_text("#item-state") == "작성 중"
    with page.expect_navigation():
        page.click("#submit")
    assert page.inner_text("#item-state") == "승인 요청"
    assert page.locator("#publish").count() == 0  # editors cannot publish
    page.screenshot(path=str(artifacts / "console-item-editor.png"), full_page=True)
    console_logout(page)

    console_login(page, news_server, "approver")
    page.goto(news_server + "/console/items/%d" % item_id)
    frame = page.frame_locator("#preview")
    assert (title + " (편집)") in frame.locator("#article-title").inner_text()
    page.screenshot(path=str(artifacts / "console-item-approver.png"), full_page=True)
    with page.expect_navigation():
        page.click("#publish")
    assert page.inner_text("#item-state") == "게시 중"
    with demo.session() as s:
        assert store.live_item(s, item_id, utcnow()) is not None
    page.goto(news_server + "/console/audit")
    page.screenshot(path=str(artifacts / "console-audit.png"))
    assert "publish" in page.inner_text("#audit")


def test_tv_news_screens_with_the_remote(news_server, demo, tv, artifacts):
    tv.page.goto(news_server + "/tv/simulator")  # pairs this browser to the first demo household
    go(tv, news_server + "/tv/news/")
    with demo.session() as s:
        rows, _ = store.published_items(s, utcnow(), limit=5)
        first, second = rows[0].id, rows[1].id
    assert tv.focused_id() == "news-%d" % first
    assert tv.page.is_visible("#tv-ticker") and "한파" in tv.page.inner_text("#tv-ticker")
    check_tv(tv, artifacts, "news-list")
    tv.press("DOWN")
    assert tv.focused_id() == "news-%d" % second
    tv.press("UP")
    tv.press("UP")
    assert tv.focused_id().startswith("cat-")
    tv.press("DOWN")
    press_nav(tv, "OK")
    assert tv.page.url.endswith("/tv/news/%d" % first)
    assert tv.focused_id() == "article-text"
    check_tv(tv, artifacts, "news-article-1")
    box = "document.getElementById('article-text')"
    assert tv.page.evaluate("() => %s.scrollHeight <= %s.clientHeight + 1" % (box, box))
    press_nav(tv, "RIGHT")  # the arrow key turns the page
    assert tv.page.url.endswith("?p=2")
    assert tv.focused_id() == "article-text"
    assert tv.page.evaluate("() => %s.scrollHeight <= %s.clientHeight + 1" % (box, box))
    check_tv(tv, artifacts, "news-article-2")
    press_nav(tv, "LEFT")
    assert tv.page.url.endswith("?p=1")
    press_nav(tv, "BACK")
    assert tv.page.url.endswith("/tv/news/")


def test_ticker_reaches_an_open_tv_page_within_2_seconds(news_server, demo, tv, desk, artifacts):
    with demo.session() as s:
        for t in store.list_tickers(s):
            t.state = "expired"
    tv.page.goto(news_server + "/tv/simulator")
    tv.goto(news_server + "/tv/")
    assert tv.page.is_hidden("#tv-ticker")
    # the page has its live stream open once the first event has been rendered
    tv.page.wait_for_function(
        "() => document.getElementById('tv-ticker').hasAttribute('data-ticker-at')", timeout=10000)
    focused = tv.focused_id()

    console_login(desk, news_server, "approver")
    desk.goto(news_server + "/console/ticker")
    desk.fill("#ticker-text", "[긴급] 상수도 파열로 망원동 일대 단수 - 급수차 위치는 주민센터에 문의하세요")
    desk.screenshot(path=str(artifacts / "console-ticker.png"))
    with desk.expect_navigation():
        desk.click("#ticker-send")
    # arrival within the 2 seconds after the approver's publish returned
    tv.page.wait_for_function(
        "() => document.getElementById('tv-ticker').textContent.indexOf('상수도 파열') >= 0",
        timeout=2000)
    assert tv.page.is_visible("#tv-ticker")
    assert tv.focused_id() == focused  # the ticker never takes focus
    tv.screenshot(artifacts / "tv-ticker-live.png")
    tv.press("DOWN")
    assert tv.focused_id() != "tv-ticker"

    # withdrawn in the console: gone from the TV as fast
    with demo.session() as s:
        tid = [t.id for t in store.list_tickers(s) if t.state == "published"][0]
    desk.goto(news_server + "/console/ticker")
    with desk.expect_navigation():
        desk.click("#withdraw-%d" % tid)
    tv.page.wait_for_function("() => document.getElementById('tv-ticker').hidden", timeout=2000)


def test_ticker_polling_fallback_without_eventsource(news_server, demo, browser):
    with demo.session() as s:
        for t in store.list_tickers(s):
            t.state = "expired"
    driver = TvDriver.open(browser)
    try:
        driver.page.add_init_script("window.EventSource = undefined;")
        driver.page.goto(news_server + "/tv/simulator")
        driver.goto(news_server + "/tv/")
        assert driver.page.is_hidden("#tv-ticker")
        workflow.write_ticker(demo, workflow.Actor(0, "ap", "approver"), "정전 안내: 오후 3시")
        # the fallback polls every 10 s
        driver.page.wait_for_function(
            "() => document.getElementById('tv-ticker').textContent.indexOf('정전 안내') >= 0",
            timeout=12000)
    finally:
        driver.close()
