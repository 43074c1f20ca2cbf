"""The runtime in real headless Chromium at 1280x720, driven with HbbTV key codes."""

import pytest

from remote_nav import ARROWS, FocusGraph, Key, annotate

pytestmark = pytest.mark.browser

SCREENS = ["grid.html", "list.html", "dialog.html", "nested.html", "form.html"]


def open_screen(tv, site, name, fake_clock=True):
    tv.goto(site + name)
    if fake_clock:
        tv.use_fake_clock()


def is_visible(tv, element_id):
    return tv.page.evaluate(
        "(id) => { const e = document.getElementById(id);"
        " return !!e && !e.hidden && getComputedStyle(e).display !== 'none'; }", element_id)


def test_viewport_is_exactly_1280x720(tv, site):
    open_screen(tv, site, "grid.html")
    assert tv.viewport() == {"width": 1280, "height": 720}


@pytest.mark.parametrize("name", ["grid.html", "list.html", "dialog.html", "nested.html"])
def test_keys_move_focus_as_computed(tv, site, screen, name):
    graph = FocusGraph.from_html(annotate(screen(name)))
    open_screen(tv, site, name)
    assert tv.focused_id() == graph.initial
    modal = {f for s in graph.scopes[1:] for f in graph._leaves(s)}
    for fid in graph.focusables:
        if graph.focusables[fid] in modal:
            continue
        for key in ARROWS:
            tv.page.evaluate("(id) => { RemoteNav.forget(); RemoteNav.focus(id); }", fid)
            tv.press(key)
            expected = graph.target(fid, key) or fid  # blocked: focus stays (and bumps)
            assert tv.focused_id() == expected, (fid, key.value)


def test_zero_layout_reads_per_key_press(tv, site):
    for name, keys in [
        ("grid.html", ["RIGHT", "RIGHT", "RIGHT", "DOWN", "DOWN", "LEFT", "UP", "UP", "UP", "9"]),
        ("list.html", ["DOWN"] * 9 + ["RIGHT", "UP", "4", "LEFT", "LEFT"]),
        ("dialog.html", ["DOWN", "DOWN", "LEFT", "OK", "LEFT", "RIGHT", "BACK", "UP"]),
        ("nested.html", ["LEFT", "DOWN", "RIGHT", "DOWN", "DOWN", "LEFT", "LEFT", "UP"]),
    ]:
        open_screen(tv, site, name)
        before, moves = tv.layout_reads(), tv.stats()["moves"]
        assert before >= 0, "probe not installed"
        for key in keys:
            tv.press(key)
        assert tv.layout_reads() - before == 0, name
        assert tv.stats()["moves"] > moves


def test_hbbtv_codes_map_to_logical_keys(tv, site):
    open_screen(tv, site, "dialog.html")
    tv.page.evaluate("""() => {
        window.seen = []; window.domSeen = [];
        RemoteNav.on('*', (d) => { window.seen.push(d.key); return false; });
        document.addEventListener('remotekey', (e) => window.domSeen.push(e.detail.key));
    }""")
    codes = [461, 403, 404, 405, 406, 37, 38, 39, 40, 13, 48, 57, 415, 19, 413, 412, 417, 457]
    for code in codes:
        tv.press_code(code)
    expected = ["BACK", "RED", "GREEN", "YELLOW", "BLUE", "LEFT", "UP", "RIGHT", "DOWN", "OK",
                "DIGIT_0", "DIGIT_9", "PLAY", "PAUSE", "STOP", "REWIND", "FAST_FORWARD", "INFO"]
    assert tv.page.evaluate("window.seen") == expected
    assert tv.page.evaluate("window.domSeen") == expected
    assert tv.page.url.endswith("dialog.html")  # handlers returned false: BACK did not leave


def test_unmapped_codes_are_left_alone(tv, site):
    open_screen(tv, site, "grid.html")
    tv.page.evaluate("() => { window.seen = []; RemoteNav.on('*', (d) => seen.push(d.key)); }")
    tv.press_code(65, "a")
    assert tv.page.evaluate("window.seen") == []


def test_remotekey_event_can_cancel_the_default(tv, site):
    open_screen(tv, site, "grid.html")
    tv.page.evaluate("() => document.addEventListener('remotekey',"
                     " (e) => { if (e.detail.key === 'RIGHT') e.preventDefault(); })")
    tv.press("RIGHT")
    assert tv.focused_id() == "t1"
    tv.press("DOWN")
    assert tv.focused_id() == "t4"


def test_blocked_move_bumps(tv, site):
    open_screen(tv, site, "grid.html")
    tv.page.evaluate("() => { window.bumps = []; RemoteNav.on('BUMP', (d) => bumps.push(d.direction)); }")
    tv.press("UP")
    assert tv.focused_id() == "t1"
    assert tv.page.evaluate("window.bumps") == ["up"]
    assert "rn-bump-up" in tv.page.get_attribute("#t1", "class")


def test_ok_on_a_link_follows_it(tv, site):
    open_screen(tv, site, "grid.html")
    tv.press("OK")
    tv.page.wait_for_url("**/list.html")
    tv.wait_ready()
    assert tv.focused_id() == "i1"


def test_result_screen_ignores_an_impatient_ok_then_obeys(tv, site):
    """A press meant for the screen before (OK pressed again while the payment
    was sent) must not skip past the outcome; arrows still move at once."""
    tv.page.goto(site + "result.html")
    tv.page.wait_for_function("window.RemoteNav && RemoteNav.current() !== null")
    tv.use_fake_clock()
    assert tv.page.evaluate("RemoteNav.settled()") is False
    tv.press("OK")
    tv.press("OK")
    assert tv.page.evaluate("RemoteNav.stats.dropped") == 2
    tv.press("RIGHT")
    assert tv.focused_id() == "home"
    tv.press("LEFT")
    tv.wait_ready()  # waits out the settle time
    assert tv.page.url.endswith("/result.html")
    tv.press("OK")
    tv.page.wait_for_url("**/list.html")


def test_focus_memory_restores_after_back(tv, site):
    open_screen(tv, site, "grid.html")
    for key in ("DOWN", "OK"):  # t4 -> list.html?p=2
        tv.press(key)
    tv.page.wait_for_url("**/list.html?p=2")
    tv.wait_ready()
    tv.use_fake_clock()
    tv.press("DOWN")
    tv.press("DOWN")
    assert tv.focused_id() == "i3"
    tv.press("BACK")  # 461 -> the declared parent, grid.html
    tv.page.wait_for_url("**/grid.html")
    tv.wait_ready()
    assert tv.focused_id() == "t4"
    tv.use_fake_clock()
    tv.press("OK")
    tv.page.wait_for_url("**/list.html?p=2")
    tv.wait_ready()
    assert tv.focused_id() == "i3"


def test_container_memory(tv, site):
    open_screen(tv, site, "list.html")
    for _ in range(4):
        tv.press("DOWN")
    assert tv.focused_id() == "i5"
    tv.page.evaluate("() => RemoteNav.focus('next')")
    tv.press("UP")  # back into the list: the remembered item, not the first
    assert tv.focused_id() == "i5"


def test_nested_container_memory(tv, site):
    open_screen(tv, site, "nested.html")
    assert tv.focused_id() == "a3"
    tv.press("DOWN")
    assert tv.focused_id() == "b1"
    tv.press("LEFT")  # out of the row, out of the content, into the side list
    assert tv.focused_id() == "s1"
    tv.press("DOWN")
    tv.press("RIGHT")  # back into the content: where we left it, not its default (a3)
    assert tv.focused_id() == "b1"
    tv.press("LEFT")
    assert tv.focused_id() == "s2"  # the side list remembers too


def test_held_key_is_throttled(tv, site):
    open_screen(tv, site, "list.html")
    tv.use_fake_clock(start=0, step=None)
    tv.hold("DOWN", repeats=5)  # six key downs at the same instant
    assert tv.focused_id() == "i2"
    assert tv.stats()["dropped"] == 5
    tv.set_clock(100)
    tv.press("DOWN")
    assert tv.focused_id() == "i2"  # still within 120 ms
    tv.set_clock(125)
    tv.press("DOWN")
    assert tv.focused_id() == "i3"


def test_real_held_key_repeats_either_move_or_are_dropped(tv, site):
    """Auto-repeat key downs on the real clock (no timing asserted)."""
    open_screen(tv, site, "list.html", fake_clock=False)
    tv.hold("DOWN", repeats=7)
    stats = tv.stats()
    assert stats["keys"] == 8
    assert stats["moves"] + stats["dropped"] == 8 + 1  # +1: the initial focus


def test_number_keys_select_menu_items(tv, site):
    open_screen(tv, site, "list.html")  # data-nav-menu="focus": focus only
    tv.press("5")
    assert tv.focused_id() == "i5"
    tv.press("9")
    assert tv.focused_id() == "i5"  # no 9th item on this page: bump
    open_screen(tv, site, "grid.html")  # a menu that opens the item
    tv.press("3")
    tv.page.wait_for_url("**/nested.html")


def test_number_keys_type_into_fields(tv, site):
    open_screen(tv, site, "form.html")
    assert tv.focused_id() == "fax"
    for key in ("0", "2", "1", "2"):
        tv.press(key)
    assert tv.page.input_value("#fax") == "0212"
    tv.press("LEFT")  # the caret moves inside the field
    assert tv.focused_id() == "fax"
    tv.press("DOWN")
    assert tv.focused_id() == "send"


def test_exit_confirmation_on_home(tv, site):
    open_screen(tv, site, "grid.html")
    tv.press("RIGHT")
    tv.press("BACK")
    assert is_visible(tv, "rn-exit")
    assert tv.focused_id() == "rn-exit-no"
    tv.press("DOWN")
    assert tv.focused_id() == "rn-exit-no"  # trapped in the dialog
    tv.press("OK")  # Stay
    assert not is_visible(tv, "rn-exit")
    assert tv.focused_id() == "t2"
    tv.press("BACK")
    tv.press("BACK")  # Back inside the dialog closes it
    assert not is_visible(tv, "rn-exit") and tv.focused_id() == "t2"
    tv.page.evaluate("() => { window.exits = 0; RemoteNav.on('EXIT', () => { exits++; return false; }); }")
    tv.press("BACK")
    tv.press("LEFT")
    assert tv.focused_id() == "rn-exit-yes"
    tv.press("OK")
    assert tv.page.evaluate("window.exits") == 1


def test_modal_dialog_and_colour_key(tv, site):
    open_screen(tv, site, "dialog.html")
    tv.press("YELLOW")  # the element bound to YELLOW: the Pay button, which opens the dialog
    assert is_visible(tv, "confirm")
    assert tv.focused_id() == "no"
    tv.press("RIGHT")
    assert tv.focused_id() == "no"
    tv.press("LEFT")
    assert tv.focused_id() == "yes"
    tv.press("BACK")
    assert not is_visible(tv, "confirm")
    assert tv.focused_id() == "bill1"  # where focus was before the dialog
    tv.press("DOWN")
    tv.press("DOWN")
    tv.press("OK")  # OK on a button clicks it
    assert tv.focused_id() == "no"
    tv.press("LEFT")
    tv.press("OK")
    assert tv.page.title() == "paid"
    assert tv.focused_id() == "pay"


def test_colour_legend_and_link(tv, site):
    open_screen(tv, site, "list.html")
    legend = tv.page.eval_on_selector_all("#rn-legend span", "(s) => s.map((e) => [e.className, e.textContent])")
    assert legend == [["rn-red", "Previous"], ["rn-green", "Next page"]]
    tv.press("GREEN")
    tv.page.wait_for_url("**/list.html?p=2")


def test_text_size_setting_keeps_navigation(tv, site):
    open_screen(tv, site, "grid.html")
    before = {f["id"]: f["px"] for f in tv.font_sizes() if f["id"]}
    tv.page.evaluate("() => RemoteNav.setTextSize('large')")
    assert "rn-text-large" in tv.page.get_attribute("html", "class")
    after = {f["id"]: f["px"] for f in tv.font_sizes() if f["id"]}
    assert after["t1"] > before["t1"]
    reads = tv.layout_reads()
    for key in ("RIGHT", "DOWN", "DOWN"):
        tv.press(key)
    assert tv.focused_id() == "lang"
    assert tv.layout_reads() == reads
    tv.goto(site + "list.html")  # the setting is kept across screens
    assert "rn-text-large" in tv.page.get_attribute("html", "class")
    tv.page.evaluate("() => RemoteNav.setTextSize('normal')")
    assert "rn-text" not in (tv.page.get_attribute("html", "class") or "")


def test_hbbtv_keyset_is_requested(tv, site):
    tv.page.add_init_script("""
        window.keysetValues = [];
        window.oipfObjectFactory = { createApplicationManagerObject: function () {
            return { getOwnerApplication: function () { return {
                privateData: { keyset: { setValue: function (v) { keysetValues.push(v); } } },
                show: function () {}, destroyApplication: function () { window.destroyed = true; }
            }; } };
        } };""")
    open_screen(tv, site, "grid.html")
    assert tv.page.evaluate("RemoteNav.device()") == "hbbtv"
    assert tv.page.evaluate("window.keysetValues") == [0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x100]
    tv.press("BACK")
    tv.press("LEFT")
    tv.press("OK")
    assert tv.page.evaluate("window.destroyed") is True


def test_tizen_registers_keys_and_uses_10009(browser, site):
    from remote_nav.driver import TvDriver

    tv = TvDriver.open(browser, device="tizen")
    try:
        tv.page.add_init_script("""
            window.registered = [];
            window.tizen = { tvinputdevice: {
                registerKey: function (n) { registered.push(n); },
                getKey: function (n) { return n === 'ColorF0Red' ? { name: n, code: 403 } : null; }
            } };""")
        open_screen(tv, site, "list.html")
        assert tv.page.evaluate("RemoteNav.device()") == "tizen"
        registered = tv.page.evaluate("window.registered")
        assert {"ColorF0Red", "ColorF1Green", "ColorF2Yellow", "ColorF3Blue", "0", "9"} <= set(registered)
        tv.press("DOWN")
        assert tv.focused_id() == "i2"
        tv.press("BACK")  # 10009
        tv.page.wait_for_url("**/grid.html")
    finally:
        tv.close()


def test_legacy_samsung_maple_codes(browser, site):
    from remote_nav.driver import TvDriver

    context = browser.new_context(
        viewport={"width": 1280, "height": 720},
        user_agent="Mozilla/5.0 (SmartHub; SMART-TV; U; Linux/SmartTV; Maple2012) AppleWebKit/534.7")
    tv = TvDriver(context.new_page(), device="maple")
    try:
        open_screen(tv, site, "list.html")
        assert tv.page.evaluate("RemoteNav.device()") == "maple"
        tv.press("DOWN")  # 29461
        assert tv.focused_id() == "i2"
        tv.press_code(40)  # a standard arrow means nothing on Maple
        assert tv.focused_id() == "i2"
        tv.press("3")  # Maple's digit 3 is code 6
        assert tv.focused_id() == "i3"
    finally:
        tv.close()


def test_desktop_keyboard_keys(tv, site):
    open_screen(tv, site, "list.html")
    assert tv.page.evaluate("RemoteNav.device()") == "keyboard"
    tv.press_code(40, "ArrowDown")
    assert tv.focused_id() == "i2"
    tv.press_code(113, "F2")  # F2 = GREEN: the next-page link
    tv.page.wait_for_url("**/list.html?p=2")


@pytest.mark.parametrize("name", SCREENS)
def test_fixture_screens_are_ten_foot_and_screenshotted(tv, site, artifacts, name):
    open_screen(tv, site, name)
    if name == "dialog.html":
        tv.press("YELLOW")  # show the dialog in the picture
    assert tv.small_text(30) == []
    assert tv.outside_safe_area() == []
    shot = tv.screenshot(artifacts / name.replace(".html", ".png"))
    assert shot.stat().st_size > 1000


def test_safe_area_check_finds_overflow(tv, site):
    open_screen(tv, site, "grid.html")
    tv.page.evaluate("() => { const a = document.createElement('p'); a.id = 'edge';"
                     " a.textContent = 'too far'; a.style.cssText = 'position:fixed;left:10px;"
                     "top:300px;font-size:12px;margin:0'; document.body.appendChild(a); }")
    assert [b["id"] for b in tv.outside_safe_area()] == ["edge"]
    assert [f["id"] for f in tv.small_text(30)] == ["edge"]


def test_driver_sends_hbbtv_codes():
    from remote_nav.driver import KEY_NAMES
    from remote_nav.keymaps import load_device

    hbbtv = load_device("hbbtv")
    assert [hbbtv.code_for(k) for k in (Key.BACK, Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE)] == [
        461, 403, 404, 405, 406]
    assert set(KEY_NAMES) == set(Key)
