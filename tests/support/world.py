"""A whole back office for pipeline tests: a back end of the test's own,
real Redis, migrated SQLite, and worker / sweep / fax-worker processes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services import demo, ledger, steps
from services.households import get_household
from services.models import Request, Resident
from tests.support import procs

FAST = dict(JOB_LEASE_SECONDS=3, SWEEP_INTERVAL=0.3, SWEEP_GRACE_SECONDS=1,
            RETRY_BASE_SECONDS=0.3, RETRY_MAX_SECONDS=1, BACKEND_TIMEOUT=10,
            BACKEND_BREAKER_RESET=0.5)


@pytest.fixture
def world(env, sqlite_url, redis_url, log_dir, request, tmp_path):  # noqa: C901
    """A runtime against a back end of the test's own, plus worker/sweeper launchers."""
    from services.core.config import load_config
    from services.core.runtime import Runtime, set_runtime

    backend = procs.BackendServer(log_dir, tmp_path / "backend.sqlite3").start()
    settings = dict(FAST, DATABASE_URL=sqlite_url, REDIS_URL=redis_url, BACKEND_URL=backend.url,
                    VAR_DIR=tmp_path / "var")
    env(**settings)
    rt = Runtime(load_config())
    set_runtime(rt)
    demo.seed(rt)
    started = []
    settings_ = settings
    name = request.node.name[:40]

    class World:
        runtime = rt

        def __init__(self):
            self.backend = backend

        settings = settings_

        def set(self, **kw):
            """More settings, for this process (a new Config: its adapters are built
            again) and for the processes started after (their environment)."""
            settings.update(kw)
            env(**kw)
            rt.reconfigure(load_config())

        def worker(self, n=0):
            p = procs.worker(log_dir, "%s-worker-%d" % (name, n), **settings)
            started.append(p)
            return p

        def fax_worker(self):
            p = procs.fax_worker(log_dir, "%s-fax" % name, **settings)
            started.append(p)
            return p

        def sweeper(self):
            p = procs.sweeper(log_dir, "%s-sweeper" % name, **settings)
            started.append(p)
            return p

    yield World()
    for p in started:
        p.stop()
    backend.stop()
    set_runtime(None)


def make(rt, token, resident_ref="R1001", ctype="resident-copy", household="1144012-0001",
         options=None, enqueue=True, method="email", address="youngsoo.kim@example.com"):
    with rt.session() as s:
        hh = get_household(s, household)
        res = s.scalar(select(Resident).where(Resident.ref == resident_ref))
        req, _ = ledger.create_request(
            s, rt.crypto, client_token=token, kind="certificate", household_id=hh.id,
            resident_id=res.id, channel="tv", options=dict(options or {}, certificate_type=ctype),
            delivery_method=method, delivery_address=address,
            grace_seconds=rt.config.SWEEP_GRACE_SECONDS)
        rid = req.id
    if enqueue:
        steps.start(rt, rid)
    return rid


def statuses(rt, ids):
    with rt.session() as s:
        return {rid: s.get(Request, rid).status for rid in ids}


def kinds(rt, rid):
    with rt.session() as s:
        return [e.kind for e in ledger.timeline(s, rid)]


def receipt(rt, rid):
    with rt.session() as s:
        return s.get(Request, rid).receipt_no




def events(rt, rid):
    with rt.session() as s:
        return [(e.kind, e.detail) for e in ledger.timeline(s, rid)]
