"""Version counters (services.core.versions): counted where the domain writes,
bumped in Redis only after the commit that wrote the change."""

from __future__ import annotations

from services import ledger
from services.core import versions
from services.models import Household


def count(rt, household_id: int) -> int:
    return versions.read(rt.redis, [versions.household_key(household_id)])[0]


def test_a_change_is_counted_after_its_commit_not_before(demo):
    with demo.session() as s:
        hh = s.query(Household).first()
        hid = hh.id
    before = count(demo, hid)
    with demo.session() as s:
        versions.household_changed(s, hid)
        assert count(demo, hid) == before  # a reader now renders the old rows under the old count
    assert count(demo, hid) == before + 1


def test_the_ledger_counts_new_requests_and_events(demo):
    with demo.session() as s:
        hh = s.query(Household).first()
        hid = hh.id
        resident_id = hh.residents[0].id
    before = count(demo, hid)
    with demo.session() as s:
        req, created = ledger.create_request(s, demo.crypto, client_token="versions-test", kind="certificate",
                                             household_id=hid, resident_id=resident_id, channel="tv")
        rid = req.id
    assert created and count(demo, hid) > before
    now = count(demo, hid)
    with demo.session() as s:
        assert ledger.append_event(s, rid, "versions-step", "accepted")
    assert count(demo, hid) == now + 1
    with demo.session() as s:  # the same event again is no change
        assert not ledger.append_event(s, rid, "versions-step", "accepted")
    assert count(demo, hid) == now + 1
