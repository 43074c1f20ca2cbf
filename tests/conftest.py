"""Fixtures shared by every test: real Redis, the real reference back end,
private databases (SQLite, and PostgreSQL for storage tests), app and client.

A plugin at the end scans every log line of the run (ours and our
subprocesses') for resident numbers, phone numbers and emails, and fails the
run if it finds one.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest

from tests.support import procs
from tests.support.world import world  # noqa: F401  (fixture)

OUR_LOGGERS = ("services", "tvapp", "broadcast_feed", "fax_bridge", "remote_nav", "rq")


# -- log scan ---------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        if record.name.split(".")[0] in OUR_LOGGERS or record.name == "__main__":
            try:
                self.lines.append("%s: %s" % (record.name, record.getMessage()))
            except Exception:  # noqa: BLE001
                self.lines.append("%s: %r %r" % (record.name, record.msg, record.args))


_collector = _Collect()


def pytest_configure(config):
    logging.getLogger().addHandler(_collector)
    logging.getLogger().setLevel(logging.DEBUG)


def pytest_sessionfinish(session, exitstatus):
    from services.pii import contains_personal_data, redact

    problems = []
    for line in _collector.lines:
        for what in contains_personal_data(line):
            problems.append("log line has %s: %s" % (what, redact(line[:120])))
    for path in procs.LOG_FILES:
        try:
            text = Path(path).read_text(errors="replace")
        except FileNotFoundError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for what in contains_personal_data(line):
                problems.append("%s:%d has %s" % (Path(path).name, n, what))
    if problems:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr:
            tr.write_line("PERSONAL DATA IN LOGS (%d):" % len(problems), red=True)
            for p in problems[:20]:
                tr.write_line("  " + p, red=True)
        session.exitstatus = 1


# -- servers ----------------------------------------------------------------

@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def redis_server(log_dir, tmp_path_factory):
    server = procs.RedisServer(log_dir, tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    import redis

    r = redis.Redis.from_url(redis_server.url)
    r.flushall()
    yield redis_server.url
    r.flushall()


@pytest.fixture(scope="session")
def backend_server(log_dir, tmp_path_factory):
    server = procs.BackendServer(log_dir, tmp_path_factory.mktemp("backend") / "backend.sqlite3").start()
    yield server
    server.stop()


@pytest.fixture
def private_backend(log_dir, tmp_path):
    """A back end of the test's own, that the test may stop and start."""
    server = procs.BackendServer(log_dir, tmp_path / "backend.sqlite3").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    server = procs.PostgresServer().start()
    yield server
    server.stop()


def _migrated(url: str) -> str:
    from services.core.migrate import upgrade

    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return _migrated("sqlite:///%s" % (tmp_path / "tvgov.sqlite3"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request, tmp_path):
    """Storage tests run on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return _migrated("sqlite:///%s" % (tmp_path / "tvgov.sqlite3"))
    pg = request.getfixturevalue("postgres_server")
    return _migrated(pg.create_database("t_" + uuid.uuid4().hex[:12]))


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Test settings in the environment; returns a setter for more."""
    monkeypatch.setenv("TVGOV_ENV", "test")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))

    def set_(**kw):
        for k, v in kw.items():
            monkeypatch.setenv(k, str(v))

    return set_


@pytest.fixture
def runtime(env, sqlite_url, redis_url, backend_server):
    from services.core.config import load_config
    from services.core.runtime import Runtime, set_runtime

    env(DATABASE_URL=sqlite_url, REDIS_URL=redis_url, BACKEND_URL=backend_server.url)
    rt = Runtime(load_config())
    set_runtime(rt)
    yield rt
    set_runtime(None)


@pytest.fixture
def app(runtime):
    from tvapp import create_app

    application = create_app(runtime.config)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(runtime):
    """The demo households mirrored from the back end."""
    from services import demo as demo_mod

    demo_mod.seed(runtime)
    return runtime


@pytest.fixture(scope="session")
def browser():
    """The one headless Debian Chromium of the whole run (Playwright allows one
    sync_playwright() at a time: every browser test uses this fixture).
    `make test` installs Chromium; a run without it fails, it does not skip."""
    from playwright.sync_api import sync_playwright

    from remote_nav.driver import launch_chromium

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()


def pytest_collection_modifyitems(config, items):
    # The log scan needs our loggers to propagate at DEBUG during tests.
    os.environ.setdefault("TVGOV_ENV", "test")
