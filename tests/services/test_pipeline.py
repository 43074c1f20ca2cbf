"""Requests go through real worker processes, real Redis and the real back end.

Each fault test proves nothing is lost and nothing is done twice: the back end
records each idempotency key once, and each request's timeline has one
"accepted" event.
"""

import signal
import threading

import requests

from services import ledger, pipeline
from tests.support.procs import wait_for
from tests.support.world import kinds, make, receipt, statuses


def backend_keys(world):
    return world.backend.stats()["keys"]


def test_requests_complete_through_a_worker(world):
    world.worker()
    ids = [make(world.runtime, "ok-%d" % i) for i in range(5)]
    wait_for(lambda: set(statuses(world.runtime, ids).values()) == {"delivered"}, 60, "delivery")
    keys = backend_keys(world)
    for rid in ids:
        assert keys.count("%s:record" % receipt(world.runtime, rid)) == 1
        assert kinds(world.runtime, rid) == ["received", "sent_to_backend", "accepted", "issued",
                                             "delivered", "notified"]


def test_a_refusal_fails_the_request_with_its_reason(world):
    world.worker()
    rid = make(world.runtime, "refused", resident_ref="R2001", household="1144012-0001")
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "failed", 30, "failure")
    with world.runtime.session() as s:
        failed = [e for e in ledger.timeline(s, rid) if e.kind == "failed"][0]
    assert failed.detail["reason"] == "not_in_household"
    assert "세대원" in failed.detail["message"]


def test_back_end_down_requests_wait_visibly_then_complete_once(world):
    world.backend.stop()
    world.worker()
    world.sweeper()
    ids = [make(world.runtime, "down-%d" % i) for i in range(10)]
    wait_for(lambda: all("waiting" in kinds(world.runtime, r) for r in ids), 60, "waiting events")
    assert "completed" not in statuses(world.runtime, ids).values()
    world.backend.start()
    wait_for(lambda: set(statuses(world.runtime, ids).values()) == {"delivered"}, 90, "completion")
    keys = backend_keys(world)
    for rid in ids:
        assert keys.count("%s:record" % receipt(world.runtime, rid)) == 1
        assert kinds(world.runtime, rid).count("accepted") == 1


def test_worker_killed_mid_job_is_recovered_and_done_once(world):
    # The back end does the work, then answers late: the worker is killed
    # while it waits, after the back end has recorded the message.
    requests.post(world.backend.url + "/admin/faults", json={"delay_after_commit": 4}, timeout=5)
    first = world.worker(0)
    rid = make(world.runtime, "killed")
    key = "%s:record" % receipt(world.runtime, rid)
    wait_for(lambda: key in backend_keys(world), 30, "back end to record the message")
    first.kill(signal.SIGKILL)
    requests.post(world.backend.url + "/admin/faults", json={}, timeout=5)
    assert statuses(world.runtime, [rid])[rid] == "received"
    world.worker(1)
    world.sweeper()
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "recovery")
    stats = world.backend.stats()
    assert stats["keys"].count(key) == 1
    assert stats["by_kind"]["RecordQuery"]["replays"] >= 1  # the retry got the first answer
    assert kinds(world.runtime, rid).count("accepted") == 1


def test_request_whose_job_was_never_queued_is_swept(world):
    rid = make(world.runtime, "lost", enqueue=False)  # died between commit and enqueue
    world.worker()
    world.sweeper()
    wait_for(lambda: statuses(world.runtime, [rid])[rid] == "delivered", 60, "sweep")


def test_two_jobs_for_one_request_do_the_work_once(world):
    rid = make(world.runtime, "twice", enqueue=False)
    results = []
    threads = [threading.Thread(target=lambda: results.append(pipeline.process_request(rid)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["busy-or-done", "delivered"]
    assert backend_keys(world).count("%s:record" % receipt(world.runtime, rid)) == 1


def test_sweep_leaves_a_waiting_job_alone_and_requeues_a_lost_one(world):
    """At a deadline the backlog outlasts the sweep's grace: the sweep must not
    add a job per request on every pass, yet a job lost with Redis comes back."""
    import time

    from services.core.jobs import get_queue

    rt = world.runtime
    world.set(SWEEP_GRACE_SECONDS=0)
    ids = [make(rt, "backlog-%d" % i) for i in range(5)]  # no worker: the jobs wait
    queue = get_queue(rt.redis, "requests")
    assert queue.count == 5
    for _ in range(3):
        time.sleep(0.05)
        assert pipeline.sweep(rt) == 0
    assert queue.count == 5
    queue.empty()  # the jobs are lost (Redis restarted without its data)
    time.sleep(0.05)
    assert pipeline.sweep(rt) == 5
    assert queue.count == 5
    world.worker()
    wait_for(lambda: set(statuses(rt, ids).values()) == {"delivered"}, 60, "delivery")
    for rid in ids:
        assert kinds(rt, rid).count("accepted") == 1
