"""Issue 17 item 11: a ticker posted on the console reaches a box that has the
news list open (well within 30 s), and an Extreme alert is shown before a
Severe one posted after it. Real Chromium, the console driven like an operator."""

from __future__ import annotations

import pytest

from broadcast_feed import store
from remote_nav.driver import TvDriver
from tests.tvapp.browser.test_news_browser import (  # noqa: F401  (fixtures)
    artifacts,
    console_login,
    desk,
    go,
    news_server,
)

pytestmark = pytest.mark.browser


def post_ticker(page, base, text, severity):
    page.goto(base + "/console/ticker")
    page.fill("#ticker-text", text)
    page.select_option("#ticker-severity", severity)
    with page.expect_navigation():
        page.click("#ticker-send")


def test_a_console_ticker_reaches_the_open_news_list_most_severe_first(news_server, demo, browser, desk,  # noqa: F811
                                                                      artifacts):  # noqa: F811
    with demo.session() as s:
        for t in store.list_tickers(s):
            t.state = "expired"
    tv = TvDriver.open(browser)
    try:
        tv.page.goto(news_server + "/tv/simulator")
        go(tv, news_server + "/tv/news/")
        assert tv.page.is_hidden("#tv-ticker")
        console_login(desk, news_server, "approver")
        post_ticker(desk, news_server, "[심각] 강풍 주의 - 간판과 화분을 치워 주세요", "Moderate")
        post_ticker(desk, news_server, "[매우 심각] 한강 수위 경보 - 둔치 주차장 차량을 옮기세요", "Extreme")
        post_ticker(desk, news_server, "[심각] 한파 경보 - 수도관 동파에 주의하세요", "Severe")
        tv.page.wait_for_function(
            "() => { const t = document.getElementById('tv-ticker').textContent;"
            " return t.indexOf('한강 수위') >= 0 && t.indexOf('한파') >= 0 && t.indexOf('강풍') >= 0; }",
            timeout=30000)
        assert tv.page.url.endswith("/tv/news/")  # still on the list: it came to the open screen
        text = tv.page.inner_text("#tv-ticker")
        assert text.index("한강 수위") < text.index("한파") < text.index("강풍"), text
        tv.screenshot(artifacts / "tv-news-list-ticker.png")
    finally:
        tv.close()
