"""Fax jobs in the database (services.delivery.fax_store), on SQLite and PostgreSQL:
fax_bridge's JobStore contract, the number encrypted at rest, and claims
that never start one attempt twice nor exceed the lines, however many
workers race for them."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from fax_bridge import JobNotFound, JobState, Phase, StatusUpdate
from fax_bridge.store import FaxJob
from services.core.crypto import Crypto
from services.core.db import session_scope
from services.delivery.fax_store import DatabaseJobStore
from services.models import FaxJobRow

CRYPTO = Crypto("fax-store-test-key")
TIFF = b"II*\x00" + bytes(range(256)) * 4


def job(job_id: str, owner: str = "household-1", at: float = 100.0, number: str = "0221531234") -> FaxJob:
    return FaxJob(job_id=job_id, owner=owner, number=number, pages=3, next_at=at, created_at=at, updated_at=at)


@pytest.fixture
def store(any_db_url):
    return DatabaseJobStore(any_db_url, CRYPTO)


def test_add_is_idempotent_and_keeps_the_number_encrypted(store, any_db_url):
    first = job("R-1")
    assert store.add(first, TIFF) is first
    again = store.add(job("R-1", owner="someone-else"), b"other")
    assert again is not first and again.owner == "household-1"
    got = store.get("R-1")
    assert (got.number, got.pages, got.fine, got.state) == ("0221531234", 3, True, JobState.QUEUED)
    assert store.document("R-1") == TIFF
    with session_scope(any_db_url) as s:
        raw = s.scalar(select(FaxJobRow.number_enc).where(FaxJobRow.job_id == "R-1"))
    assert "21531234" not in raw and CRYPTO.decrypt(raw) == "0221531234"
    with pytest.raises(JobNotFound):
        store.get("R-404")
    with pytest.raises(JobNotFound):
        store.document("R-404")


def test_claim_starts_the_fairest_ready_job_and_respects_the_lines(store):
    store.add(job("A-1", owner="a", at=100), TIFF)
    store.add(job("A-2", owner="a", at=101), TIFF)
    store.add(job("B-1", owner="b", at=102), TIFF)
    store.add(job("C-1", owner="c", at=500), TIFF)  # not due yet
    first = store.claim(200.0, lines=2)
    assert (first.job_id, first.state, first.attempt, first.dials) == ("A-1", JobState.SENDING, 1, 1)
    second = store.claim(200.0, lines=2)
    assert second.job_id == "B-1"  # the owner not served yet goes before a's second job
    assert store.claim(200.0, lines=2) is None  # both lines busy
    assert [j.job_id for j in store.active()] == ["A-1", "B-1"]
    assert store.next_due() == 101
    attempt = store.attempt("A-1", 1)
    assert (attempt.key, attempt.phase, attempt.rank, attempt.started_at) == ("A-1:1", Phase.QUEUED, -1, 200.0)

    first.state, first.next_at = JobState.RETRY_WAIT, 300.0
    store.save(first)
    assert store.claim(250.0, lines=2).job_id == "A-2"
    assert store.claim(250.0, lines=3) is None  # A-1 waits until 300, C-1 until 500
    retried = store.claim(300.0, lines=3)
    assert (retried.job_id, retried.attempt, retried.dials) == ("A-1", 2, 2)
    assert [a.number for a in store.attempts("A-1")] == [1, 2]


def test_reports_only_move_an_attempt_forward(store):
    store.add(job("R-2"), TIFF)
    store.claim(200.0, lines=1)
    store.set_provider_id("R-2", 1, "prov-9")
    assert store.find_attempt("prov-9").key == "R-2:1"
    assert store.find_attempt("") is None and store.find_attempt("nope") is None
    assert store.advance("R-2", 1, StatusUpdate("prov-9", Phase.SENDING, page=2, pages_sent=1), 201.0)
    assert not store.advance("R-2", 1, StatusUpdate("prov-9", Phase.SENDING, page=1, pages_sent=0), 202.0)
    assert not store.advance("R-2", 1, StatusUpdate("prov-9", Phase.DIALING), 202.0)
    done = StatusUpdate("prov-9", Phase.DELIVERED, page=3, pages_sent=3)
    assert store.advance("R-2", 1, done, 203.0)
    assert not store.advance("R-2", 1, done, 204.0)  # a duplicate
    attempt = store.attempt("R-2", 1)
    assert (attempt.phase, attempt.pages_sent, attempt.ended_at) == (Phase.DELIVERED, 3, 203.0)
    with pytest.raises(JobNotFound):
        store.attempt("R-2", 2)


def test_a_cancelled_job_is_never_started(store):
    cancelled = store.add(job("R-3"), TIFF)
    cancelled.state = JobState.CANCELLED
    store.save(cancelled)
    assert store.claim(200.0, lines=1) is None
    assert store.get("R-3").state is JobState.CANCELLED and store.attempts("R-3") == []


def test_racing_workers_start_each_attempt_once_and_never_exceed_the_lines(any_db_url):
    """Eight workers (each its own store and connections) claim 40 jobs of 10
    owners at once with 3 lines, finishing what they claimed."""
    stores = [DatabaseJobStore(any_db_url, CRYPTO) for _ in range(8)]
    for i in range(40):
        stores[0].add(job("J-%02d" % i, owner="household-%d" % (i % 10)), TIFF)
    claimed: list[str] = []
    most_busy = []
    errors = []
    lock = threading.Lock()
    go = threading.Barrier(len(stores))

    def work(store: DatabaseJobStore) -> None:
        try:
            go.wait()
            idle = 0
            while idle < 30:
                got = store.claim(1000.0, lines=3)
                if got is None:
                    idle += 1
                    threading.Event().wait(0.01)
                    continue
                idle = 0
                busy = len(store.active())
                with lock:
                    claimed.append(got.job_id)
                    most_busy.append(busy)
                got.state = JobState.DELIVERED
                store.save(got)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert Counter(claimed) == Counter({"J-%02d" % i: 1 for i in range(40)})  # each once
    assert max(most_busy) <= 3
    assert all(len(stores[0].attempts("J-%02d" % i)) == 1 for i in range(40))


def test_queueing_needs_no_transport_and_the_runtime_builds_it_once(env, sqlite_url, tmp_path):
    """A job worker queues a fax without building the transport (no spool folder
    on its host); the fax worker's runtime builds the one of its Config once."""
    from fax_bridge import FINE, FaxDocument, SpoolTransport
    from services.core.config import load_config
    from services.core.runtime import Runtime
    from services.delivery import fax

    env(DATABASE_URL=sqlite_url, VAR_DIR=tmp_path / "worker")
    worker = Runtime(load_config())
    queued = fax.enqueue(worker, "R-5", "household-1", "02-2153-1234", FaxDocument(TIFF, 2, FINE))
    assert (queued.state, queued.pages) == (JobState.QUEUED, 2)
    assert "fax_transport" not in vars(worker) and not (tmp_path / "worker").exists()

    env(VAR_DIR=tmp_path / "fax-host")
    sender = Runtime(load_config())
    assert sender.fax_transport is sender.fax_transport
    assert isinstance(sender.fax_transport, SpoolTransport)
    assert sender.fax_transport.root == tmp_path / "fax-host" / "fax" / "spool"
    job = fax.dispatcher_for(sender).store.claim(queued.next_at + 1, lines=1)
    assert (job.job_id, job.number) == ("R-5", "0221531234")  # what the worker queued, decrypted
