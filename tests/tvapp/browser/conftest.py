"""Browser tests of the TV screens: the real app served by werkzeug in a
thread (with the test runtime: real Redis, real back end, migrated SQLite),
driven by remote_nav's TvDriver in Debian's headless Chromium at 1280x720."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from remote_nav.driver import TvDriver

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "tv"


@pytest.fixture
def server(demo, app):
    """Base URL of the app served in a thread (the demo households mirrored)."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % srv.server_port
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def tv(browser):
    driver = TvDriver.open(browser)
    driver.install_layout_probe()
    yield driver
    driver.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
