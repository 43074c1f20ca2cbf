"""Proof under faults (issue 9): workers killed with SIGKILL, Redis restarted,
the back end down, the SMTP and fax servers refusing. Each test proves that
nothing is lost (every request ends delivered) and nothing is doubled (one
"accepted" event, one back-end idempotency key, one certificate, one SMS
notice, one email or one fax per request).

What "one email" means. SMTP has no idempotency: a worker killed after the
relay's "250 OK" and before our commit cannot know the message left, and
sends it again when the request is retried. We never lose it (at least
once), and every copy carries the same Message-ID, derived from the
request and its certificate, with the same document: receiving mail systems
and clients treat copies with one Message-ID as one message. So these tests
count distinct Message-IDs per request (exactly one), check every copy is
the same message, and check a copy can only come from a send whose outcome
was unknown (``Delivery.attempts`` counts the sends started).
"""

from __future__ import annotations

import logging
import os
import random
import re
import signal
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from services.core.config import QUEUE_REQUESTS
from services.core.jobs import get_queue
from services.models import Certificate, Delivery, Request, RequestEvent, SmsMessage
from tests.support import chaos
from tests.support.procs import wait_for
from tests.support.smtp import SmtpServer
from tests.support.world import make

log = logging.getLogger(__name__)

ONCE = ("received", "sent_to_backend", "accepted", "issued", "delivered", "notified")
FAX_NUMBER = "02-2153-1234"


@pytest.fixture
def smtp():
    mail_log = logging.getLogger("mail.log")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)  # not every line of every message, in this process
    server = SmtpServer().start()
    yield server
    server.stop()
    mail_log.setLevel(level)


def receipts(rt, ids) -> dict[int, str]:
    with rt.session() as s:
        return dict(s.execute(select(Request.id, Request.receipt_no).where(Request.id.in_(ids))).all())


def assert_each_done_once(world, ids, *, email_ids=(), fax_ids=(), smtp=None, spool=None, outbox=False):
    """Every request delivered, with each timeline event, back-end key, certificate,
    SMS notice and email or fax exactly once. ``smtp``: count the messages the
    SMTP server got; ``outbox``: the .eml files of the local outbox (where
    ``email_ids`` went without SMTP); ``spool``: the calls in the fax spool.
    Returns the receipts by id."""
    rt = world.runtime
    nos = receipts(rt, ids)
    assert len(nos) == len(ids)
    with rt.session() as s:
        status = dict(s.execute(select(Request.id, Request.status).where(Request.id.in_(ids))).all())
        assert Counter(status.values()) == Counter({"delivered": len(ids)})
        counts = Counter()
        for rid, kind, n in s.execute(select(RequestEvent.request_id, RequestEvent.kind, func.count())
                                      .where(RequestEvent.request_id.in_(ids), RequestEvent.kind.in_(ONCE))
                                      .group_by(RequestEvent.request_id, RequestEvent.kind)):
            counts[(rid, kind)] = n
        for rid in ids:
            assert [counts[(rid, k)] for k in ONCE] == [1] * len(ONCE), (rid, nos[rid])
        certs = Counter(s.scalars(select(Certificate.request_id).where(Certificate.request_id.in_(ids))))
        assert certs == Counter({rid: 1 for rid in ids})
        sms = Counter(s.scalars(select(SmsMessage.request_id).where(
            SmsMessage.request_id.in_(ids), SmsMessage.purpose == "notice")))
        assert sms == Counter({rid: 1 for rid in ids})
        deliveries = {d.request_id: d for d in s.scalars(select(Delivery).where(Delivery.request_id.in_(ids)))}
    keys = Counter(world.backend.stats()["keys"])
    for rid in ids:
        assert keys["%s:record" % nos[rid]] == 1, nos[rid]
    if email_ids and smtp is not None:
        by_receipt: dict[str, list] = {}
        for m in smtp.messages:
            no = m["Subject"].rsplit("접수번호 ", 1)[1].rstrip(")")
            by_receipt.setdefault(no, []).append(m)
        assert set(by_receipt) == {nos[rid] for rid in email_ids}
        for rid in email_ids:
            got, d = by_receipt[nos[rid]], deliveries[rid]
            assert {m["Message-ID"] for m in got} == {d.message_id}, nos[rid]
            bodies = {m.get_body(("plain",)).get_content() for m in got}
            pdfs = {a.get_content() for m in got for a in m.iter_attachments()}
            assert len(bodies) == 1 and len(pdfs) == 1, nos[rid]  # the copies are one message
            assert len(got) <= d.attempts, nos[rid]  # a copy only from a send started again
    if email_ids and outbox:
        files = sorted(p.name for p in (rt.config.VAR_DIR / "outbox" / "email").iterdir())
        names = sorted(re.sub(r"[^A-Za-z0-9._-]", "_", deliveries[rid].message_id.strip("<>")) + ".eml"
                       for rid in email_ids)
        assert files == names  # one message per request, nothing else
    if fax_ids and spool is not None:
        calls = chaos.fax_calls(spool)
        assert set(calls) == {nos[rid] for rid in fax_ids}
        for rid in fax_ids:
            assert calls[nos[rid]] == ["delivered"], nos[rid]  # one call, delivered
    return nos


# -- 1. workers killed ------------------------------------------------------

def test_workers_killed_at_random_points_deliver_each_request_once(world, smtp, log_dir):
    """100 times: a worker runs for a random 0.05-0.5 s, then SIGKILL (and every
    tenth time the fax worker too). Requests (two email for one fax) are topped
    up so that each worker finds work queued; the sweep brings back what a
    killed worker held once its lease runs out."""
    seed = int(os.environ.get("FAULT_SEED", "9009"))
    rng = random.Random(seed)
    log.info("kill test seed %d", seed)
    print("kill test seed %d (FAULT_SEED=%d to replay)" % (seed, seed))
    world.set(SMTP_URL=smtp.url, FAX_SANDBOX_PAGE_SECONDS="0.05", FAX_POLL="0.1", FAX_LINES="4")
    rt = world.runtime
    fax_worker = world.fax_worker()
    world.sweeper()
    email_ids, fax_ids = [], []

    def top_up(n):
        for _ in range(n):
            i = len(email_ids) + len(fax_ids)
            if i % 3 == 2:
                fax_ids.append(make(rt, "kill-%d" % i, method="fax", address=FAX_NUMBER))
            else:
                email_ids.append(make(rt, "kill-%d" % i))

    top_up(30)
    queue = get_queue(rt.redis, QUEUE_REQUESTS)
    server = chaos.ForkServer(log_dir, "kill-fork-server", world.settings).start()
    interrupted = []
    try:
        for trial in range(100):
            pid = server.spawn("kill-worker-%03d" % trial)
            time.sleep(rng.uniform(0.05, 0.5))
            server.kill_worker(pid)
            interrupted.append(chaos.leased_steps(rt, pid) or ["between jobs"])
            if trial % 10 == 5:  # the fax worker (and its sandbox line) dies too, now and then
                fax_worker.kill(signal.SIGKILL)
                fax_worker = world.fax_worker()
            if queue.count < 4:  # keep work queued for the next worker
                top_up(4)
    finally:
        server.stop()
    ids = email_ids + fax_ids
    world.worker(0)
    wait_for(lambda: chaos.status_counts(rt)["delivered"] == len(ids), 180, "every request delivered")
    landed = Counter(step for steps in interrupted for step in steps)
    print("%d requests (%d email, %d fax); kills landed in: %s" % (
        len(ids), len(email_ids), len(fax_ids), dict(landed)))
    with rt.session() as s:
        resent = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.attempts > 1))
    print("email sends started again after a kill: %d; SMTP messages: %d" % (resent, len(smtp.messages)))
    # The kills must have hit the work, in several of its steps (not only idle workers).
    assert sum(n for step, n in landed.items() if step != "between jobs") >= 30
    assert len({"fetch_record", "issue", "deliver", "await_delivery", "notify"} & set(landed)) >= 3
    assert_each_done_once(world, ids, email_ids=email_ids, fax_ids=fax_ids, smtp=smtp,
                          spool=rt.config.VAR_DIR / "fax" / "spool")


# -- 2. Redis restarted -----------------------------------------------------

def test_redis_restarted_with_1000_requests_queued_and_under_workers_does_each_once(world, log_dir, tmp_path):
    """A Redis of the test's own with an append-only file (fsync always): 1,000
    requests queued, half of them before a background AOF rewrite and half
    after it, then Redis is SIGKILLed and started again on the same port and
    folder. The queue comes back whole. Two workers and the sweep start; when
    300 are done Redis is stopped (SIGTERM) and started again under them: the
    workers carry on, and each request is done once. (The sweep's grace is
    long here: it would otherwise queue every request not yet picked up again
    each second; the proof that the queue survived is its length after the
    restart.)"""
    import redis as redis_py

    from services import steps
    from tests.support.procs import RedisServer

    server = RedisServer(log_dir, tmp_path / "redis-aof").start()
    try:
        world.set(REDIS_URL=server.url, SWEEP_GRACE_SECONDS=120)
        rt = world.runtime
        queue = get_queue(rt.redis, QUEUE_REQUESTS)
        ids = [make(rt, "aof-%d" % i, enqueue=False) for i in range(1000)]
        for rid in ids[:500]:
            assert steps.start(rt, rid)
        r = redis_py.Redis.from_url(server.url)
        r.bgrewriteaof()
        wait_for(lambda: not any(r.info("persistence")[k] for k in (
            "aof_rewrite_in_progress", "aof_rewrite_scheduled")), 30, "the AOF rewrite")
        for rid in ids[500:]:
            assert steps.start(rt, rid)
        assert queue.count == 1000
        r.close()
        server.kill(signal.SIGKILL)
        server.start()
        assert get_queue(rt.redis, QUEUE_REQUESTS).count == 1000  # every job came back
        assert chaos.status_counts(rt) == Counter({"received": 1000})
        t0 = time.monotonic()
        workers = [world.worker(0), world.worker(1)]
        world.sweeper()
        wait_for(lambda: chaos.status_counts(rt)["delivered"] >= 300, 400, "300 requests delivered")
        server.stop()  # SIGTERM, with the workers in the middle of jobs
        time.sleep(2)  # an outage longer than the Redis client's own retries
        server.start()
        wait_for(lambda: chaos.status_counts(rt)["delivered"] == 1000, 400, "1,000 requests delivered")
        print("1,000 requests through two workers and a second restart in %.1fs" % (time.monotonic() - t0))
        assert all(w.alive for w in workers)  # a Redis restart does not end a worker
        assert_each_done_once(world, ids, email_ids=ids, outbox=True)
    finally:
        server.stop()


# -- 3. The back end down ---------------------------------------------------

def test_back_end_down_1000_requests_wait_visibly_then_complete_once(world):
    """The back end stops; 1,000 requests are made meanwhile. Each is tried,
    shows "기다리는 중" on the TV with the reason, and none is accepted; the
    back end returns and each completes once."""
    rt = world.runtime
    # The sweep's grace: see the Redis test. Retries every 2-4 s rather than
    # every second, so that the first requests do not go round while later ones wait.
    world.set(SWEEP_GRACE_SECONDS=120, RETRY_BASE_SECONDS=2, RETRY_MAX_SECONDS=4)
    world.backend.stop()
    world.worker(0)
    world.worker(1)
    world.sweeper()
    t0 = time.monotonic()
    ids = [make(rt, "down-%d" % i) for i in range(1000)]
    wait_for(lambda: chaos.count_with_event(rt, ids, "waiting") == 1000, 300, "1,000 waiting events")
    t1 = time.monotonic()
    assert chaos.count_with_event(rt, ids, "accepted") == 0
    assert set(chaos.status_counts(rt)) == {"received"}
    tv = chaos.tv_client(rt)
    nos = receipts(rt, [ids[0], ids[-1]])
    for rid in (ids[0], ids[-1]):
        html = tv.get("/tv/requests/%s" % nos[rid]).get_data(as_text=True)
        assert "기다리는 중" in html and "구청 시스템에 연결할 수 없어" in html
        assert "구청 확인" not in html
    world.backend.start()
    wait_for(lambda: chaos.status_counts(rt)["delivered"] == 1000, 400, "1,000 requests delivered")
    print("1,000 waiting after %.1fs; all delivered %.1fs after the back end returned" % (
        t1 - t0, time.monotonic() - t1))
    with rt.session() as s:
        waits = s.scalars(select(RequestEvent.detail).where(
            RequestEvent.request_id.in_(ids), RequestEvent.kind == "waiting")).all()
    assert len(waits) == 1000 and {w["reason"] for w in waits} == {"backend_unavailable"}
    assert_each_done_once(world, ids, email_ids=ids, outbox=True)
    html = tv.get("/tv/requests/%s" % nos[ids[0]]).get_data(as_text=True)
    assert "기다리는 중" in html and "전달 완료" in html  # the wait stays in the timeline


# -- 4. The SMTP server and the fax server refusing, then recovering --------

def delivery_attempts(rt, ids) -> int:
    with rt.session() as s:
        return s.scalar(select(func.coalesce(func.sum(Delivery.attempts), 0)).where(
            Delivery.request_id.in_(ids))) or 0


def test_smtp_refusing_then_down_then_recovering_delivers_each_email_once(world, smtp):
    """The SMTP server answers 421 to every message, then 451, then is not there
    at all (connection refused), then accepts: every request waits visibly
    ("메일 서버가 잠시 받지 않아...") and is then delivered, one message each."""
    rt = world.runtime
    world.set(SMTP_URL=smtp.url)
    smtp.handler.refuse_all = "421 4.7.0 Too busy, try again later"
    world.worker(0)
    world.worker(1)
    world.sweeper()
    ids = [make(rt, "smtp-%d" % i) for i in range(30)]
    wait_for(lambda: chaos.count_with_event(rt, ids, "waiting") == len(ids), 120, "every request refused (421)")
    before = delivery_attempts(rt, ids)
    smtp.handler.refuse_all = "451 4.3.0 Mailbox temporarily unavailable"
    wait_for(lambda: delivery_attempts(rt, ids) >= before + len(ids), 120, "sends refused with 451")
    smtp.stop()
    before = delivery_attempts(rt, ids)
    wait_for(lambda: delivery_attempts(rt, ids) >= before + len(ids), 120, "sends to a server that is not there")
    assert smtp.messages == [] and chaos.count_with_event(rt, ids, "delivered") == 0
    smtp.handler.refuse_all = None
    chaos.restart_smtp(smtp)
    wait_for(lambda: chaos.status_counts(rt)["delivered"] == len(ids), 120, "delivery after recovery")
    assert len(smtp.messages) == len(ids)  # no kills here: not even a copy
    assert_each_done_once(world, ids, email_ids=ids, smtp=smtp)
    with rt.session() as s:
        for rid in ids:
            evs = [(e.kind, e.detail) for e in s.scalars(select(RequestEvent).where(
                RequestEvent.request_id == rid).order_by(RequestEvent.id))]
            kinds = [k for k, _ in evs]
            assert kinds.index("waiting") < kinds.index("delivered")
            assert [d["reason"] for k, d in evs if k == "waiting"] == ["smtp_temporary"]
            assert "메일 서버가 잠시 받지 않아" in [d for k, d in evs if k == "waiting"][0]["message"]
        assert min(s.scalars(select(Delivery.attempts).where(Delivery.request_id.in_(ids)))) >= 2
    nos = receipts(rt, ids[:1])
    html = chaos.tv_client(rt).get("/tv/requests/%s" % nos[ids[0]]).get_data(as_text=True)
    assert "기다리는 중" in html and "메일 서버가 잠시 받지 않아" in html and "전달 완료" in html


def test_fax_server_down_then_busy_then_recovering_sends_each_fax_once(world, log_dir):
    """The HTTP fax service is not there when the faxes are queued, then every
    number is busy twice before it answers: each request shows the waits
    ("팩스 서버에 연결할 수 없습니다", "통화 중") and each fax goes through in one
    answered call."""
    rt = world.runtime
    numbers = ["02-2153-%04d" % (3001 + i) for i in range(8)]
    server = chaos.FaxApiServer(log_dir, "fault-fax-server", {
        n.replace("-", ""): ["busy", "busy", "answered"] for n in numbers})
    world.set(FAX_POLL="0.1", FAX_LINES="4", FAX_RETRY_UNAVAILABLE_DELAY="0.5",
              FAX_RETRY_BUSY_DELAY="0.5", **server.settings())
    world.worker(0)
    world.sweeper()
    world.fax_worker()
    ids = [make(rt, "faxdown-%d" % i, method="fax", address=n) for i, n in enumerate(numbers)]

    def fax_waits(rid):
        with rt.session() as s:
            return [e.detail["message"] for e in s.scalars(select(RequestEvent).where(
                RequestEvent.request_id == rid, RequestEvent.kind == "waiting",
                RequestEvent.key.like("fax:%")))]

    wait_for(lambda: all(fax_waits(rid) for rid in ids), 120, "every fax waiting for the fax service")
    assert chaos.count_with_event(rt, ids, "delivered") == 0
    server.start()
    try:
        wait_for(lambda: chaos.status_counts(rt)["delivered"] == len(ids), 180, "faxes delivered")
        nos = assert_each_done_once(world, ids)
        calls = server.calls_by_job()
        assert set(calls) == set(nos.values())
        for rid in ids:
            assert calls[nos[rid]] == ["busy", "busy", "answered"], nos[rid]  # one call went through
            waits = fax_waits(rid)
            assert any("팩스 서버에 연결할 수 없습니다" in m for m in waits), waits
            assert sum("통화 중" in m for m in waits) == 2, waits
    finally:
        server.stop()
