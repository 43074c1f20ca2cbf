"""services.phones: one reading of Korean numbers (libphonenumber, region KR)
for matching, hashing, masking and display."""

from __future__ import annotations

import pytest

from services import phones, pii
from services.core.crypto import Crypto
from services.households import phone_hash
from services.sms import normal_digits


@pytest.mark.parametrize("raw,digits,shown", [
    ("010-1234-5678", "01012345678", "010-1234-5678"),
    ("01012345678", "01012345678", "010-1234-5678"),
    ("010 1234 5678", "01012345678", "010-1234-5678"),
    ("+82 10 1234 5678", "01012345678", "010-1234-5678"),
    ("+82 010 1234 5678", "01012345678", "010-1234-5678"),  # the 0 people keep after +82
    ("+82-10-1234-5678", "01012345678", "010-1234-5678"),
    ("821012345678", "01012345678", "010-1234-5678"),  # what some gateways send
    ("０１０-１２３４-５６７８", "01012345678", "010-1234-5678"),  # full-width
    ("010-0000-0005", "01000000005", "010-0000-0005"),  # the demo's phones
    ("011-123-4567", "0111234567", "011-123-4567"),
    ("02-123-4567", "021234567", "02-123-4567"),
    ("02-1234-5678", "0212345678", "02-1234-5678"),
    ("(02) 123-4567", "021234567", "02-123-4567"),
    ("+82-2-123-4567", "021234567", "02-123-4567"),
    ("82212345678", "0212345678", "02-1234-5678"),
    ("031-123-4567", "0311234567", "031-123-4567"),
    ("064-1234-5678", "06412345678", "064-1234-5678"),
    ("070-1234-5678", "07012345678", "070-1234-5678"),
    ("0505-123-4567", "05051234567", "0505-123-4567"),
    ("080-123-4567", "0801234567", "080-123-4567"),
    ("1588-1234", "15881234", "1588-1234"),
    ("+82 1588 1234", "15881234", "1588-1234"),
    # not Korean numbers: their digits, as before
    ("114", "114", "114"),
    ("+1 415 555 2671", "14155552671", "14155552671"),
    ("1012345678", "1012345678", "1012345678"),  # no 0, no +82: not read as 010-...
    ("8210", "8210", "8210"),
    ("", "", ""),
    ("MAPO", "", ""),
])
def test_national_digits_and_display(raw, digits, shown):
    assert phones.national_digits(raw) == digits
    assert normal_digits(raw) == digits  # the SMS side uses the same
    assert phones.display(raw) == shown


def test_one_phone_one_hash_whatever_the_form():
    crypto = Crypto("k" * 32)
    forms = ["010-1234-5678", "+82 10 1234 5678", "821012345678", "01012345678", "+82 010-1234-5678",
             "０１０１２３４５６７８"]
    assert len({phone_hash(crypto, f) for f in forms}) == 1
    assert phone_hash(crypto, "010-1234-5679") != phone_hash(crypto, "010-1234-5678")


@pytest.mark.parametrize("raw,masked", [
    ("010-1234-5678", "010-****-5678"),
    ("+82 10 1234 5678", "010-****-5678"),
    ("02-123-4567", "02-****-4567"),
    ("031-123-4567", "031-****-4567"),
    ("0505-123-4567", "0505-****-4567"),
    ("1588-1234", "158-****-1234"),  # as before: not a number people fax or text from
    ("12345", "*****"),
])
def test_masks(raw, masked):
    assert pii.mask_phone(raw) == masked


def test_validity_is_libphonenumbers():
    assert phones.is_valid("02-123-4567") and phones.is_valid("010-1234-5678")
    assert not phones.is_valid("02-012-3456")  # an exchange cannot start with 0
    assert not phones.is_valid("114") and not phones.is_valid("")
    assert phones.is_mobile("010-1234-5678") and not phones.is_mobile("02-123-4567")
