"""Database engine and sessions (SQLAlchemy 2). SQLite by default, PostgreSQL at scale."""

from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    pass


_engines: dict[str, Engine] = {}


def sqlite_pragmas(dbapi_conn, _record=None) -> None:
    """What every SQLite connection of ours runs first (WAL, a busy wait, foreign keys)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def get_engine(url: str) -> Engine:
    """One engine per URL per process (engines are not fork-safe: see dispose_all)."""
    engine = _engines.get(url)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            event.listen(engine, "connect", sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _engines[url] = engine
    return engine


def dispose_all() -> None:
    """Call in a forked child before touching the database."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()
    sessionmaker_for.cache_clear()


@functools.lru_cache(maxsize=None)
def sessionmaker_for(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str, info: dict | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error. ``info``
    goes into ``session.info`` (the runtime puts itself there)."""
    session = sessionmaker_for(url)()
    session.info.update(info or {})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
