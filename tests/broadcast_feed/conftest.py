"""Fixtures for broadcast_feed tests: fixture files and real local servers."""

from __future__ import annotations

import pytest
from feed_testlib import FIXTURES, SAMPLES, http_server, listener, secret_file  # noqa: F401 - fixtures


@pytest.fixture
def fixture_bytes():
    def load(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return load


@pytest.fixture
def sample_bytes():
    def load(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()

    return load
