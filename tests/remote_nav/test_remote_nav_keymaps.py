"""Key maps: logical keys per device family, read from devices/*.json."""

import json

import pytest

from remote_nav import Key, keymaps
from remote_nav.keymaps import KeyMapError, keyset_mask, load_device, runtime_keymaps
from remote_nav.keys import DIGITS, digit_key, parse_key


def test_every_family_has_a_map():
    assert keymaps.device_families() == ["hbbtv", "keyboard", "maple", "tizen", "webos"]


@pytest.mark.parametrize("family", ["hbbtv", "webos", "tizen", "keyboard"])
def test_standard_codes(family):
    dev = load_device(family)
    assert [dev.key_for(c) for c in (37, 38, 39, 40, 13)] == [
        Key.LEFT, Key.UP, Key.RIGHT, Key.DOWN, Key.OK]
    assert [dev.key_for(c) for c in (403, 404, 405, 406)] == [
        Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE]
    assert [dev.key_for(48 + n) for n in range(10)] == list(DIGITS)
    assert [dev.key_for(c) for c in (415, 19, 413, 412, 417, 457)] == [
        Key.PLAY, Key.PAUSE, Key.STOP, Key.REWIND, Key.FAST_FORWARD, Key.INFO]


def test_back_codes():
    assert load_device("hbbtv").key_for(461) is Key.BACK
    assert load_device("webos").key_for(461) is Key.BACK
    assert load_device("tizen").key_for(10009) is Key.BACK
    assert load_device("tizen").key_for(461) is None
    assert load_device("maple").key_for(88) is Key.BACK
    kb = load_device("keyboard")
    assert kb.key_for(8) is kb.key_for(27) is kb.key_for(461) is Key.BACK


def test_maple_codes():
    dev = load_device("maple")
    assert [dev.key_for(c) for c in (4, 29460, 5, 29461, 29443)] == [
        Key.LEFT, Key.UP, Key.RIGHT, Key.DOWN, Key.OK]
    assert [dev.key_for(c) for c in (108, 20, 21, 22)] == [
        Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE]
    assert dev.key_for(37) is None
    assert len({dev.code_for(d) for d in DIGITS}) == 10


def test_keyboard_f_keys_are_colours():
    kb = load_device("keyboard")
    assert [kb.key_for(c) for c in (112, 113, 114, 115)] == [
        Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE]
    assert kb.codes_for(Key.RED) == [112, 403]
    assert kb.code_for("RED") == 112


def test_every_family_maps_every_navigation_key():
    needed = {Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT, Key.OK, Key.BACK,
              Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE, *DIGITS}
    for family, dev in keymaps.all_devices().items():
        assert needed <= set(dev.codes.values()), family


def test_keyset_mask():
    assert keyset_mask(["RED", "GREEN", "YELLOW", "BLUE", "NAVIGATION", "NUMERIC"]) == 0x11F
    assert load_device("hbbtv").keyset_mask == 0x11F
    with pytest.raises(KeyMapError):
        keyset_mask(["PURPLE"])


def test_tizen_registers_colour_and_number_keys():
    reg = load_device("tizen").register
    assert {"ColorF0Red", "ColorF1Green", "ColorF2Yellow", "ColorF3Blue"} <= set(reg)
    assert {str(n) for n in range(10)} <= set(reg)
    assert reg["ColorF0Red"] is Key.RED


def test_runtime_keymaps_are_plain_json_in_detection_order():
    maps = runtime_keymaps()
    assert [m["family"] for m in maps] == ["hbbtv", "tizen", "webos", "maple", "keyboard"]
    json.dumps(maps)
    hbbtv = maps[0]
    assert hbbtv["map"]["461"] == "BACK" and hbbtv["keyset"] == 0x11F


def test_unknown_family_and_bad_names():
    with pytest.raises(KeyMapError):
        load_device("nokia")
    with pytest.raises(KeyMapError):
        load_device("../keys")
    with pytest.raises(KeyError):
        keymaps.DeviceMap(family="tiny", name="tiny", codes={13: Key.OK}).code_for(Key.BACK)


def test_parse_key():
    assert parse_key("red") is Key.RED
    assert parse_key("5") is Key.DIGIT_5
    assert parse_key("fast-forward") is Key.FAST_FORWARD
    assert digit_key(0) is Key.DIGIT_0
    with pytest.raises(ValueError):
        parse_key("purple")
    with pytest.raises(ValueError):
        digit_key(10)
