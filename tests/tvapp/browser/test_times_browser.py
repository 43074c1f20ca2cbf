"""Issue 17 item 8: the header clock never goes backwards, even on a screen
served from a kept copy whose stamp (and the box's tv_now cookie) is an hour old."""

from __future__ import annotations

import re
import time

import pytest

from tests.tvapp.browser.test_tv_browser import go

pytestmark = pytest.mark.browser


def minutes(text: str) -> int:
    h, m = text.strip().split(":")
    return int(h) * 60 + int(m)


def test_the_header_clock_never_goes_backwards(server, demo, tv):
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/settings/")
    first = minutes(tv.page.inner_text("#tv-clock"))
    hour_ago = int(time.time() * 1000) - 3600 * 1000

    def kept_copy(route):
        """The help screen as a copy kept from an hour ago."""
        body = re.sub(r'data-now="\d+"', 'data-now="%d"' % hour_ago, route.fetch().text())
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    tv.page.context.add_cookies([{"name": "tv_now", "value": str(hour_ago), "url": server + "/tv/"}])
    tv.page.route("**/tv/settings/help", kept_copy)
    go(tv, server + "/tv/settings/help")
    assert tv.page.get_attribute("#tv-clock", "data-now") == str(hour_ago)  # the old copy it is
    later = minutes(tv.page.inner_text("#tv-clock"))
    assert later >= first or first - later > 12 * 60, (first, later)  # (or past midnight)
