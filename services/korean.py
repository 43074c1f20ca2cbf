"""Korean for people: Korea time and its date formats, and the particles that
depend on the word before them (받침).

Time: :data:`KST` (UTC+9; Korea has had no daylight saving time since 1988),
:func:`now_kst`, :func:`to_kst`, and the ways dates are written on screens,
documents and texts: :func:`korean_datetime` (``2026년 11월 21일 14:05``),
:func:`korean_date` (``2026년 11월 21일``), :func:`month_day` (``11월 21일``).

Particles: :func:`josa` picks 을/를, 이/가, 은/는, 과/와, 으로/로 by the final
consonant of the last syllable as it is read: a Hangul syllable by its code
point ((code - 0xAC00) % 28), a digit by its Korean reading (영, 일, 이, 삼...;
a round number by its place: 십, 백, 천, 만, 억), a Latin letter by its name
(엘, 엠, 엔, 알 end in a consonant). 으로/로: a word ending in ㄹ takes 로.
:func:`eul`, :func:`iga`, :func:`eun`, :func:`gwa` and :func:`ro` are the
short forms; templates have the same as filters (``tvapp.tv.ui``).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta, timezone

# -- Korea time ----------------------------------------------------------------

KST = timezone(timedelta(hours=9))


def now_kst() -> datetime:
    """Now, in Korea time (aware)."""
    return datetime.now(KST)


def to_kst(dt: datetime) -> datetime:
    """An aware datetime in Korea time."""
    return dt.astimezone(KST)


def _day(value: date | datetime | str) -> date:
    if isinstance(value, str):
        if len(value) > 10:  # an aware timestamp
            return datetime.fromisoformat(value).astimezone(KST).date()
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(KST).date()
    return value


def korean_datetime(dt: datetime | None) -> str:
    """``2026년 11월 21일 14:05`` (in Korea time); ``""`` for None."""
    if not dt:
        return ""
    k = dt.astimezone(KST)
    return "%d년 %d월 %d일 %02d:%02d" % (k.year, k.month, k.day, k.hour, k.minute)


def korean_date(value: date | datetime | str | None) -> str:
    """``2026년 11월 21일``: a date, an ISO date, or an aware timestamp read in Korea time."""
    if not value:
        return ""
    d = _day(value)
    return "%d년 %d월 %d일" % (d.year, d.month, d.day)


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def english_date(value: date | datetime | str | None, year: bool = True) -> str:
    """The English screens' form of :func:`korean_date`: ``Nov 21, 2026``
    (``Nov 21`` without the year), in Korea time."""
    if not value:
        return ""
    d = _day(value)
    text = "%s %d" % (MONTHS_EN[d.month - 1], d.day)
    return text + (", %d" % d.year if year else "")


def english_datetime(dt: datetime | None) -> str:
    """``Nov 21, 2026 14:05`` (in Korea time); ``""`` for None."""
    if not dt:
        return ""
    k = dt.astimezone(KST)
    return "%s %02d:%02d" % (english_date(k), k.hour, k.minute)


def month_day(value: date | datetime | str | None) -> str:
    """``11월 21일`` (in Korea time)."""
    if not value:
        return ""
    d = _day(value)
    return "%d월 %d일" % (d.month, d.day)


# -- particles -----------------------------------------------------------------

_RIEUL = 8  # ㄹ, as a final consonant's index in a syllable
# Digits read aloud: 영 일 이 삼 사 오 육 칠 팔 구 -> final consonant index (0: none).
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# Round numbers read by their place: 십 백 천 만 억 조 경.
_PLACE_FINAL = ((16, 21), (12, 0), (8, 1), (4, 4), (3, 4), (2, 1), (1, 17))
# Latin letters read by name: 엘 엠 엔 알 end in a consonant; 에이, 비, 씨... do not.
_LATIN_FINAL = {"l": 8, "m": 16, "n": 4, "r": 8}
_CLOSERS = " \t\r\n)]}>'\"’”」』》〉"

PAIRS = {  # (after a final consonant, after a vowel)
    "을": ("을", "를"), "를": ("을", "를"),
    "이": ("이", "가"), "가": ("이", "가"),
    "은": ("은", "는"), "는": ("은", "는"),
    "과": ("과", "와"), "와": ("과", "와"),
    "으로": ("으로", "로"), "로": ("으로", "로"),
}


def _number_final(digits: str) -> int:
    """The final consonant of a run of digits as it is read."""
    if len(digits) > 1 and digits[0] != "0" and digits[-1] == "0":
        zeros = len(digits) - len(digits.rstrip("0"))
        for place, final in _PLACE_FINAL:  # 10만, 300억: the largest place ends the reading
            if zeros >= place:
                return final
    return _DIGIT_FINAL[digits[-1]]


def final_consonant(word: str | None) -> int | None:
    """Index of the last syllable's final consonant as read (0: none), or
    None when the word ends in nothing that is read (a symbol, or nothing)."""
    w = (word or "").rstrip(_CLOSERS)
    if not w:
        return None
    ch = w[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28
    if ch.isascii() and ch.isdigit():
        run = w.replace(",", "")
        i = len(run)
        while i > 0 and run[i - 1].isascii() and run[i - 1].isdigit():
            i -= 1
        return _number_final(run[i:])
    if ch.isascii() and ch.isalpha():
        return _LATIN_FINAL.get(ch.lower(), 0)
    return None


def has_final_consonant(word: str | None) -> bool:
    return bool(final_consonant(word))


def particle(word: str | None, which: str) -> str:
    """The form of particle ``which`` (any of its two forms: 을 or 를, 로 or 으로...)
    that follows ``word``; alone, without the word."""
    with_final, without = PAIRS[which]
    final = final_consonant(word)
    if with_final == "으로":
        return without if not final or final == _RIEUL else with_final
    return with_final if final else without


def josa(word: str | None, which: str) -> str:
    """``word`` followed by the right form of ``which``: 토지대장을, 증명서를, 서울로."""
    return "%s%s" % (word or "", particle(word, which))


def eul(word: str) -> str:
    """The object particle: 등본을, 증명서를."""
    return josa(word, "을")


def iga(word: str) -> str:
    """The subject particle: 건축물이, 토지가."""
    return josa(word, "이")


def eun(word: str) -> str:
    """The topic particle: 등본은, 증명서는."""
    return josa(word, "은")


def gwa(word: str) -> str:
    """And / with: 등본과, 초본과, 증명서와."""
    return josa(word, "과")


def ro(word: str) -> str:
    """Towards / by: 메일로, 팩스로, 서울로 (ㄹ), 구청으로."""
    return josa(word, "으로")


_MARKERS = {"을(를)": "을", "를(을)": "을", "이(가)": "이", "가(이)": "이", "은(는)": "은",
            "는(은)": "은", "과(와)": "과", "와(과)": "과", "(으)로": "으로"}
_TAG_RE = re.compile(r"<[^>]*>")
_MARKER_RE = re.compile("|".join(re.escape(m) for m in _MARKERS))


def particles(text: str) -> str:
    """Resolve the written-both-ways particles in ``text`` (을(를), 이(가),
    은(는), 과(와), (으)로) by the word before each: for texts made from a
    template, ``"{name}을(를) 보냈습니다"``, after the values are in. Markup
    stays Markup (only particles are added)."""
    if not text or "(" not in text:
        return text
    markup = hasattr(text, "__html__")

    def one(m: re.Match) -> str:
        before = m.string[max(0, m.start() - 200):m.start()]
        if markup:  # read the text, not the tags and entities
            before = html.unescape(_TAG_RE.sub("", before))
        if not before or before[-1].isspace():
            return m.group(0)  # a marker on its own (a notice about particles)
        return particle(before, _MARKERS[m.group(0)])

    out = _MARKER_RE.sub(one, str(text))
    return type(text)(out) if type(text) is not str else out
