"""Fixtures for remote_nav tests: fixture screens, and a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def screen():
    """Read a fixture screen's HTML by file name."""

    def read(name: str) -> str:
        return (FIXTURES / name).read_text(encoding="utf-8")

    return read
