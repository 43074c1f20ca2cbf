"""The markup vocabulary: which attributes declare navigation.

Authors write (see README.md for a full example)::

    <body data-nav-parent="/" data-nav-colors="RED" data-nav-label-red="Delete">
      <ul data-nav-container data-nav-layout="grid" data-nav-columns="3" data-nav-menu>
        <li><a href="/a" data-nav-default>A</a></li> ...
      </ul>
      <div data-nav-container data-nav-modal data-nav-block="all" hidden> ... </div>
    </body>

:func:`remote_nav.annotate` renders what the runtime needs (``data-nav-up``
... targets, ``data-nav-entry``, ``data-nav-number``, ids).
"""

from __future__ import annotations

import re

from .keys import Key

# --- screen (body, or the element carrying data-nav-screen) ---------------
SCREEN = "data-nav-screen"
PARENT = "data-nav-parent"  # URL of the parent screen, or "history"
HOME = "data-nav-home"  # Back here asks to exit
COLOURS = "data-nav-colors"  # "RED GREEN": colour keys this screen uses
LABEL_PREFIX = "data-nav-label-"  # data-nav-label-red="Delete" (legend text)
INITIAL = "data-nav-initial"  # id of the first focus (rendered if absent)
ANNOTATED = "data-nav-annotated"  # rendered: the runtime may trust the targets
EXIT_TEXT = "data-nav-exit-text"  # exit confirmation wording (home screen)
SCOPE = "data-nav-scope"  # remembered focus belongs to this key too (one task's instance), not the URL alone
SETTLE = "data-nav-settle"  # ms after load during which OK, digits and colours are ignored

# --- containers -------------------------------------------------------------
CONTAINER = "data-nav-container"
LAYOUT = "data-nav-layout"  # column (default) | row | grid
COLUMNS = "data-nav-columns"  # grid width
BLOCK = "data-nav-block"  # "up down" | "all": exits that bump instead of leaving
WRAP = "data-nav-wrap"  # "" or "both" | "horizontal" | "vertical"
REMEMBER = "data-nav-remember"  # "false": enter at the default (dialogs: "true" to remember)
MENU = "data-nav-menu"  # number keys pick the n-th item ("focus": focus only)
MODAL = "data-nav-modal"  # an isolated focus scope (dialog); opened by script
ENTRY = "data-nav-entry"  # rendered: the id entered when arriving here

# --- focusable items --------------------------------------------------------
FOCUSABLE = "data-nav-focusable"  # make any element focusable
SKIP = "data-nav-skip"  # never focus this element
DEFAULT = "data-nav-default"  # default focus within its container
ROW = "data-nav-row"  # explicit grid position
COL = "data-nav-col"
KEY = "data-nav-key"  # "RED": this element is activated by the colour key
LABEL = "data-nav-label"  # legend text for a data-nav-key element
NUMBER = "data-nav-number"  # rendered: digit that selects this menu item

#: data-nav-up / -down / -left / -right: target ids (rendered, or written by
#: hand to override the computed target).
TARGET = {Key.UP: "data-nav-up", Key.DOWN: "data-nav-down",
          Key.LEFT: "data-nav-left", Key.RIGHT: "data-nav-right"}

NATIVE_FOCUSABLE = frozenset({"button", "input", "select", "textarea"})
_SPLIT = re.compile(r"[\s,;]+")

_DIRECTION_WORDS = {"up": Key.UP, "down": Key.DOWN, "left": Key.LEFT, "right": Key.RIGHT}


def words(value: str | None) -> list[str]:
    """Split an attribute value on spaces, commas or semicolons."""
    if not value:
        return []
    return [w for w in _SPLIT.split(value.strip()) if w]


def directions(value: str | None) -> frozenset:
    """Parse ``data-nav-block`` ("all", "up down", "horizontal" ...) into keys."""
    result = set()
    for word in words(value):
        word = word.lower()
        if word == "all":
            result.update(_DIRECTION_WORDS.values())
        elif word == "horizontal":
            result.update((Key.LEFT, Key.RIGHT))
        elif word == "vertical":
            result.update((Key.UP, Key.DOWN))
        elif word in _DIRECTION_WORDS:
            result.add(_DIRECTION_WORDS[word])
    return frozenset(result)


def wrap_axes(value: str | None) -> frozenset:
    """Parse ``data-nav-wrap``: present and empty means both axes."""
    if value is None:
        return frozenset()
    value = value.strip().lower()
    if value in ("", "both", "true", "all"):
        return directions("all")
    if value in ("false", "none", "no"):
        return frozenset()
    return directions(value)


def is_focusable(el) -> bool:
    """True if the element takes part in remote-control navigation."""
    attrib = el.attrib
    if SKIP in attrib or "disabled" in attrib:
        return False
    if FOCUSABLE in attrib:
        return True
    tag = el.tag if isinstance(el.tag, str) else ""
    tabindex = attrib.get("tabindex")
    if tabindex is not None and tabindex.strip().lstrip("-").isdigit() and int(tabindex) < 0:
        return False
    if tag == "a":
        return "href" in attrib
    if tag in NATIVE_FOCUSABLE:
        return not (tag == "input" and attrib.get("type", "").lower() == "hidden")
    return tabindex is not None


def needs_tabindex(el) -> bool:
    """True if script can only focus the element once it has a tabindex."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if "tabindex" in el.attrib:
        return False
    if tag == "a" and "href" in el.attrib:
        return False
    return tag not in NATIVE_FOCUSABLE
