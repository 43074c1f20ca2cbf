"""Message length, counted the way Korean carriers count it: bytes of CP949.

A Hangul syllable is 2 bytes, ASCII 1. A character CP949 cannot encode
(an emoji, a rare Hanja) is counted as 2 bytes: the conservative guess for
what the carrier will do with it. ``fit`` shortens at a character boundary,
so a syllable is never cut in half.
"""

from __future__ import annotations

ELLIPSIS = ".."


def char_bytes(ch: str) -> int:
    if ch < "\x80":
        return 1
    try:
        return len(ch.encode("cp949"))
    except UnicodeEncodeError:
        return 2


def cp949_len(text: str) -> int:
    return sum(char_bytes(ch) for ch in text)


def cut(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that fits ``limit`` bytes."""
    total = 0
    for i, ch in enumerate(text):
        total += char_bytes(ch)
        if total > limit:
            return text[:i]
    return text


def fit(text: str, limit: int) -> str:
    """``text`` if it fits, else cut with a trailing ``..`` (whole characters only)."""
    text = text.strip()
    if cp949_len(text) <= limit:
        return text
    return cut(text, max(0, limit - len(ELLIPSIS))).rstrip() + ELLIPSIS


def limit_for(config) -> int:
    """The most bytes one message may carry: LMS when enabled, else SMS."""
    if getattr(config, "LMS_ENABLED", False):
        return int(getattr(config, "LMS_MAX_BYTES", 2000))
    return int(getattr(config, "SMS_MAX_BYTES", 90))


def kind_of(config, text: str) -> str:
    """``sms`` or ``lms`` for a message that already fits ``limit_for``."""
    return "sms" if cp949_len(text) <= int(getattr(config, "SMS_MAX_BYTES", 90)) else "lms"


def fit_for(config, text: str) -> str:
    return fit(text, limit_for(config))


def split(text: str, limit: int) -> list[str]:
    """``text`` whole: one message if it fits, else numbered parts ``(1/2)``,
    each within ``limit`` bytes, cut at spaces where possible. Nothing is
    dropped: joining the parts (without their numbers) gives the text back."""
    text = text.strip()
    if cp949_len(text) <= limit:
        return [text]
    parts: list[str] = []
    n_guess = 2
    while True:
        tag_room = len(" (%d/%d)" % (n_guess, n_guess))
        room = max(4, limit - tag_room)
        parts, rest = [], text
        while rest:
            head = cut(rest, room)
            if len(head) < len(rest):
                sp = max(head.rfind(" "), head.rfind("\n"))
                if sp > len(head) // 2:
                    head = head[:sp]
            parts.append(head.strip())
            rest = rest[len(head):].strip()
        if len(parts) <= n_guess or n_guess >= 99:
            break
        n_guess = len(parts)
    total = len(parts)
    return ["%s (%d/%d)" % (p, i, total) for i, p in enumerate(parts, 1)]


def parts_for(config, text: str) -> list[str]:
    """The messages that carry ``text`` whole: one LMS where enabled, else SMS parts."""
    return split(text, limit_for(config))
