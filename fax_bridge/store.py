"""Where fax jobs and their call attempts are kept: a small interface and SQLite.

The host can use :class:`SqliteJobStore` as it is (one file, safe across
threads and processes) or implement :class:`JobStore` over its own database.
Two operations must be atomic, because they are what makes a job that runs
twice harmless:

- :meth:`JobStore.claim` picks the next job (fairly across owners, only if a
  line is free) and records a new attempt for it in one step: two workers can
  never start the same attempt;
- :meth:`JobStore.advance` moves an attempt forward only if the new status
  ranks above the recorded one: duplicated or late reports change nothing.

Numbers are stored as normalised digits (the transport needs them); they
never appear in log lines.
"""

from __future__ import annotations

import abc
import enum
import sqlite3
import threading
from dataclasses import asdict, dataclass, fields

from .errors import JobNotFound
from .numbers import mask
from .transports.base import Phase, StatusUpdate

__all__ = ["Attempt", "FaxJob", "JobState", "JobStore", "SqliteJobStore"]


class JobState(str, enum.Enum):
    """A fax job's state as the request timeline shows it."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRY_WAIT = "retry_wait"
    DELIVERED = "delivered"
    HANDED_OFF = "handed_off"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobState.DELIVERED, JobState.HANDED_OFF, JobState.FAILED, JobState.CANCELLED)


@dataclass
class FaxJob:
    """One fax to deliver, with its retry counters (HylaFAX's dials and tries)."""

    job_id: str
    owner: str
    number: str
    pages: int
    fine: bool = True
    state: JobState = JobState.QUEUED
    attempt: int = 0
    dials: int = 0
    tries: int = 0
    pages_done: int = 0
    next_at: float = 0.0
    created_at: float = 0.0
    updated_at: float = 0.0
    reason: str = ""
    reason_ko: str = ""
    provider_id: str = ""

    @property
    def masked_number(self) -> str:
        return mask(self.number)

    def __repr__(self) -> str:
        return "FaxJob(%s, owner=%s, %s, state=%s, attempt=%d)" % (
            self.job_id, self.owner, self.masked_number, self.state.value, self.attempt)


@dataclass
class Attempt:
    """One call attempt of a job. ``key`` is what transports deduplicate on."""

    job_id: str
    number: int
    key: str
    provider_id: str = ""
    phase: Phase = Phase.QUEUED
    rank: int = -1
    page: int = 0
    pages_sent: int = 0
    reason: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0


def attempt_key(job_id: str, number: int) -> str:
    """The idempotency key of attempt ``number`` of a job."""
    return "%s:%d" % (job_id, number)


class JobStore(abc.ABC):
    """Persistence of fax jobs, documents and attempts."""

    @abc.abstractmethod
    def add(self, job: FaxJob, document: bytes) -> FaxJob:
        """Store a new job and its TIFF; an existing ``job_id`` is returned unchanged."""

    @abc.abstractmethod
    def get(self, job_id: str) -> FaxJob:
        """The job, or :class:`JobNotFound`."""

    @abc.abstractmethod
    def document(self, job_id: str) -> bytes:
        """The job's TIFF."""

    @abc.abstractmethod
    def save(self, job: FaxJob) -> None:
        """Write back a job's state and counters."""

    @abc.abstractmethod
    def claim(self, now: float, lines: int) -> FaxJob | None:
        """Atomically start the next attempt of the fairest ready job, if a line is free.

        Ready: queued, or waiting to retry with ``next_at <= now``. Fair: the
        owner served least recently goes first. The job comes back in state
        ``sending`` with ``attempt`` and ``dials`` counted up and the attempt
        recorded.
        """

    @abc.abstractmethod
    def set_provider_id(self, job_id: str, number: int, provider_id: str) -> None:
        """Remember what the transport calls this attempt."""

    @abc.abstractmethod
    def attempt(self, job_id: str, number: int) -> Attempt:
        """One attempt of a job."""

    @abc.abstractmethod
    def attempts(self, job_id: str) -> list[Attempt]:
        """Every attempt of a job, oldest first."""

    @abc.abstractmethod
    def find_attempt(self, provider_id: str) -> Attempt | None:
        """The attempt a transport's id belongs to."""

    @abc.abstractmethod
    def advance(self, job_id: str, number: int, update: StatusUpdate, now: float) -> bool:
        """Record ``update`` on the attempt only if it ranks above what is recorded."""

    @abc.abstractmethod
    def active(self) -> list[FaxJob]:
        """Jobs with an attempt on a line now."""

    @abc.abstractmethod
    def next_due(self) -> float | None:
        """The earliest ``next_at`` of a job waiting for a line or a retry."""


_JOB_FIELDS = [f.name for f in fields(FaxJob)]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fax_jobs (
    job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, number TEXT NOT NULL, pages INTEGER NOT NULL,
    fine INTEGER NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL, dials INTEGER NOT NULL,
    tries INTEGER NOT NULL, pages_done INTEGER NOT NULL, next_at REAL NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, reason TEXT NOT NULL,
    reason_ko TEXT NOT NULL, provider_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fax_jobs_ready ON fax_jobs (state, next_at);
CREATE TABLE IF NOT EXISTS fax_documents (job_id TEXT PRIMARY KEY, tiff BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS fax_attempts (
    job_id TEXT NOT NULL, number INTEGER NOT NULL, key TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL DEFAULT '', phase TEXT NOT NULL, rank INTEGER NOT NULL,
    page INTEGER NOT NULL, pages_sent INTEGER NOT NULL, reason TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL NOT NULL, PRIMARY KEY (job_id, number)
);
CREATE INDEX IF NOT EXISTS fax_attempts_provider ON fax_attempts (provider_id);
CREATE TABLE IF NOT EXISTS fax_owners (owner TEXT PRIMARY KEY, served INTEGER NOT NULL);
"""


class SqliteJobStore(JobStore):
    """:class:`JobStore` on one SQLite file (``":memory:"`` for a single process)."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- helpers ---------------------------------------------------------
    @staticmethod
    def _job(row: sqlite3.Row) -> FaxJob:
        data = dict(row)
        data["state"] = JobState(data["state"])
        data["fine"] = bool(data["fine"])
        return FaxJob(**data)

    @staticmethod
    def _attempt(row: sqlite3.Row) -> Attempt:
        data = dict(row)
        data["phase"] = Phase(data["phase"])
        return Attempt(**data)

    def _write_job(self, job: FaxJob) -> None:
        data = asdict(job)
        data["state"] = job.state.value
        data["fine"] = int(job.fine)
        self._db.execute(
            "INSERT OR REPLACE INTO fax_jobs (%s) VALUES (%s)"
            % (", ".join(_JOB_FIELDS), ", ".join(":" + f for f in _JOB_FIELDS)), data)

    # -- interface -------------------------------------------------------
    def add(self, job: FaxJob, document: bytes) -> FaxJob:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT * FROM fax_jobs WHERE job_id = ?",
                                       (job.job_id,)).fetchone()
                if row is not None:
                    self._db.execute("COMMIT")
                    return self._job(row)
                self._write_job(job)
                self._db.execute("INSERT INTO fax_documents VALUES (?, ?)", (job.job_id, document))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return job

    def get(self, job_id: str) -> FaxJob:
        with self._lock:
            row = self._db.execute("SELECT * FROM fax_jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return self._job(row)

    def document(self, job_id: str) -> bytes:
        with self._lock:
            row = self._db.execute("SELECT tiff FROM fax_documents WHERE job_id = ?",
                                   (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return bytes(row[0])

    def save(self, job: FaxJob) -> None:
        with self._lock:
            self._write_job(job)

    def claim(self, now: float, lines: int) -> FaxJob | None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                busy = self._db.execute("SELECT COUNT(*) FROM fax_jobs WHERE state = ?",
                                        (JobState.SENDING.value,)).fetchone()[0]
                if busy >= lines:
                    self._db.execute("COMMIT")
                    return None
                row = self._db.execute(
                    """SELECT j.* FROM fax_jobs j LEFT JOIN fax_owners o ON o.owner = j.owner
                       WHERE j.state IN (?, ?) AND j.next_at <= ?
                       ORDER BY COALESCE(o.served, 0), j.next_at, j.created_at, j.job_id
                       LIMIT 1""",
                    (JobState.QUEUED.value, JobState.RETRY_WAIT.value, now)).fetchone()
                if row is None:
                    self._db.execute("COMMIT")
                    return None
                job = self._job(row)
                job.attempt += 1
                job.dials += 1
                job.state = JobState.SENDING
                job.provider_id = ""
                job.updated_at = now
                self._write_job(job)
                self._db.execute(
                    "INSERT INTO fax_attempts VALUES (?, ?, ?, '', ?, -1, 0, 0, '', ?, 0)",
                    (job.job_id, job.attempt, attempt_key(job.job_id, job.attempt),
                     Phase.QUEUED.value, now))
                served = self._db.execute("SELECT COALESCE(MAX(served), 0) + 1 FROM fax_owners"
                                          ).fetchone()[0]
                self._db.execute("INSERT OR REPLACE INTO fax_owners VALUES (?, ?)",
                                 (job.owner, served))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return job

    def set_provider_id(self, job_id: str, number: int, provider_id: str) -> None:
        with self._lock:
            self._db.execute("UPDATE fax_attempts SET provider_id = ? WHERE job_id = ? AND number = ?",
                             (provider_id, job_id, number))

    def attempt(self, job_id: str, number: int) -> Attempt:
        with self._lock:
            row = self._db.execute("SELECT * FROM fax_attempts WHERE job_id = ? AND number = ?",
                                   (job_id, number)).fetchone()
        if row is None:
            raise JobNotFound("%s attempt %d" % (job_id, number))
        return self._attempt(row)

    def attempts(self, job_id: str) -> list[Attempt]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM fax_attempts WHERE job_id = ? ORDER BY number",
                                    (job_id,)).fetchall()
        return [self._attempt(r) for r in rows]

    def find_attempt(self, provider_id: str) -> Attempt | None:
        if not provider_id:
            return None
        with self._lock:
            row = self._db.execute("SELECT * FROM fax_attempts WHERE provider_id = ?",
                                   (provider_id,)).fetchone()
        return self._attempt(row) if row else None

    def advance(self, job_id: str, number: int, update: StatusUpdate, now: float) -> bool:
        ended = now if update.rank >= 1_000_000 else 0.0
        with self._lock:
            cursor = self._db.execute(
                """UPDATE fax_attempts SET phase = ?, rank = ?, page = ?,
                   pages_sent = MAX(pages_sent, ?), reason = ?, ended_at = ?
                   WHERE job_id = ? AND number = ? AND rank < ?""",
                (update.phase.value, update.rank, update.page, update.pages_sent, update.reason,
                 ended, job_id, number, update.rank))
            return cursor.rowcount == 1

    def active(self) -> list[FaxJob]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM fax_jobs WHERE state = ? ORDER BY updated_at",
                                    (JobState.SENDING.value,)).fetchall()
        return [self._job(r) for r in rows]

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(next_at) FROM fax_jobs WHERE state IN (?, ?)",
                                   (JobState.QUEUED.value, JobState.RETRY_WAIT.value)).fetchone()
        return row[0]

