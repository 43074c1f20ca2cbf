"""Remembered destinations (real database and Redis): one row per number and
household, encrypted with a keyed hash, the last used first, at most LIMIT;
names given on the phone page; numbers the numbering plan now refuses listed
with the reason and never sent to; the repeat and one-press plans."""

import pytest
from sqlalchemy import select

from services import destinations
from services.certificates import requests as certs
from services.households import get_household
from services.ledger import get_by_receipt
from services.models import Destination, Resident, utcnow


def household(rt, code="1144012-0001"):
    with rt.session() as s:
        return get_household(s, code).id


def remember(rt, hid, *numbers):
    for n in numbers:
        with rt.session() as s:
            destinations.remember(s, rt.crypto, hid, n)


def test_one_row_per_number_encrypted_last_used_first(demo):
    hid, other = household(demo), household(demo, "1144012-0002")
    remember(demo, hid, "02-2153-1234", "031-123-4567", "02-2153-1234")
    remember(demo, other, "02-2153-1234")
    assert [d.number for d in destinations.household_destinations(demo, hid)] == ["02-2153-1234", "031-123-4567"]
    assert [d.number for d in destinations.household_destinations(demo, other)] == ["02-2153-1234"]
    with demo.session() as s:
        rows = list(s.scalars(select(Destination)))
    assert len(rows) == 3
    for row in rows:
        assert "2153" not in row.number_enc and "123-4567" not in row.number_enc and "1234" not in row.number_hash
    assert len({r.number_hash for r in rows}) == 2  # the same number hashes the same in both households


def test_the_oldest_goes_past_the_limit(demo):
    hid = household(demo)
    numbers = ["02-2153-%04d" % (1000 + i) for i in range(destinations.LIMIT + 2)]
    remember(demo, hid, *numbers)
    kept = [d.number for d in destinations.household_destinations(demo, hid)]
    assert kept == list(reversed(numbers))[:destinations.LIMIT]


def test_forget_only_the_households_own(demo):
    hid, other = household(demo), household(demo, "1144012-0002")
    remember(demo, hid, "02-2153-1234")
    d = destinations.household_destinations(demo, hid)[0]
    assert destinations.forget(demo, other, d.id) is False
    assert destinations.forget(demo, hid, d.id) is True
    assert destinations.household_destinations(demo, hid) == []
    assert destinations.forget(demo, hid, d.id) is False


def test_a_number_the_plan_now_refuses_is_listed_with_the_reason_and_never_used(demo):
    hid = household(demo)
    with demo.session() as s:  # remembered before the policy changed (a mobile number)
        s.add(Destination(household_id=hid, method="fax", number_enc=demo.crypto.encrypt("010-1234-5678"),
                          number_hash=demo.crypto.keyed_hash("01012345678", "destination-fax"),
                          last_used_at=utcnow(), created_at=utcnow()))
    d = destinations.household_destinations(demo, hid)[0]
    assert not d.usable and "휴대전화" in d.reason
    with pytest.raises(destinations.DestinationError) as e:
        destinations.number_of(demo, hid, d.id)
    assert e.value.status_code == 422 and "휴대전화" in e.value.message
    assert certs.household_recent_fax(demo, hid) == []


def test_naming_on_the_phone(demo):
    hid, other = household(demo), household(demo, "1144012-0002")
    remember(demo, hid, "02-2153-1234")
    d = destinations.household_destinations(demo, hid)[0]
    with pytest.raises(destinations.DestinationError):
        destinations.start_naming(demo, other, d.id)  # not that household's
    token = destinations.start_naming(demo, hid, d.id)
    info = destinations.naming_info(demo, token)
    assert info == {"number_masked": "02-****-1234", "label": "", "done": False}  # the phone sees it masked
    assert not destinations.naming_done(demo, token, hid)
    assert destinations.give_name(demo, token, "  국민은행\n마포지점 " + "가" * 40) == ("국민은행 마포지점 " + "가" * 40)[:30]
    assert destinations.naming_done(demo, token, hid) and not destinations.naming_done(demo, token, other)
    label = destinations.household_destinations(demo, hid)[0].label
    assert label.startswith("국민은행 마포지점")
    with demo.session() as s:
        assert "국민은행" not in s.get(Destination, d.id).label_enc  # encrypted at rest
    assert destinations.label_for(demo, hid, "0221531234") == label
    for bad in ("nope", "", "x" * 100):
        with pytest.raises(destinations.DestinationError):
            destinations.naming_info(demo, bad)


def submit(rt, hid, ref="R1001", method="fax", address="02-2153-1234", token="t1", ctype="resident-copy",
           options=None):
    with rt.session() as s:
        rid = s.scalar(select(Resident.id).where(Resident.ref == ref))
        req, _ = certs.submit(s, rt, client_token=token, household_id=hid, resident_id=rid, cert_type=ctype,
                              options=options or {"full_rrn": "no"}, method=method, address=address)
        return req.receipt_no, rid


def delivered(rt, receipt):
    with rt.session() as s:
        get_by_receipt(s, receipt).status = "delivered"


def test_a_fax_request_remembers_its_number(demo):
    hid = household(demo)
    submit(demo, hid, address="0221531234")
    submit(demo, hid, method="email", address="a@example.com", token="t2")
    assert [d.number for d in destinations.household_destinations(demo, hid)] == ["02-2153-1234"]


def test_repeat_plan_and_offers(demo):
    hid = household(demo)
    receipt, rid = submit(demo, hid)
    with pytest.raises(certs.FlowError):
        certs.repeat_plan(demo, hid, receipt)  # not delivered yet
    assert certs.repeat_offers(demo, hid) == []
    delivered(demo, receipt)
    again, _ = submit(demo, hid, token="t2")
    delivered(demo, again)  # the same again: offered once
    plan = certs.repeat_plan(demo, hid, receipt)
    assert (plan.cert_type, plan.resident_id, plan.options, plan.method, plan.address) == (
        "resident-copy", rid, {"full_rrn": "no"}, "fax", "02-2153-1234")
    with pytest.raises(certs.FlowError):
        certs.repeat_plan(demo, household(demo, "1144012-0002"), receipt)  # another household's
    offers = certs.repeat_offers(demo, hid, limit=5)
    assert [(o.receipt_no, o.name_ko, o.person, o.shown) for o in offers] == [
        (again, "주민등록표 등본", "김영수", "02-2153-1234")]


def test_quick_plan_to_a_remembered_place(demo):
    hid = household(demo)
    remember(demo, hid, "02-2153-1234")
    with demo.session() as s:
        rid = s.scalar(select(Resident.id).where(Resident.ref == "R1001"))
    places = certs.places_for(demo, hid, rid)
    assert [(p.method, p.shown) for p in places] == [("fax", "02-2153-1234"), ("email", "yo***@example.com")]
    plan = certs.quick_plan(demo, hid, rid, "tax-payment", places[0].key)
    assert (plan.options, plan.method, plan.address) == ({"purpose": "기타"}, "fax", "02-2153-1234")
    assert certs.quick_plan(demo, hid, rid, "tax-payment", "email").method == "email"
    for bad in [("land-register", "email"), ("tax-payment", "d999999"), ("tax-payment", "x")]:
        with pytest.raises(certs.FlowError):
            certs.quick_plan(demo, hid, rid, *bad)
