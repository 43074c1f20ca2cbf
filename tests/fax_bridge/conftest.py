"""Fixtures for fax_bridge tests: sample PDFs and clean-up of the rendering pool."""

from __future__ import annotations

import pytest
from fax_helpers import make_certificate_pdf
from reportlab.lib.pagesizes import A4, landscape

from fax_bridge import render


@pytest.fixture(scope="session")
def certificate_pdf() -> bytes:
    return make_certificate_pdf(2)


@pytest.fixture(scope="session")
def landscape_pdf() -> bytes:
    return make_certificate_pdf(1, pagesize=landscape(A4))


@pytest.fixture(scope="session", autouse=True)
def _stop_render_pool():
    yield
    render.shutdown_pool()
