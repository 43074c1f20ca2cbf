"""Korean telephone numbers for fax delivery: normalise, classify, format, mask, allow.

The numbering plan is the one the Ministry of Science and ICT publishes:

=================  ==========================  ======================
category           prefix                      example (formatted)
=================  ==========================  ======================
``seoul``          02                          02-1234-5678
``regional``       031-033, 041-044, 051-055,  031-123-4567
                   061-064
``internet``       070                         070-1234-5678
``mobile``         010, 011, 016-019           010-1234-5678
``personal``       050x                        0505-123-4567
``premium``        060                         060-123-4567
``toll_free``      080                         080-123-4567
``representative`` 15xx, 16xx, 18xx            1588-1234
``international``  +CC, 00x                    +1-555...
``short``          1xx, 1xxx                   114, 1330
=================  ==========================  ======================

A local number's exchange (국번, after 02 or the regional code) never starts
with 0: 0 is the trunk prefix, so ``02-012-3456`` is refused as invalid.
``tests/fax_bridge/test_fax_numbers_libphonenumber.py`` holds this table
against Google's libphonenumber for every prefix (this package imports
nothing but the standard library and its own modules).

A :class:`FaxNumber` never shows its digits in ``repr()`` or ``str()``; use
:attr:`FaxNumber.formatted` only where the full number is really needed (the
cover page, the dial string) and :func:`mask` everywhere else.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field

from .errors import NumberRefused

__all__ = [
    "Category",
    "FaxNumber",
    "FaxNumberPolicy",
    "classify",
    "format_number",
    "mask",
    "normalise",
    "parse",
]


class Category(str, enum.Enum):
    """Kinds of numbers in the Korean numbering plan."""

    SEOUL = "seoul"
    REGIONAL = "regional"
    INTERNET = "internet"
    MOBILE = "mobile"
    PERSONAL = "personal"
    PREMIUM = "premium"
    TOLL_FREE = "toll_free"
    REPRESENTATIVE = "representative"
    INTERNATIONAL = "international"
    SHORT = "short"
    INVALID = "invalid"


REGIONAL_CODES = frozenset(
    ["031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055",
     "061", "062", "063", "064"]
)
MOBILE_CODES = frozenset(["010", "011", "016", "017", "018", "019"])

_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"\+?\d+")


def normalise(raw: str) -> str:
    """Return the number as dialled inside Korea: digits only, ``+82`` folded to ``0``.

    Full-width digits are accepted, spaces, hyphens, dots, slashes and brackets
    are dropped. A foreign number keeps its ``+`` (``+15551234567``). Anything
    else (letters, a stray ``+``) yields the empty string.

    >>> normalise("+82 (0)2-1234-5678")
    '0212345678'
    """
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not _DIGITS.fullmatch(text):
        return ""
    if text.startswith("+82"):
        rest = text[3:].lstrip("0")
        return "0" + rest if rest else ""
    if text.startswith("0082"):
        rest = text[4:].lstrip("0")
        return "0" + rest if rest else ""
    return text


def _split(digits: str) -> tuple[Category, list[str]]:
    """Classify normalised digits and cut them into display groups."""
    n = len(digits)
    if not digits:
        return Category.INVALID, []
    if digits.startswith("+") or digits.startswith("00"):
        return (Category.INTERNATIONAL, [digits]) if n >= 8 else (Category.INVALID, [digits])
    if digits.startswith("02"):
        if n in (9, 10) and digits[2] != "0":
            return Category.SEOUL, [digits[:2], digits[2:-4], digits[-4:]]
        return Category.INVALID, [digits]
    head3 = digits[:3]
    if head3 in REGIONAL_CODES:
        if n in (10, 11) and digits[3] != "0":
            return Category.REGIONAL, [head3, digits[3:-4], digits[-4:]]
        return Category.INVALID, [digits]
    if head3 == "070":
        if n == 11:
            return Category.INTERNET, [head3, digits[3:7], digits[7:]]
        return Category.INVALID, [digits]
    if head3 in MOBILE_CODES:
        if n == 11 or (n == 10 and head3 != "010"):
            return Category.MOBILE, [head3, digits[3:-4], digits[-4:]]
        return Category.INVALID, [digits]
    if head3 == "050":
        if n in (11, 12):
            return Category.PERSONAL, [digits[:4], digits[4:-4], digits[-4:]]
        return Category.INVALID, [digits]
    if head3 in ("060", "080"):
        cat = Category.PREMIUM if head3 == "060" else Category.TOLL_FREE
        if n in (10, 11):
            return cat, [head3, digits[3:-4], digits[-4:]]
        return Category.INVALID, [digits]
    if digits[:2] in ("15", "16", "18") and n == 8:
        return Category.REPRESENTATIVE, [digits[:4], digits[4:]]
    if digits.startswith("1") and n in (3, 4):
        return Category.SHORT, [digits]
    return Category.INVALID, [digits]


def classify(raw: str) -> Category:
    """Return the :class:`Category` of a number as typed by a person."""
    return _split(normalise(raw))[0]


def format_number(raw: str) -> str:
    """Format a number the Korean way (``02-1234-5678``); invalid input comes back normalised."""
    return "-".join(_split(normalise(raw))[1])


def mask(raw: str) -> str:
    """Hide a number's middle digits: ``02-****-5678``, ``1588-****``, ``+155*****67``.

    Safe for logs and exception messages. An unreadable number becomes ``***``.
    """
    category, groups = _split(normalise(raw))
    if len(groups) == 3:
        return "%s-%s-%s" % (groups[0], "*" * len(groups[1]), groups[2])
    if len(groups) == 2:
        return "%s-%s" % (groups[0], "*" * len(groups[1]))
    if len(groups) == 1 and len(groups[0]) >= 6:
        g = groups[0]
        return g[:4] + "*" * (len(g) - 6) + g[-2:]
    if category is Category.SHORT:
        return groups[0]
    return "***"


@dataclass(frozen=True)
class FaxNumber:
    """A normalised, classified number. ``repr`` and ``str`` show it masked."""

    digits: str
    category: Category

    @property
    def formatted(self) -> str:
        """The full number in Korean form, for the cover page only."""
        return format_number(self.digits)

    @property
    def masked(self) -> str:
        """The number with its middle group hidden, for logs and screens."""
        return mask(self.digits)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return "FaxNumber(%s, %s)" % (self.masked, self.category.value)


def parse(raw: str) -> FaxNumber:
    """Normalise and classify without applying any policy."""
    digits = normalise(raw)
    return FaxNumber(digits, _split(digits)[0])


# Reasons shown to a resident (Korean) and to operators (English), per category.
DEFAULT_REASONS: dict[Category, tuple[str, str]] = {
    Category.MOBILE: (
        "휴대전화 번호로는 팩스를 보낼 수 없습니다. 받으실 곳의 팩스 번호(예: 02-1234-5678)를 입력해 주세요.",
        "mobile numbers cannot receive faxes",
    ),
    Category.PERSONAL: (
        "050으로 시작하는 개인 번호로는 팩스를 보낼 수 없습니다. 일반 팩스 번호를 입력해 주세요.",
        "050 personal numbers are not allowed",
    ),
    Category.PREMIUM: (
        "060 유료 정보 서비스 번호로는 팩스를 보낼 수 없습니다.",
        "premium-rate 060 numbers are not allowed",
    ),
    Category.TOLL_FREE: (
        "080 수신자 부담 번호로는 팩스를 보낼 수 없습니다. 받으실 곳의 팩스 번호를 입력해 주세요.",
        "toll-free 080 numbers are not allowed",
    ),
    Category.REPRESENTATIVE: (
        "1588, 1644 같은 대표 번호로는 팩스를 보낼 수 없습니다. 지역 번호가 있는 팩스 번호를 입력해 주세요.",
        "representative numbers (15xx/16xx/18xx) are not allowed",
    ),
    Category.INTERNATIONAL: (
        "해외 번호로는 팩스를 보낼 수 없습니다. 국내 팩스 번호를 입력해 주세요.",
        "international numbers are not allowed",
    ),
    Category.SHORT: (
        "114, 119 같은 특수 번호로는 팩스를 보낼 수 없습니다.",
        "short codes are not allowed",
    ),
    Category.INVALID: (
        "팩스 번호가 올바르지 않습니다. 지역 번호부터 다시 입력해 주세요(예: 02-1234-5678).",
        "malformed number",
    ),
    Category.SEOUL: ("이 번호로는 팩스를 보낼 수 없습니다.", "Seoul numbers are disabled"),
    Category.REGIONAL: ("이 번호로는 팩스를 보낼 수 없습니다.", "regional numbers are disabled"),
    Category.INTERNET: (
        "070 인터넷 전화 번호로는 팩스를 보낼 수 없습니다.",
        "070 internet numbers are disabled",
    ),
}

DEFAULT_ALLOWED = frozenset([Category.SEOUL, Category.REGIONAL, Category.INTERNET])


@dataclass(frozen=True)
class FaxNumberPolicy:
    """Which categories may be faxed, and what to say when one may not.

    The default allows Seoul, regional and 070 numbers and refuses the rest.
    ``blocked`` holds normalised numbers refused whatever their category (a
    municipality's own switchboard, known abuse).
    """

    allowed: frozenset[Category] = DEFAULT_ALLOWED
    reasons: dict[Category, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_REASONS))
    blocked: frozenset[str] = frozenset()

    def check(self, raw: str) -> FaxNumber:
        """Return the :class:`FaxNumber` or raise :class:`NumberRefused` with both reasons."""
        number = parse(raw)
        if number.category in self.allowed and number.digits not in self.blocked:
            return number
        if number.digits in self.blocked and number.category in self.allowed:
            ko, en = ("이 번호로는 팩스를 보낼 수 없습니다. 다른 팩스 번호를 입력해 주세요.",
                      "number is on the block list")
        else:
            ko, en = self.reasons.get(number.category, DEFAULT_REASONS[Category.INVALID])
        raise NumberRefused(number.category.value, number.masked, ko, en)

    def is_allowed(self, raw: str) -> bool:
        """True when :meth:`check` would accept the number."""
        number = parse(raw)
        return number.category in self.allowed and number.digits not in self.blocked
