"""Fixtures for broadcast_feed tests: fixture files and real local servers."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
HOSTILE = HERE / "hostile"
SAMPLES = HERE.parents[1] / "broadcast_feed" / "samples"


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
