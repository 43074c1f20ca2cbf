"""The Korean numbering plan: normalise, classify, format, mask, policy."""

from __future__ import annotations

import pytest

from fax_bridge.errors import NumberRefused
from fax_bridge.numbers import (
    Category,
    FaxNumberPolicy,
    classify,
    format_number,
    mask,
    normalise,
    parse,
)

TABLE = [
    # raw, category, formatted, masked, allowed by default
    ("02-1234-5678", Category.SEOUL, "02-1234-5678", "02-****-5678", True),
    ("02 123 4567", Category.SEOUL, "02-123-4567", "02-***-4567", True),
    ("+82 2-1234-5678", Category.SEOUL, "02-1234-5678", "02-****-5678", True),
    ("+82 (0)31 123 4567", Category.REGIONAL, "031-123-4567", "031-***-4567", True),
    ("0082-51-1234-5678", Category.REGIONAL, "051-1234-5678", "051-****-5678", True),
    ("064.123.4567", Category.REGIONAL, "064-123-4567", "064-***-4567", True),
    ("０４４－１２３－４５６７", Category.REGIONAL, "044-123-4567", "044-***-4567", True),
    ("070-1234-5678", Category.INTERNET, "070-1234-5678", "070-****-5678", True),
    ("010-1234-5678", Category.MOBILE, "010-1234-5678", "010-****-5678", False),
    ("011-123-4567", Category.MOBILE, "011-123-4567", "011-***-4567", False),
    ("0505-123-4567", Category.PERSONAL, "0505-123-4567", "0505-***-4567", False),
    ("060-700-1234", Category.PREMIUM, "060-700-1234", "060-***-1234", False),
    ("080-123-4567", Category.TOLL_FREE, "080-123-4567", "080-***-4567", False),
    ("1588-1234", Category.REPRESENTATIVE, "1588-1234", "1588-****", False),
    ("1644 5678", Category.REPRESENTATIVE, "1644-5678", "1644-****", False),
    ("1899-0000", Category.REPRESENTATIVE, "1899-0000", "1899-****", False),
    ("001-1-555-123-4567", Category.INTERNATIONAL, "00115551234567", "0011********67", False),
    ("+1 555 123 4567", Category.INTERNATIONAL, "+15551234567", "+155******67", False),
    ("114", Category.SHORT, "114", "114", False),
    ("1330", Category.SHORT, "1330", "1330", False),
    ("02-12", Category.INVALID, "0212", "***", False),
    ("039-123-4567", Category.INVALID, "0391234567", "0391****67", False),
    ("fax me", Category.INVALID, "", "***", False),
    ("", Category.INVALID, "", "***", False),
]


@pytest.mark.parametrize("raw,category,formatted,masked,allowed", TABLE)
def test_policy_table(raw, category, formatted, masked, allowed):
    assert classify(raw) is category
    assert format_number(raw) == formatted
    assert mask(raw) == masked
    assert FaxNumberPolicy().is_allowed(raw) is allowed


def test_normalise_folds_country_code_and_separators():
    assert normalise("+82 10-1234-5678") == "01012345678"
    assert normalise("(02) 1234-5678") == "0212345678"
    assert normalise("+82") == ""


def test_refusal_carries_korean_and_english_reasons_and_no_full_number():
    with pytest.raises(NumberRefused) as info:
        FaxNumberPolicy().check("010-9876-5432")
    err = info.value
    assert err.category == "mobile"
    assert "휴대전화" in err.reason_ko
    assert "mobile" in err.reason_en
    assert "9876" not in str(err) and "98765432" not in str(err)
    assert err.masked == "010-****-5432"


def test_every_refused_category_has_a_korean_reason():
    policy = FaxNumberPolicy()
    for raw, category, _, _, allowed in TABLE:
        if allowed:
            continue
        with pytest.raises(NumberRefused) as info:
            policy.check(raw)
        assert info.value.category == category.value
        assert any("\uac00" <= ch <= "\ud7a3" for ch in info.value.reason_ko)


def test_policy_is_configurable():
    policy = FaxNumberPolicy(allowed=frozenset({Category.SEOUL, Category.PERSONAL}))
    assert policy.check("0505-123-4567").category is Category.PERSONAL
    with pytest.raises(NumberRefused):
        policy.check("031-123-4567")
    blocked = FaxNumberPolicy(blocked=frozenset({"0212345678"}))
    with pytest.raises(NumberRefused) as info:
        blocked.check("02-1234-5678")
    assert info.value.reason_en == "number is on the block list"


def test_fax_number_never_shows_digits_in_repr_or_str():
    number = parse("02-2345-6789")
    assert "2345" not in repr(number) and "2345" not in str(number)
    assert number.formatted == "02-2345-6789"
