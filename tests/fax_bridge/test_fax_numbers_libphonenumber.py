"""fax_bridge's own numbering table held against Google's libphonenumber
(``phonenumbers``, region KR), prefix by prefix.

fax_bridge stands alone (it imports nothing of ours, nor phonenumbers); this
test is what keeps its table honest. For generated numbers under every
Korean prefix:

- numbers a fax can go to - fixed lines (02, 031-064) and 070 internet
  lines: fax_bridge accepts a number **iff** libphonenumber says it is a
  valid fixed-line or VoIP number, and writes it as libphonenumber does;
- every other kind is refused by fax_bridge's policy **whatever
  libphonenumber says** (deliberate: a fax cannot be delivered to them):
  mobile 010-019 (incl. 012 and the 015 pager range, which libphonenumber
  still lists), 050x personal numbers, 060 premium, 080 and 030 toll-free,
  15xx/16xx/18xx representative numbers, short codes, foreign numbers;
- one deliberate difference among fixed lines: libphonenumber also lists
  regional short service numbers (``031-120``: the regional code, a 1 and 2-3
  digits); they are not fax lines and fax_bridge refuses them.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from fax_bridge.numbers import Category, FaxNumberPolicy, classify, format_number

AREA_CODES = ["02"] + ["0%d" % n for n in range(30, 70)]  # every 0NN, real or not
INTERNET = ["070"]
FAX_KINDS = (PhoneNumberType.FIXED_LINE, PhoneNumberType.VOIP, PhoneNumberType.FIXED_LINE_OR_MOBILE)

REFUSED_PREFIXES = (
    ["0%d" % n for n in range(10, 20)]  # mobile 010-019 (and 012, 015 pagers)
    + ["050%d" % d for d in range(10)]  # personal numbers
    + ["060", "080", "030"]  # premium, toll-free
    + ["1%d%02d" % (a, b) for a in (5, 6, 8) for b in range(100)]  # representative 15xx/16xx/18xx
)
POLICY = FaxNumberPolicy()


def _numbers(prefix: str, rng: random.Random, per_shape: int = 3) -> list[str]:
    """Numbers under ``prefix``: every first digit of the exchange, exchanges
    of 1 to 5 digits, a 4-digit line number; some one digit short or long."""
    out = []
    for first in "0123456789":
        for ex_len in (1, 2, 3, 4, 5):
            for _ in range(per_shape):
                exchange = first + "".join(rng.choice("0123456789") for _ in range(ex_len - 1))
                out.append(prefix + exchange + "%04d" % rng.randrange(10000))
    for _ in range(per_shape * 3):
        out.append(prefix + "%d" % rng.randrange(10 ** 8))  # any length up to 8 more digits
    return out


def _lib(number: str) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(number, "KR")


def _lib_fax_line(number: str) -> bool:
    n = _lib(number)
    if not phonenumbers.is_valid_number(n) or phonenumbers.number_type(n) not in FAX_KINDS:
        return False
    national = str(n.national_number)
    short_service = not national.startswith("2") and len(national) <= 6  # 031-120, 0311-2345
    return not short_service


@pytest.mark.parametrize("prefix", AREA_CODES + INTERNET)
def test_fax_lines_are_accepted_iff_libphonenumber_says_valid(prefix):
    rng = random.Random(prefix)
    disagree = []
    for number in _numbers(prefix, rng):
        ours, lib = POLICY.is_allowed(number), _lib_fax_line(number)
        if ours != lib:
            disagree.append((number, ours, lib))
        if ours:
            lib_form = phonenumbers.format_number(_lib(number), PhoneNumberFormat.NATIONAL)
            assert format_number(number) == lib_form, number
    assert disagree == []


def test_exchanges_never_start_with_0():
    for number in ("02-012-3456", "02-0123-4567", "031-012-3456", "064-0123-4567"):
        assert classify(number) is Category.INVALID and not POLICY.is_allowed(number)
        assert not phonenumbers.is_valid_number(_lib(number))
    for number in ("02-123-4567", "02-2345-6789", "031-123-4567", "064-712-3456"):
        assert POLICY.is_allowed(number) and phonenumbers.is_valid_number(_lib(number))


@pytest.mark.parametrize("prefix", REFUSED_PREFIXES[:20] + ["060", "080", "030", "1588", "1644", "1899"])
def test_other_kinds_are_refused_whatever_libphonenumber_says(prefix):
    rng = random.Random(prefix)
    valid = 0
    for number in _numbers(prefix, rng, per_shape=1):
        assert not POLICY.is_allowed(number), number
        valid += phonenumbers.is_valid_number(_lib(number))
    if prefix in ("010", "0505", "060", "080", "1588"):
        assert valid  # libphonenumber knows these; the refusal is ours


def test_every_representative_prefix_is_refused():
    for prefix in REFUSED_PREFIXES:
        if len(prefix) == 4:
            assert not POLICY.is_allowed(prefix + "1234")


def test_libphonenumbers_own_examples():
    for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.VOIP):
        example = phonenumbers.example_number_for_type("KR", kind)
        national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
        assert POLICY.is_allowed(national) and format_number(national) == national
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.TOLL_FREE,
                 PhoneNumberType.PREMIUM_RATE, PhoneNumberType.UAN, PhoneNumberType.PAGER):
        example = phonenumbers.example_number_for_type("KR", kind)
        if example is not None:
            assert not POLICY.is_allowed(phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL))
