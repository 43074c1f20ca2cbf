"""Lifecycle against the loopback fax server process: retries, resume, callbacks, fairness."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fax_bridge.errors import CallbackRejected, NumberRefused
from fax_bridge.lifecycle import FaxDispatcher, RetryPolicy
from fax_bridge.render import FINE, FaxDocument
from fax_bridge.store import JobState, SqliteJobStore
from fax_bridge.testing import start_fax_server
from fax_bridge.transports.base import Phase, StatusUpdate
from fax_bridge.transports.http_api import HttpFaxApiTransport, sign_callback

FAST = RetryPolicy(busy_delay=0.05, no_answer_delay=0.05, failed_delay=0.05,
                   unavailable_delay=0.05)
SEOUL = "0212345678"
BUSAN = "0511234567"
DAEGU = "0531234567"


@pytest.fixture
def tiny_tiff(certificate_pdf):
    from fax_bridge.render import render_fax

    return render_fax(certificate_pdf, workers=1).tiff


def doc(tiff: bytes, pages: int = 3) -> FaxDocument:
    return FaxDocument(tiff, pages, FINE)


@pytest.fixture
def events():
    return []


class _Receiver:
    """The host's callback endpoint, in this test process."""

    def __init__(self, dispatcher_box):
        box = dispatcher_box
        self.rejected = 0
        receiver = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    box[0].handle_callback(body, self.headers)
                    self.send_response(204)
                except CallbackRejected:
                    receiver.rejected += 1
                    self.send_response(403)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()
        self.url = "http://127.0.0.1:%d/fax-callback" % self.httpd.server_address[1]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    box = []
    rec = _Receiver(box)
    rec.box = box
    yield rec
    rec.stop()


def make(server, events, receiver=None, store=None, **kw):
    """A dispatcher on the loopback server; with a receiver, callbacks drive it (no polling)."""
    transport = HttpFaxApiTransport(server.url, server.api_key,
                                    callback_url=receiver.url if receiver else "",
                                    callback_secret=server.secret)
    dispatcher = FaxDispatcher(store or SqliteJobStore(), transport, retry=kw.pop("retry", FAST),
                               on_event=events.append,
                               poll_interval=kw.pop("poll_interval", 3600 if receiver else 0.01),
                               **kw)
    if receiver is not None:
        receiver.box.append(dispatcher)
    return dispatcher


def kinds(events, job_id):
    return [(e.kind, e.page) for e in events if e.job_id == job_id]


def test_answered_delivers_with_page_progress(tiny_tiff, events, receiver):
    with start_fax_server() as server:
        fax = make(server, events, receiver)
        fax.enqueue("r1", "household-1", "02-1234-5678", doc(tiny_tiff))
        assert fax.run(timeout=30)
        job = fax.job("r1")
        assert job.state is JobState.DELIVERED and job.dials == 1 and job.tries == 1
        assert kinds(events, "r1") == [("queued", 0), ("dialing", 0), ("page", 1), ("page", 2),
                                       ("page", 3), ("delivered", 3)]
        assert [e.message_ko for e in events if e.kind == "page"][1] == "2/3 페이지 전송 중"
        assert server.stats()["dials"] == {SEOUL: 1}


def test_busy_then_answered_is_retried(tiny_tiff, events, receiver):
    with start_fax_server({SEOUL: ["busy", "no_answer", "answered"]}) as server:
        fax = make(server, events, receiver)
        fax.enqueue("r2", "h", "02-1234-5678", doc(tiny_tiff))
        assert fax.run(timeout=30)
        job = fax.job("r2")
        assert job.state is JobState.DELIVERED
        assert (job.dials, job.tries, job.attempt) == (3, 1, 3)
        seq = [k for k, _ in kinds(events, "r2")]
        assert seq == ["queued", "dialing", "retry", "dialing", "retry", "dialing",
                       "page", "page", "page", "delivered"]
        retry_messages = [e.message_ko for e in events if e.kind == "retry"]
        assert "통화 중" in retry_messages[0] and "응답하지" in retry_messages[1]
        assert server.stats()["dials"] == {SEOUL: 3}


def test_failed_at_page_two_resumes_at_page_two(tiny_tiff, events, receiver):
    with start_fax_server({SEOUL: ["fail_at:2", "answered"]}) as server:
        fax = make(server, events, receiver)
        fax.enqueue("r3", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)
        job = fax.job("r3")
        assert job.state is JobState.DELIVERED and job.tries == 2
        assert kinds(events, "r3") == [
            ("queued", 0), ("dialing", 0), ("page", 1), ("page", 2), ("retry", 0),
            ("dialing", 0), ("page", 2), ("page", 3), ("delivered", 3)]
        attempts = fax.store.attempts("r3")
        assert [a.phase for a in attempts] == [Phase.FAILED, Phase.DELIVERED]
        assert attempts[0].pages_sent == 1


def test_always_failing_stops_after_max_tries_with_reason(tiny_tiff, events):
    with start_fax_server({SEOUL: ["fail_at:2"]}) as server:
        fax = make(server, events)
        fax.enqueue("r4", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)
        job = fax.job("r4")
        assert job.state is JobState.FAILED and job.tries == 3 and job.dials == 3
        assert "too many tries" in job.reason and job.reason_ko
        assert events[-1].kind == "failed"
        assert server.stats()["dials"] == {SEOUL: 3}


def test_always_busy_stops_after_max_dials(tiny_tiff, events):
    with start_fax_server({SEOUL: ["busy"]}) as server:
        fax = make(server, events, retry=RetryPolicy(busy_delay=0.01, max_dials=5))
        fax.enqueue("r5", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)
        job = fax.job("r5")
        assert job.state is JobState.FAILED and job.dials == 5 and job.tries == 0
        assert "too many dials" in job.reason
        assert "통화 중" in job.reason_ko


def test_refused_number_never_reaches_the_server(tiny_tiff, events):
    with start_fax_server() as server:
        fax = make(server, events)
        with pytest.raises(NumberRefused) as info:
            fax.enqueue("r6", "h", "010-1234-5678", doc(tiny_tiff))
        assert "휴대전화" in info.value.reason_ko
        assert server.stats()["faxes"] == 0


def test_a_job_run_twice_never_dials_twice(tiny_tiff, events):
    """Two dispatchers (two workers) share one store and race for the same job."""
    with start_fax_server(page_seconds=0.02) as server:
        import os
        import tempfile  # noqa: E401

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "jobs.sqlite")
            first = make(server, events, store=SqliteJobStore(path), lines=2)
            second = make(server, events, store=SqliteJobStore(path), lines=2)
            first.enqueue("r7", "h", SEOUL, doc(tiny_tiff))
            second.enqueue("r7", "h", SEOUL, doc(tiny_tiff))  # the same request enqueued again
            threads = [threading.Thread(target=d.run, kwargs={"timeout": 30}) for d in (first, second)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert first.job("r7").state is JobState.DELIVERED
            assert server.stats()["dials"] == {SEOUL: 1}
            # Replaying the attempt's submit with its key is harmless too.
            first.transport.submit(__import__("fax_bridge.transports.base", fromlist=["x"]).SubmitRequest(
                key="r7:1", number=__import__("fax_bridge.numbers", fromlist=["x"]).parse(SEOUL),
                tiff=tiny_tiff, pages=3))
            stats = server.stats()
            assert stats["dials"] == {SEOUL: 1} and stats["repeated_keys"] == 1


def test_lines_are_shared_fairly_between_owners(tiny_tiff, events, receiver):
    with start_fax_server(lines=4, page_seconds=0.01) as server:
        fax = make(server, events, receiver, lines=1)
        for n in range(4):
            fax.enqueue("big-%d" % n, "household-A", SEOUL, doc(tiny_tiff))
        fax.enqueue("small-1", "household-B", BUSAN, doc(tiny_tiff))
        fax.enqueue("small-2", "household-C", DAEGU, doc(tiny_tiff))
        assert fax.run(timeout=60)
        order = [e.job_id for e in events if e.kind == "dialing"]
        # A, B, C each get a line before A's second job.
        assert order[:3] == ["big-0", "small-1", "small-2"]
        assert all(fax.job(j).state is JobState.DELIVERED for j in order)


@pytest.mark.parametrize("mode", ["duplicate", "reverse"])
def test_duplicated_and_out_of_order_callbacks_never_move_backwards(tiny_tiff, events, mode,
                                                                    receiver):
    with start_fax_server(callbacks=mode) as server:
        fax = make(server, events, receiver)
        fax.enqueue("r8", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)  # woken by each callback; no polling
        job = fax.job("r8")
        assert job.state is JobState.DELIVERED
        for _ in range(200):  # let every late callback land before judging
            if server.stats()["callbacks_sent"] >= 10:  # 5 reports, each sent twice
                break
            threading.Event().wait(0.05)
        assert server.stats()["callbacks_sent"] == 10
        seq = kinds(events, "r8")
        if mode == "duplicate":
            assert seq == [("queued", 0), ("dialing", 0), ("page", 1), ("page", 2), ("page", 3),
                           ("delivered", 3)]
        else:  # "delivered" arrives first: every later (older) report is ignored
            assert seq == [("queued", 0), ("dialing", 0), ("delivered", 3)]
        assert [e.kind for e in events].count("delivered") == 1
        attempt = fax.store.attempt("r8", 1)
        assert attempt.phase is Phase.DELIVERED


def test_forged_callback_is_rejected(tiny_tiff, events):
    with start_fax_server() as server:
        fax = make(server, events)
        body = b'{"id": "fx1", "status": "delivered"}'
        with pytest.raises(CallbackRejected):
            fax.handle_callback(body, {"X-Fax-Signature": sign_callback(b"wrong", body)})
        with pytest.raises(CallbackRejected):
            fax.handle_callback(body, {})
        with pytest.raises(CallbackRejected):
            fax.handle_callback(body, {"X-Fax-Signature": sign_callback(server.secret, body, 1000)})


def test_late_report_of_an_old_attempt_does_not_touch_the_job(tiny_tiff, events):
    with start_fax_server({SEOUL: ["busy", "answered"]}) as server:
        fax = make(server, events)
        fax.enqueue("r9", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)
        first = fax.store.attempt("r9", 1)
        assert fax.apply(StatusUpdate(first.provider_id, Phase.SENDING, page=1)) is None
        assert fax.job("r9").state is JobState.DELIVERED


def test_cancel_stops_waiting_job(tiny_tiff, events):
    with start_fax_server({SEOUL: ["busy"]}) as server:
        fax = make(server, events, retry=RetryPolicy(busy_delay=3600))
        fax.enqueue("r10", "h", SEOUL, doc(tiny_tiff))
        fax.run(timeout=0.5)
        assert fax.job("r10").state is JobState.RETRY_WAIT
        assert fax.cancel("r10").state is JobState.CANCELLED
        assert fax.idle()
        assert events[-1].kind == "cancelled"


def test_unreachable_server_is_retried_without_counting_dials(tiny_tiff, events):
    from fax_helpers import free_port

    transport = HttpFaxApiTransport("http://127.0.0.1:%d" % free_port(), "k", timeout=1)
    fax = FaxDispatcher(SqliteJobStore(), transport, retry=RetryPolicy(unavailable_delay=3600),
                        on_event=events.append)
    fax.enqueue("r11", "h", SEOUL, doc(tiny_tiff))
    fax.step()
    job = fax.job("r11")
    assert job.state is JobState.RETRY_WAIT and job.dials == 0
    assert "팩스 서버" in job.reason_ko


def test_polling_alone_follows_a_job_to_delivery(tiny_tiff, events):
    with start_fax_server({SEOUL: ["busy", "answered"]}) as server:
        fax = make(server, events)  # no callback URL: status is polled
        fax.enqueue("r12", "h", SEOUL, doc(tiny_tiff))
        assert fax.run(timeout=30)
        assert fax.job("r12").state is JobState.DELIVERED
        assert [e.kind for e in events][-1] == "delivered"
