"""Fixtures for remote_nav tests: fixture screens, a local web server, headless Chromium."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from remote_nav import annotate
from remote_nav.assets import RUNTIME_PATH, STYLE_PATH
from remote_nav.driver import TvDriver

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "remote_nav"
RUNTIME_TAG = '<script src="remote_nav.js"></script>'
STYLE_TAG = '<link rel="stylesheet" href="remote_nav.css">'


@pytest.fixture
def screen():
    """Read a fixture screen's HTML by file name."""

    def read(name: str) -> str:
        return (FIXTURES / name).read_text(encoding="utf-8")

    return read


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def build_site(target: Path) -> Path:
    """Annotated fixture screens with the runtime, ready to serve from ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for path in FIXTURES.iterdir():
        if path.suffix == ".html":
            text = annotate(path.read_text(encoding="utf-8"))
            text = text.replace("<head>", "<head>" + STYLE_TAG, 1).replace("</body>", RUNTIME_TAG + "</body>")
            (target / path.name).write_text(text, encoding="utf-8")
        else:
            shutil.copy(path, target / path.name)
    shutil.copy(RUNTIME_PATH, target / RUNTIME_PATH.name)
    shutil.copy(STYLE_PATH, target / STYLE_PATH.name)
    return target


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Base URL of a local http.server thread serving the annotated fixtures."""
    root = build_site(tmp_path_factory.mktemp("remote_nav_site"))
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/" % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def tv(browser):
    """A fresh 1280x720 TV page with the layout-read probe installed."""
    driver = TvDriver.open(browser)
    driver.install_layout_probe()
    yield driver
    driver.close()


@pytest.fixture
def artifacts():
    """Folder for screenshots (test-artifacts/remote_nav)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
