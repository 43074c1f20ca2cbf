"""Fax job lifecycle: queued -> sending (page n of N) -> delivered, retries, fair lines.

:class:`FaxDispatcher` owns the rules; a :class:`~fax_bridge.store.JobStore`
keeps the state and a :class:`~fax_bridge.transports.base.FaxTransport` makes
the calls. The rules follow HylaFAX's defaults:

- a busy line is tried again after 180 s, no answer after 300 s, a call that
  dropped while sending after 300 s (resuming at the page that failed when the
  transport can);
- at most 3 tries (calls that connected) and 12 dials (every call), and
  nothing after 3 hours; then the job fails, terminally, with its reason;
- at most ``lines`` calls at once, the next line going to the owner served
  least recently (round robin), so one household's long job never holds up
  the others' queue;
- each attempt has a persisted idempotency key: a job (or a worker) that runs
  twice never dials twice for the same attempt;
- reports (polled or pushed by callbacks, duplicated or out of order) only
  ever move an attempt forward.

Every step is reported to ``on_event`` with a Korean message for the
resident's timeline ("2/3 페이지 전송 중") and an English one for operators.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .errors import FaxError, JobNotFound, TransportError
from .numbers import FaxNumber, FaxNumberPolicy, parse
from .render import FaxDocument
from .store import FaxJob, JobState, JobStore, attempt_key
from .transports.base import FaxTransport, Phase, StatusUpdate, SubmitRequest

__all__ = ["FaxDispatcher", "FaxEvent", "RetryPolicy"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again and when to give up (HylaFAX defaults, in seconds)."""

    busy_delay: float = 180.0
    no_answer_delay: float = 300.0
    failed_delay: float = 300.0
    unavailable_delay: float = 60.0
    max_tries: int = 3
    max_dials: int = 12
    kill_after: float = 3 * 3600.0


@dataclass(frozen=True)
class FaxEvent:
    """A step of a fax job, for the request's timeline.

    ``kind`` is one of ``queued``, ``dialing``, ``page``, ``retry``,
    ``delivered``, ``handed_off``, ``failed``, ``cancelled``. ``page`` and
    ``pages`` fill a progress bar. Messages never contain the number.
    """

    job_id: str
    kind: str
    state: JobState
    attempt: int
    message_ko: str
    message_en: str
    page: int = 0
    pages: int = 0
    at: float = field(default_factory=time.time)


def _korean_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600 and seconds % 3600 == 0:
        return "%d시간" % (seconds // 3600)
    if seconds >= 60:
        return "%d분" % (seconds // 60)
    return "%d초" % max(seconds, 1)


# Outcome -> (delay field, English reason, Korean sentence with %s for the delay)
_RETRY_TEXT = {
    Phase.BUSY: ("busy_delay", "line busy",
                 "받는 팩스가 통화 중입니다. %s 뒤 다시 보냅니다."),
    Phase.NO_ANSWER: ("no_answer_delay", "no answer",
                      "받는 팩스가 응답하지 않습니다. %s 뒤 다시 보냅니다."),
    Phase.FAILED: ("failed_delay", "transmission failed",
                   "보내는 도중 연결이 끊겼습니다. %s 뒤 이어서 보냅니다."),
}

_FAIL_KO = {
    Phase.BUSY: "받는 팩스가 계속 통화 중이라 보내지 못했습니다.",
    Phase.NO_ANSWER: "받는 팩스가 응답하지 않아 보내지 못했습니다. 팩스 번호가 맞는지 확인해 주세요.",
    Phase.FAILED: "여러 번 보냈지만 전송이 완료되지 않았습니다.",
}
_FAIL_TAIL_KO = " 이메일로 받으시거나 다시 신청해 주세요."


class FaxDispatcher:
    """Runs fax jobs through their lifecycle on a limited number of lines.

    Call :meth:`enqueue` to add a job, then :meth:`run` (or :meth:`step`
    from the host's own loop) in a worker. Status callbacks reaching the web
    side go to :meth:`handle_callback` (or :meth:`apply`). Safe to use from
    several threads; several processes may share one store.
    """

    def __init__(
        self,
        store: JobStore,
        transport: FaxTransport,
        *,
        lines: int = 1,
        retry: RetryPolicy | None = None,
        on_event: Callable[[FaxEvent], None] | None = None,
        policy: FaxNumberPolicy | None = None,
        poll_interval: float = 1.0,
        resubmit_after: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lines < 1:
            raise ValueError("lines must be at least 1")
        self.store = store
        self.transport = transport
        self.lines = lines
        self.retry = retry or RetryPolicy()
        self.on_event = on_event
        self.policy = policy or FaxNumberPolicy()
        self.poll_interval = poll_interval
        self.resubmit_after = resubmit_after
        self.clock = clock
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._last_poll: dict[str, float] = {}

    # -- host API --------------------------------------------------------
    def enqueue(self, job_id: str, owner: str, number: str | FaxNumber,
                document: FaxDocument) -> FaxJob:
        """Add a fax job (idempotent on ``job_id``: a repeat returns the existing job).

        The number is checked against the policy first: :class:`NumberRefused`
        carries the Korean reason to show the resident.
        """
        checked = self.policy.check(number.digits if isinstance(number, FaxNumber) else number)
        now = self.clock()
        job = FaxJob(job_id=job_id, owner=owner, number=checked.digits, pages=document.pages,
                     fine=document.resolution.ydpi > 150, next_at=now, created_at=now,
                     updated_at=now)
        stored = self.store.add(job, document.tiff)
        if stored is job:
            log.info("fax job %s queued: %d pages to %s", job_id, job.pages, checked.masked)
            self._emit(job, "queued", "팩스 전송 대기 중", "queued")
        self._wake.set()
        return stored

    def job(self, job_id: str) -> FaxJob:
        """The job's current state."""
        return self.store.get(job_id)

    def cancel(self, job_id: str) -> FaxJob:
        """Stop a job; a call in progress is asked to hang up. Final jobs are left as they are."""
        with self._lock:
            job = self.store.get(job_id)
            if job.state.final:
                return job
            if job.state is JobState.SENDING and job.provider_id:
                try:
                    self.transport.cancel(job.provider_id)
                except TransportError as exc:
                    log.warning("fax job %s: cancel not confirmed by transport: %s", job_id, exc)
            job.state = JobState.CANCELLED
            job.reason, job.reason_ko = "cancelled by request", "요청에 따라 팩스 전송을 취소했습니다."
            job.updated_at = self.clock()
            self.store.save(job)
        self._emit(job, "cancelled", job.reason_ko, job.reason)
        return job

    def handle_callback(self, body: bytes, headers: Mapping[str, str]) -> FaxJob | None:
        """Verify a transport's status callback and apply it (raises :class:`CallbackRejected`)."""
        parse_callback = getattr(self.transport, "parse_callback", None)
        if parse_callback is None:
            raise FaxError("transport %s does not take callbacks" % self.transport.name)
        return self.apply(parse_callback(body, headers))

    def apply(self, update: StatusUpdate) -> FaxJob | None:
        """Record a status report; stale, duplicated and backward reports change nothing."""
        with self._lock:
            attempt = self.store.find_attempt(update.provider_id)
            if attempt is None and update.key:
                job_id, _, number = update.key.rpartition(":")
                try:
                    attempt = self.store.attempt(job_id, int(number))
                except (JobNotFound, ValueError):
                    attempt = None
            if attempt is None:
                log.info("status for unknown attempt %s ignored", update.provider_id)
                return None
            now = self.clock()
            if not self.store.advance(attempt.job_id, attempt.number, update, now):
                return None  # duplicate or older than what we know
            job = self.store.get(attempt.job_id)
            if job.attempt != attempt.number or job.state is not JobState.SENDING:
                return job  # a previous attempt, or the job was cancelled meanwhile
            if update.phase is Phase.SENDING:
                job.pages_done = max(job.pages_done, update.pages_sent)
                job.updated_at = now
                self.store.save(job)
                if update.page:
                    self._emit(job, "page", "%d/%d 페이지 전송 중" % (update.page, job.pages),
                               "sending page %d of %d" % (update.page, job.pages), page=update.page)
            elif update.rank >= 1_000_000:
                self._finish(job, update, now)
        self._wake.set()
        return job

    def step(self) -> None:
        """One round: follow calls on the lines, then start calls on free lines."""
        now = self.clock()
        for job in self.store.active():
            self._follow(job, now)
        while True:
            job = self.store.claim(self.clock(), self.lines)
            if job is None:
                break
            self._start(job)

    def idle(self) -> bool:
        """True when no call is on a line and no job waits."""
        return not self.store.active() and self.store.next_due() is None

    def run(self, *, until_idle: bool = True, timeout: float | None = None,
            stop: threading.Event | None = None) -> bool:
        """Loop over :meth:`step` until idle (or ``stop`` is set). False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.step()
            if (until_idle and self.idle()) or (stop is not None and stop.is_set()):
                return True
            wait = self.poll_interval
            due = self.store.next_due()
            if due is not None:
                wait = min(wait, max(due - self.clock(), 0.0))
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                wait = min(wait, left)
            self._wake.wait(max(wait, 0.001))
            self._wake.clear()

    # -- internals -------------------------------------------------------
    def _start(self, job: FaxJob) -> None:
        """Submit the attempt the store just recorded for ``job``."""
        first_page = job.pages_done + 1 if self.transport.supports_resume else 1
        self._emit(job, "dialing", "팩스 번호로 전화 거는 중 (%d번째 시도)" % job.attempt,
                   "dialling, attempt %d" % job.attempt)
        self._submit(job, first_page)

    def _submit(self, job: FaxJob, first_page: int) -> None:
        request = SubmitRequest(
            key=attempt_key(job.job_id, job.attempt), number=parse(job.number),
            tiff=self.store.document(job.job_id), pages=job.pages, fine=job.fine,
            first_page=min(max(first_page, 1), job.pages))
        try:
            provider_id = self.transport.submit(request)
        except TransportError as exc:
            self._unavailable(job, exc)
            return
        with self._lock:
            self.store.set_provider_id(job.job_id, job.attempt, provider_id)
            current = self.store.get(job.job_id)
            if current.attempt == job.attempt and current.state is JobState.SENDING:
                current.provider_id = provider_id
                self.store.save(current)

    def _follow(self, job: FaxJob, now: float) -> None:
        """Poll an attempt on a line; recover one whose submit was interrupted."""
        attempt = self.store.attempt(job.job_id, job.attempt)
        if not attempt.provider_id:
            if now - attempt.started_at < self.resubmit_after:
                return  # being submitted right now (maybe by another worker)
            if self.transport.idempotent_submit:
                log.warning("fax job %s: resubmitting interrupted attempt %d with its key",
                            job.job_id, job.attempt)
                self._submit(job, job.pages_done + 1 if self.transport.supports_resume else 1)
            else:
                self.apply(StatusUpdate("", Phase.HANDED_OFF, reason="interrupted during hand-off",
                                        key=attempt.key))
            return
        interval = self.poll_interval * (5 if self.transport.pushes_status else 1)
        if now - self._last_poll.get(attempt.provider_id, 0.0) < interval:
            return
        self._last_poll[attempt.provider_id] = now
        try:
            update = self.transport.status(attempt.provider_id)
        except TransportError as exc:
            log.warning("fax job %s: status unavailable: %s", job.job_id, exc)
            return
        self.apply(update)

    def _unavailable(self, job: FaxJob, exc: TransportError) -> None:
        """The transport could not take the attempt: retry later, not counted as a dial."""
        now = self.clock()
        with self._lock:
            self.store.advance(job.job_id, job.attempt,
                               StatusUpdate("", Phase.FAILED, reason="transport unavailable"), now)
            job = self.store.get(job.job_id)
            job.dials = max(job.dials - 1, 0)
            if exc.transient and now + self.retry.unavailable_delay <= job.created_at + self.retry.kill_after:
                job.state = JobState.RETRY_WAIT
                job.next_at = now + self.retry.unavailable_delay
                job.reason = "fax service unavailable"
                job.reason_ko = "팩스 서버에 연결할 수 없습니다. %s 뒤 다시 시도합니다." % (
                    _korean_duration(self.retry.unavailable_delay))
                kind = "retry"
            else:
                job.state = JobState.FAILED
                job.reason = "fax service refused the job"
                job.reason_ko = "팩스 서비스가 요청을 받지 않았습니다." + _FAIL_TAIL_KO
                kind = "failed"
            job.updated_at = now
            self.store.save(job)
        log.warning("fax job %s attempt %d not submitted: %s", job.job_id, job.attempt, exc)
        self._emit(job, kind, job.reason_ko, job.reason)

    def _finish(self, job: FaxJob, update: StatusUpdate, now: float) -> None:
        """Apply an attempt's final outcome to its job (called under the lock)."""
        phase = update.phase
        job.updated_at = now
        if phase is Phase.DELIVERED:
            job.tries += 1
            job.pages_done = job.pages
            job.state, job.reason, job.reason_ko = JobState.DELIVERED, "", ""
            self.store.save(job)
            self._emit(job, "delivered", "팩스 전송 완료 (%d쪽)" % job.pages,
                       "delivered, %d pages" % job.pages, page=job.pages)
            return
        if phase is Phase.HANDED_OFF:
            job.state = JobState.HANDED_OFF
            job.reason = update.reason or "handed to the fax gateway"
            job.reason_ko = "팩스 게이트웨이에 전달했습니다."
            self.store.save(job)
            self._emit(job, "handed_off", job.reason_ko, job.reason)
            return
        if phase is Phase.CANCELLED:
            job.state, job.reason = JobState.CANCELLED, update.reason or "cancelled"
            job.reason_ko = "팩스 전송이 취소되었습니다."
            self.store.save(job)
            self._emit(job, "cancelled", job.reason_ko, job.reason)
            return
        if phase is Phase.FAILED:
            job.tries += 1
            job.pages_done = max(job.pages_done, update.pages_sent)
        delay_field, reason_en, retry_ko = _RETRY_TEXT[phase]
        delay = getattr(self.retry, delay_field)
        give_up = None
        if job.tries >= self.retry.max_tries:
            give_up = "too many tries (%d)" % job.tries
        elif job.dials >= self.retry.max_dials:
            give_up = "too many dials (%d)" % job.dials
        elif now + delay > job.created_at + self.retry.kill_after:
            give_up = "kill time reached"
        detail = update.reason or reason_en
        if give_up:
            job.state = JobState.FAILED
            job.reason = "%s; %s" % (detail, give_up)
            job.reason_ko = _FAIL_KO[phase] + _FAIL_TAIL_KO
            self.store.save(job)
            log.info("fax job %s failed after %d dials, %d tries: %s", job.job_id, job.dials,
                     job.tries, job.reason)
            self._emit(job, "failed", job.reason_ko, job.reason)
            return
        job.state = JobState.RETRY_WAIT
        job.next_at = now + delay
        job.reason = detail
        job.reason_ko = retry_ko % _korean_duration(delay)
        self.store.save(job)
        self._emit(job, "retry", job.reason_ko, "%s; retry in %.0fs" % (detail, delay))

    def _emit(self, job: FaxJob, kind: str, message_ko: str, message_en: str, *, page: int = 0) -> None:
        if self.on_event is None:
            return
        event = FaxEvent(job_id=job.job_id, kind=kind, state=job.state, attempt=job.attempt,
                         message_ko=message_ko, message_en=message_en, page=page, pages=job.pages,
                         at=self.clock())
        try:
            self.on_event(event)
        except Exception:  # the host's timeline must not break delivery
            log.exception("fax event handler failed for job %s", job.job_id)
