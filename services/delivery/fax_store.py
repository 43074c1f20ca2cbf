"""Fax jobs in our database: fax_bridge's :class:`~fax_bridge.store.JobStore`
over the tables ``fax_jobs``, ``fax_documents``, ``fax_attempts`` and
``fax_owners`` (services.models), on SQLite and PostgreSQL.

Every process that touches fax jobs (job workers queueing them, the fax
worker sending them, the web process taking the HTTP fax API's callbacks)
shares them through the database, on whichever host it runs. The recipient
number is encrypted at rest (``runtime.crypto``); the TIFF is stored as it
is sent.

The two operations fax_bridge needs atomic:

- :meth:`claim` runs one at a time across every process: on PostgreSQL under
  a transaction-scoped advisory lock, on SQLite in a ``BEGIN IMMEDIATE``
  transaction (the database's write lock). Counting the busy lines and
  picking the next job therefore see no other claim half done, so ``lines``
  is never exceeded; the job moves to ``sending`` only by an UPDATE
  conditional on the state and attempt it was read with, so a job changed
  meanwhile (cancelled) is never started.
- :meth:`advance` is one UPDATE conditional on the recorded rank.

Each method is its own short transaction: call none of them while holding
an open write transaction of the same SQLite database (commit first).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import case, create_engine, event, func, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from fax_bridge import JobNotFound, JobState, JobStore
from fax_bridge.store import Attempt, FaxJob, attempt_key
from fax_bridge.transports.base import Phase, StatusUpdate
from services.core.db import get_engine, sqlite_pragmas
from services.models import FaxAttemptRow, FaxDocumentRow, FaxJobRow, FaxOwnerRow

__all__ = ["DatabaseJobStore"]

JOBS = FaxJobRow.__table__
DOCUMENTS = FaxDocumentRow.__table__
ATTEMPTS = FaxAttemptRow.__table__
OWNERS = FaxOwnerRow.__table__

WAITING = (JobState.QUEUED.value, JobState.RETRY_WAIT.value)
# What fax_bridge's dispatcher changes on a job (the rest is fixed when it is queued).
MUTABLE = ("state", "attempt", "dials", "tries", "pages_done", "next_at", "updated_at",
           "reason", "reason_ko", "provider_id")
# pg_advisory_xact_lock key serialising claims ("fax" + 1).
CLAIM_LOCK = 0x66617801


# -- SQLite: transactions we begin ourselves ---------------------------------
# Python's sqlite3 begins a transaction only before the first write, so two
# claims could both count the busy lines before either writes. This engine
# leaves the driver in autocommit and emits BEGIN itself: BEGIN IMMEDIATE
# (the write lock, waited for up to busy_timeout) when asked for.

_sqlite_engines: dict[tuple[int, str], Engine] = {}


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    sqlite_pragmas(dbapi_conn)


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("fax_write") else "BEGIN")


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return get_engine(url)  # the process's pool (PostgreSQL)
    key = (os.getpid(), url)  # a forked child opens its own connections
    engine = _sqlite_engines.get(key)
    if engine is None:
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        _sqlite_engines[key] = engine
    return engine


class DatabaseJobStore(JobStore):
    """:class:`~fax_bridge.store.JobStore` in the application's database."""

    def __init__(self, url: str, crypto) -> None:
        self.engine = _engine(url)
        self.crypto = crypto
        self._postgres = self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        """Nothing to release: connections go back to the process's pool."""

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if write and not self._postgres:
                conn = conn.execution_options(fax_write=True)
            with conn.begin():
                yield conn

    # -- rows ------------------------------------------------------------
    def _job(self, row) -> FaxJob:
        data = dict(row._mapping)
        number = self.crypto.decrypt(data.pop("number_enc"))
        return FaxJob(number=number, **dict(data, state=JobState(data["state"]), fine=bool(data["fine"])))

    @staticmethod
    def _attempt(row) -> Attempt:
        data = dict(row._mapping)
        return Attempt(**dict(data, phase=Phase(data["phase"])))

    def _row(self, job: FaxJob) -> dict:
        return {"job_id": job.job_id, "owner": job.owner, "number_enc": self.crypto.encrypt(job.number),
                "pages": job.pages, "fine": job.fine, "state": job.state.value, "attempt": job.attempt,
                "dials": job.dials, "tries": job.tries, "pages_done": job.pages_done,
                "next_at": job.next_at, "created_at": job.created_at, "updated_at": job.updated_at,
                "reason": job.reason, "reason_ko": job.reason_ko, "provider_id": job.provider_id}

    def _find(self, conn: Connection, job_id: str) -> FaxJob | None:
        row = conn.execute(select(JOBS).where(JOBS.c.job_id == job_id)).first()
        return None if row is None else self._job(row)

    # -- interface -------------------------------------------------------
    def add(self, job: FaxJob, document: bytes) -> FaxJob:
        with self._tx() as conn:
            existing = self._find(conn, job.job_id)
        if existing is not None:
            return existing
        try:
            with self._tx(write=True) as conn:
                conn.execute(insert(JOBS).values(self._row(job)))
                conn.execute(insert(DOCUMENTS).values(job_id=job.job_id, tiff=document))
        except IntegrityError:  # queued meanwhile by another process
            return self.get(job.job_id)
        return job

    def get(self, job_id: str) -> FaxJob:
        with self._tx() as conn:
            job = self._find(conn, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    def document(self, job_id: str) -> bytes:
        with self._tx() as conn:
            tiff = conn.scalar(select(DOCUMENTS.c.tiff).where(DOCUMENTS.c.job_id == job_id))
        if tiff is None:
            raise JobNotFound(job_id)
        return bytes(tiff)

    def save(self, job: FaxJob) -> None:
        values = {name: getattr(job, name) for name in MUTABLE}
        values["state"] = job.state.value
        with self._tx(write=True) as conn:
            conn.execute(sql_update(JOBS).where(JOBS.c.job_id == job.job_id).values(values))

    def claim(self, now: float, lines: int) -> FaxJob | None:
        with self._tx(write=True) as conn:
            if self._postgres:
                conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
            busy = conn.scalar(select(func.count()).select_from(JOBS)
                               .where(JOBS.c.state == JobState.SENDING.value))
            if busy >= lines:
                return None
            for _ in range(5):  # a job changed since it was read is passed over
                row = conn.execute(
                    select(JOBS).outerjoin(OWNERS, OWNERS.c.owner == JOBS.c.owner)
                    .where(JOBS.c.state.in_(WAITING), JOBS.c.next_at <= now)
                    .order_by(func.coalesce(OWNERS.c.served, 0), JOBS.c.next_at, JOBS.c.created_at,
                              JOBS.c.job_id)
                    .limit(1)).first()
                if row is None:
                    return None
                job = self._job(row)
                started = conn.execute(
                    sql_update(JOBS)
                    .where(JOBS.c.job_id == job.job_id, JOBS.c.state.in_(WAITING),
                           JOBS.c.attempt == job.attempt)
                    .values(state=JobState.SENDING.value, attempt=job.attempt + 1,
                            dials=job.dials + 1, provider_id="", updated_at=now))
                if started.rowcount == 1:
                    break
            else:
                return None
            job.attempt += 1
            job.dials += 1
            job.state = JobState.SENDING
            job.provider_id = ""
            job.updated_at = now
            conn.execute(insert(ATTEMPTS).values(
                job_id=job.job_id, number=job.attempt, key=attempt_key(job.job_id, job.attempt),
                provider_id="", phase=Phase.QUEUED.value, rank=-1, page=0, pages_sent=0, reason="",
                started_at=now, ended_at=0.0))
            served = (conn.scalar(select(func.max(OWNERS.c.served))) or 0) + 1
            if conn.execute(sql_update(OWNERS).where(OWNERS.c.owner == job.owner)
                            .values(served=served)).rowcount == 0:
                conn.execute(insert(OWNERS).values(owner=job.owner, served=served))
            return job

    def set_provider_id(self, job_id: str, number: int, provider_id: str) -> None:
        with self._tx(write=True) as conn:
            conn.execute(sql_update(ATTEMPTS).where(ATTEMPTS.c.job_id == job_id, ATTEMPTS.c.number == number)
                         .values(provider_id=provider_id))

    def attempt(self, job_id: str, number: int) -> Attempt:
        with self._tx() as conn:
            row = conn.execute(select(ATTEMPTS).where(ATTEMPTS.c.job_id == job_id,
                                                      ATTEMPTS.c.number == number)).first()
        if row is None:
            raise JobNotFound("%s attempt %d" % (job_id, number))
        return self._attempt(row)

    def attempts(self, job_id: str) -> list[Attempt]:
        with self._tx() as conn:
            rows = conn.execute(select(ATTEMPTS).where(ATTEMPTS.c.job_id == job_id)
                                .order_by(ATTEMPTS.c.number)).all()
        return [self._attempt(r) for r in rows]

    def find_attempt(self, provider_id: str) -> Attempt | None:
        if not provider_id:
            return None
        with self._tx() as conn:
            row = conn.execute(select(ATTEMPTS).where(ATTEMPTS.c.provider_id == provider_id)
                               .limit(1)).first()
        return self._attempt(row) if row else None

    def advance(self, job_id: str, number: int, update: StatusUpdate, now: float) -> bool:
        ended = now if update.rank >= 1_000_000 else 0.0
        with self._tx(write=True) as conn:
            result = conn.execute(
                sql_update(ATTEMPTS)
                .where(ATTEMPTS.c.job_id == job_id, ATTEMPTS.c.number == number,
                       ATTEMPTS.c.rank < update.rank)
                .values(phase=update.phase.value, rank=update.rank, page=update.page,
                        pages_sent=case((ATTEMPTS.c.pages_sent > update.pages_sent, ATTEMPTS.c.pages_sent),
                                        else_=update.pages_sent),
                        reason=update.reason, ended_at=ended))
            return result.rowcount == 1

    def active(self) -> list[FaxJob]:
        with self._tx() as conn:
            rows = conn.execute(select(JOBS).where(JOBS.c.state == JobState.SENDING.value)
                                .order_by(JOBS.c.updated_at)).all()
        return [self._job(r) for r in rows]

    def next_due(self) -> float | None:
        with self._tx() as conn:
            return conn.scalar(select(func.min(JOBS.c.next_at)).where(JOBS.c.state.in_(WAITING)))
