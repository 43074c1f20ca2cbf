"""The fallback keyboard: letters typed with the remote's number keys by
multi-tap (as on a phone keypad) into a hand-off field, RED deleting."""

import pytest

from tests.tvapp.browser.test_tv_browser import check_screen, go

pytestmark = pytest.mark.browser


def test_letters_by_multi_tap_on_the_number_keys(server, demo, tv, artifacts):
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/settings/practice")  # fake clock: each press is 1 s later
    for _ in range(12):
        if tv.focused_id() == "email":
            break
        tv.press("RIGHT")
    assert tv.focused_id() == "email"
    for key in "4666155777":  # g, o (6x3), '.', k (5x2), r (7x3)
        tv.press(key)
    assert tv.page.input_value("#email-value") == "go.kr"
    tv.press("RED")
    assert tv.page.input_value("#email-value") == "go.k"
    assert tv.page.inner_text("#email .ho-text") == "go.k"
    check_screen(tv, artifacts, "practice-multitap")
