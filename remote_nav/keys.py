"""Logical remote-control keys.

Screen code only ever deals with these names; raw key codes stay in the
per-device maps (``remote_nav/devices/*.json``).
"""

from enum import Enum


class Key(str, Enum):
    """A logical key of a TV remote. The value is the name used in JSON and JS."""

    UP = "UP"
    DOWN = "DOWN"
    LEFT = "LEFT"
    RIGHT = "RIGHT"
    OK = "OK"
    BACK = "BACK"
    RED = "RED"
    GREEN = "GREEN"
    YELLOW = "YELLOW"
    BLUE = "BLUE"
    DIGIT_0 = "DIGIT_0"
    DIGIT_1 = "DIGIT_1"
    DIGIT_2 = "DIGIT_2"
    DIGIT_3 = "DIGIT_3"
    DIGIT_4 = "DIGIT_4"
    DIGIT_5 = "DIGIT_5"
    DIGIT_6 = "DIGIT_6"
    DIGIT_7 = "DIGIT_7"
    DIGIT_8 = "DIGIT_8"
    DIGIT_9 = "DIGIT_9"
    PLAY = "PLAY"
    PAUSE = "PAUSE"
    STOP = "STOP"
    REWIND = "REWIND"
    FAST_FORWARD = "FAST_FORWARD"
    INFO = "INFO"

    def __str__(self) -> str:
        return self.value


ARROWS = (Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT)
COLOURS = (Key.RED, Key.GREEN, Key.YELLOW, Key.BLUE)
DIGITS = tuple(Key("DIGIT_%d" % n) for n in range(10))
MEDIA = (Key.PLAY, Key.PAUSE, Key.STOP, Key.REWIND, Key.FAST_FORWARD)

#: Lower-case direction word used in markup attributes (data-nav-up ...).
DIRECTION = {Key.UP: "up", Key.DOWN: "down", Key.LEFT: "left", Key.RIGHT: "right"}


def digit_key(n: int) -> Key:
    """The logical key for digit ``n`` (0-9)."""
    if not 0 <= n <= 9:
        raise ValueError("digit out of range: %r" % n)
    return Key("DIGIT_%d" % n)


def parse_key(name: str) -> Key:
    """Turn a name such as ``"red"``, ``"RED"`` or ``"5"`` into a :class:`Key`."""
    text = name.strip().upper().replace("-", "_")
    if text.isdigit() and len(text) == 1:
        return digit_key(int(text))
    try:
        return Key(text)
    except ValueError:
        raise ValueError("unknown logical key: %r" % name) from None
