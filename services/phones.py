"""Korean telephone numbers, read with Google's libphonenumber (``phonenumbers``,
region KR): one place for every number a resident types or a gateway sends.

- :func:`national_digits` is the form we match and hash (``+82 10-1234-5678``,
  ``821012345678``, ``010 1234 5678`` -> ``01012345678``);
- :func:`display` is the Korean way of writing it (``010-1234-5678``,
  ``02-123-4567``, ``0505-123-4567``, ``1588-1234``);
- :func:`is_valid` is libphonenumber's verdict.

Digits that are not a Korean number (a foreign number, a short code typed
without a country code, text) come back as their digits, unchanged, so a
stranger's number is still matched and hashed the same way every time.
(``fax_bridge.numbers`` keeps its own table, to stand alone; a test holds it
against this library.)
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import CountryCodeSource, NumberParseException, PhoneNumber, PhoneNumberFormat

REGION = "KR"
COUNTRY_CODE = 82

_NON_DIGIT = re.compile(r"\D")


def _digits(raw: str | None) -> str:
    return _NON_DIGIT.sub("", unicodedata.normalize("NFKC", raw or ""))


def parse(raw: str | None) -> PhoneNumber | None:
    """The number as libphonenumber reads it (region KR), or None."""
    try:
        return phonenumbers.parse(unicodedata.normalize("NFKC", raw or ""), REGION, keep_raw_input=True)
    except NumberParseException:
        return None


def _korean(raw: str | None) -> PhoneNumber | None:
    """A Korean number given with a country code or its national 0; else None."""
    n = parse(raw)
    if n is None or n.country_code != COUNTRY_CODE or not phonenumbers.is_possible_number(n):
        return None
    if n.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY and not _digits(raw).startswith("0"):
        # no 0 and no +82: kept as typed (1588-1234 is one; 1012345678 is not read as 010-...)
        if not _digits(raw).startswith(("15", "16", "18")):
            return None
    n.extension = None
    return n


def national_digits(raw: str | None) -> str:
    """Digits as dialled inside Korea (``+82 10 ...`` -> ``010...``); other
    input: its digits."""
    n = _korean(raw)
    if n is None:
        return _digits(raw)
    return _digits(phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL))


def groups(raw: str | None) -> list[str]:
    """The number cut as Koreans write it; ``[digits]`` when it cannot be."""
    n = _korean(raw)
    d = national_digits(raw)
    if n is None:
        return [d] if d else []
    if d.startswith("050") and len(d) in (11, 12):  # 0505-123-4567: the 4-digit prefix is the code
        return [d[:4], d[4:-4], d[-4:]]
    return phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL).split("-")


def display(raw: str | None) -> str:
    """``010-1234-5678``, ``02-123-4567``, ``031-123-4567``, ``0505-123-4567``,
    ``1588-1234``; other input: its digits."""
    return "-".join(groups(raw))


def is_valid(raw: str | None) -> bool:
    """libphonenumber's verdict on a number (region KR)."""
    n = parse(raw)
    return n is not None and phonenumbers.is_valid_number(n)


def is_mobile(raw: str | None) -> bool:
    n = parse(raw)
    return n is not None and phonenumbers.number_type(n) == phonenumbers.PhoneNumberType.MOBILE
