"""All state in the shared stores (issue 18): fax jobs live in the database,
so job workers and the fax worker on different hosts deliver a fax once.

Each process gets a ``VAR_DIR`` of its own, as it would on a host of its
own: two job workers, the sweep and the fax worker (with its sandbox fax
line) share only the database (a SQLite file, then PostgreSQL) and Redis.
"""

from __future__ import annotations

import pytest

from services import demo
from tests.support import chaos, procs
from tests.support.procs import wait_for
from tests.support.world import FAST, make, receipt, statuses

FAX_NUMBERS = ["02-2153-%04d" % (1234 + i) for i in range(6)]


@pytest.mark.slow
def test_two_workers_and_the_fax_worker_on_separate_hosts_send_each_fax_once(
        any_db_url, env, redis_url, log_dir, tmp_path, request):
    from services.core.config import load_config
    from services.core.runtime import Runtime, set_runtime

    name = "hosts-%s" % request.node.callspec.id
    backend = procs.BackendServer(log_dir, tmp_path / "backend.sqlite3").start()
    settings = dict(FAST, DATABASE_URL=any_db_url, REDIS_URL=redis_url, BACKEND_URL=backend.url,
                    FAX_SANDBOX_PAGE_SECONDS="0.05", FAX_POLL="0.1")
    hosts = {h: tmp_path / h for h in ("web", "worker-a", "worker-b", "sweep", "fax")}
    env(**dict(settings, VAR_DIR=hosts["web"]))
    rt = Runtime(load_config())
    set_runtime(rt)
    started = []
    try:
        demo.seed(rt)
        started += [
            procs.worker(log_dir, "%s-worker-a" % name, **dict(settings, VAR_DIR=hosts["worker-a"])),
            procs.worker(log_dir, "%s-worker-b" % name, **dict(settings, VAR_DIR=hosts["worker-b"])),
            procs.sweeper(log_dir, "%s-sweep" % name, **dict(settings, VAR_DIR=hosts["sweep"])),
            procs.fax_worker(log_dir, "%s-fax" % name, **dict(settings, VAR_DIR=hosts["fax"])),
        ]
        ids = [make(rt, "hosts-%d" % i, method="fax", address=n) for i, n in enumerate(FAX_NUMBERS)]
        wait_for(lambda: set(statuses(rt, ids).values()) == {"delivered"}, 180, "every fax delivered")
        for p in started:
            assert p.alive, p.output()[-2000:]

        # The fax line (the sandbox, on the fax worker's host) got one call per
        # request, delivered: the jobs the workers queued reached it, once.
        calls = chaos.fax_calls(hosts["fax"] / "fax" / "spool")
        assert calls == {receipt(rt, rid): ["delivered"] for rid in ids}
        # Both workers worked (the queue is shared): each wrote in its own log.
        for worker in started[:2]:
            assert "process_request" in worker.output(), worker.name
        # Nothing about faxes on any other host, and no store file anywhere.
        for host in ("web", "worker-a", "worker-b", "sweep"):
            assert not (hosts[host] / "fax").exists(), host
        assert not list(hosts["fax"].rglob("*.sqlite3"))
    finally:
        for p in started:
            p.stop()
        backend.stop()
        set_runtime(None)
