"""Issue 21, approve by replying to the SMS, in real Chromium at 1280x720: the
TV sits on the code screen (which says which digit to reply, at 보통 and at
아주 크게), the phone replies 1 through the Kannel gateway endpoint, and the
TV moves on to the delivery screen by itself, with no key pressed. A reply
from another phone leaves it where it is."""

from __future__ import annotations

import pytest

from tests.tvapp.browser.test_certificate_browser import code_for
from tests.tvapp.browser.test_tv_browser import press_nav, ready
from tests.tvapp.browser.test_tv_traps_browser import send_code, set_text_size, to_identity
from tests.tvapp.browser.test_walkthrough_certificates import reply_from_phone

pytestmark = pytest.mark.browser

MINJUN = "010-0000-0003"


@pytest.mark.parametrize("size", ["normal", "xlarge"])
def test_the_code_screen_moves_on_when_the_phone_replies(server, demo, tv, artifacts, size):
    tv.page.goto(server + "/tv/simulator")
    set_text_size(tv, server, size)
    to_identity(tv, server)
    send_code(tv)
    note = tv.page.inner_text("#reply-note")
    if size == "normal":
        assert "1을 답장하면 이 화면이 저절로 넘어갑니다" in note and "010-****-0003" in note
    else:  # the short note at 아주 크게 keeps the field and 확인 above the legend
        assert note == "휴대폰에 온 문자에 1을 답장하거나, 인증번호 6자리를 눌러 주세요."
        ok, legend_box = tv.page.locator("#code-ok").bounding_box(), tv.page.locator(".tv-legend").bounding_box()
        assert ok["y"] + ok["height"] <= legend_box["y"]
    assert tv.focused_id() == "code"  # typing the code stays the first thing the keys do
    tv.screenshot(artifacts / ("approve-code-screen-%s.png" % size))
    assert tv.small_text(30) == []
    # the screen's own text (the header's title and the legend at 아주 크게 are the screen audit's)
    legend = tv.page.inner_text(".tv-legend")
    assert [b for b in tv.outside_safe_area() if b["id"] != "screen-title" and b["text"] not in legend] == []
    note_box, main = tv.page.locator("#reply-note").bounding_box(), tv.page.locator("#tv-main").bounding_box()
    assert note_box["y"] + note_box["height"] <= main["y"] + main["height"]  # the whole note shows

    pressed = tv.presses
    assert "승인할 TV 신청이 없습니다" in reply_from_phone(server, "1", phone="010-0000-0001")  # another phone
    assert "승인했습니다" in reply_from_phone(server, "1", phone=MINJUN)
    tv.page.wait_for_url("**/tv/certificates/delivery", timeout=20000)
    ready(tv)
    assert tv.presses == pressed  # no key pressed
    assert tv.focused_id() == "dest-email"  # the delivery screen, on the registered address (listed first)
    tv.screenshot(artifacts / ("approve-moved-on-%s.png" % size))


def test_a_reply_from_another_phone_leaves_the_screen(server, demo, tv):
    tv.page.goto(server + "/tv/simulator")
    to_identity(tv, server)
    send_code(tv)
    reply_from_phone(server, "1", phone="010-0000-0001")
    # the screen polls its status (data-live); wait for two polls to have answered "not done"
    for _ in range(2):
        with tv.page.expect_response(lambda r: "identity/status.json" in r.url, timeout=20000) as polled:
            pass
        assert polled.value.json()["done"] is False
    assert tv.page.url.split("?")[0].endswith("/tv/certificates/identity")
    # typing the code still goes on (the other phone used nothing up)
    assert tv.focused_id() == "code"
    for digit in code_for(demo, MINJUN):
        tv.press(digit)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery")
