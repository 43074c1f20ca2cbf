"""The request ledger on SQLite and on a real PostgreSQL server."""

import re

import pytest
from sqlalchemy import func, select

from services import ledger
from services.core.crypto import Crypto
from services.core.db import get_engine, session_scope
from services.models import Household, Request, RequestEvent

CRYPTO = Crypto("test-key" * 5)


@pytest.fixture
def household(any_db_url):
    with session_scope(any_db_url) as s:
        hh = Household(code="1144012-0001", address="서울특별시 마포구")
        s.add(hh)
        s.flush()
        return any_db_url, hh.id


def test_create_is_idempotent_by_client_token(household):
    url, hh_id = household
    with session_scope(url) as s:
        r1, created1 = ledger.create_request(
            s, CRYPTO, client_token="tok-1", kind="certificate", household_id=hh_id,
            resident_id=None, channel="tv", delivery_method="fax", delivery_address="02-1234-5678",
            options={"certificate_type": "resident-copy"})
    with session_scope(url) as s:
        r2, created2 = ledger.create_request(
            s, CRYPTO, client_token="tok-1", kind="certificate", household_id=hh_id,
            resident_id=None, channel="tv")
    assert created1 and not created2
    assert r1.id == r2.id
    assert re.fullmatch(r"\d{8}-\d{6}", r1.receipt_no)
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Request)) == 1
        req = s.get(Request, r1.id)
        assert req.delivery_address_masked == "02-****-5678"
        assert "1234" not in (req.delivery_address_enc or "")
        assert CRYPTO.decrypt(req.delivery_address_enc) == "02-1234-5678"
        assert [e.kind for e in ledger.timeline(s, req.id)] == ["received"]


def test_events_append_once_per_key_and_keep_order(household):
    url, hh_id = household
    with session_scope(url) as s:
        req, _ = ledger.create_request(s, CRYPTO, client_token="tok-2", kind="certificate",
                                       household_id=hh_id, resident_id=None, channel="sms")
        assert ledger.append_event(s, req.id, "accepted", "accepted", {"n": 1})
        assert not ledger.append_event(s, req.id, "accepted", "accepted", {"n": 2})
        assert ledger.append_event(s, req.id, "page:1", "delivering", {"page": 1})
    with session_scope(url) as s:
        events = ledger.timeline(s, req.id)
        assert [e.key for e in events] == ["received", "accepted", "page:1"]
        assert events[1].detail == {"n": 1}
        assert events[0].created_at.tzinfo is not None
        assert s.scalar(select(func.count()).select_from(RequestEvent)) == 3


def test_bad_channel_and_method_are_refused(household):
    url, hh_id = household
    with session_scope(url) as s:
        with pytest.raises(ledger.LedgerError):
            ledger.create_request(s, CRYPTO, client_token="t", kind="certificate",
                                  household_id=hh_id, resident_id=None, channel="web")
        with pytest.raises(ledger.LedgerError):
            ledger.create_request(s, CRYPTO, client_token="t", kind="certificate",
                                  household_id=hh_id, resident_id=None, channel="tv",
                                  delivery_method="pigeon")


def test_cancel_is_terminal_and_once(household):
    url, hh_id = household
    with session_scope(url) as s:
        req, _ = ledger.create_request(s, CRYPTO, client_token="tok-3", kind="certificate",
                                       household_id=hh_id, resident_id=None, channel="tv")
        assert ledger.cancel(s, req)
        assert not ledger.cancel(s, req)
        assert req.status == "cancelled"


def test_list_requests_newest_first(household):
    url, hh_id = household
    with session_scope(url) as s:
        for i in range(3):
            ledger.create_request(s, CRYPTO, client_token="tok-l%d" % i, kind="certificate",
                                  household_id=hh_id, resident_id=None, channel="tv")
    with session_scope(url) as s:
        got = ledger.list_requests(s, hh_id)
        assert [r.client_token for r in got] == ["tok-l2", "tok-l1", "tok-l0"]


def test_request_page_fetches_one_page_and_counts(household):
    url, hh_id = household
    with session_scope(url) as s:
        for i in range(8):
            req, _ = ledger.create_request(
                s, CRYPTO, client_token="tok-p%d" % i, kind="certificate", household_id=hh_id,
                resident_id=None, channel="tv", options={"certificate_type": "land-register"})
            ledger.append_event(s, req.id, "sent", "sent_to_backend", {"n": i})
    with session_scope(url) as s:
        rows, page, count = ledger.request_page(s, hh_id, 1, 6)
        assert (page, count, len(rows)) == (1, 8, 6)
        assert rows[0].certificate_type == "land-register" and rows[0].kind == "certificate"
        rows2, page, _ = ledger.request_page(s, hh_id, 9, 6)  # past the end: the last page
        assert page == 2 and len(rows2) == 2
        assert [r.receipt_no for r in rows + rows2] == [
            r.receipt_no for r in ledger.list_requests(s, hh_id)]
        rows, page, count = ledger.request_page(s, hh_id, 2, 6, limit=7)
        assert (page, count, len(rows)) == (2, 7, 1)
        assert ledger.request_page(s, hh_id + 1, 1, 6) == ([], 1, 0)
        one = ledger.request_summary(s, rows2[0].receipt_no, hh_id)
        assert one.receipt_no == rows2[0].receipt_no and one.delivery_method == "none"
        assert ledger.request_summary(s, rows2[0].receipt_no, hh_id + 1) is None
        steps = ledger.timeline_rows(s, one.id)
        assert [(e.kind, e.detail) for e in steps] == [
            (e.kind, e.detail) for e in ledger.timeline(s, one.id)]
        both, events = ledger.request_with_timeline(s, one.receipt_no, hh_id)
        assert tuple(both)[:len(one)] == tuple(one) and [tuple(e)[:3] for e in events] == [tuple(e) for e in steps]
        assert ledger.request_with_timeline(s, one.receipt_no, hh_id + 1) == (None, [])
    # the screens read the same on a plain connection (no unit of work): services.ledger's
    # household_request_page and request_screen
    with get_engine(url).connect() as conn:
        assert ledger.request_page(conn, hh_id, 1, 6) == ledger.request_page(s, hh_id, 1, 6)
        assert ledger.request_page(conn, hh_id, 9, 6)[1:] == (2, 8)
        again, events_again = ledger.request_with_timeline(conn, one.receipt_no, hh_id)
        assert tuple(again) == tuple(both) and events_again == events
