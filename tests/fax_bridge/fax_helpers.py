"""Helpers shared by the fax_bridge tests (sample PDFs, ports, tools)."""

from __future__ import annotations

import io
import shutil
import socket

import pytest
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
QR_TEXT = "https://gov.example/verify/K7QX-2M4P-9TZD"


def make_certificate_pdf(pages: int = 2, *, qr_text: str = QR_TEXT, pagesize=A4) -> bytes:
    """A certificate-like PDF: Korean text, a table and a QR code on every page."""
    if "TestNanum" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("TestNanum", FONT))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=pagesize)
    width, height = pagesize
    for number in range(pages):
        pdf.setFont("TestNanum", 20)
        pdf.drawString(25 * mm, height - 30 * mm, "주민등록표 (등본) %d쪽" % (number + 1))
        pdf.setFont("TestNanum", 11)
        y = height - 45 * mm
        for row in range(12):
            pdf.rect(25 * mm, y - 2 * mm, width - 50 * mm, 8 * mm)
            pdf.drawString(28 * mm, y, "%02d  세대원 홍길동  서울특별시 강남구 테헤란로 %d" % (row, row + 1))
            y -= 8 * mm
        widget = QrCodeWidget(qr_text)
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(40 * mm, 40 * mm, transform=[40 * mm / (x1 - x0), 0, 0, 40 * mm / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, pdf, width - 70 * mm, 25 * mm)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        # make test installs every tool the tests use: a missing one is a broken
        # install step, never a reason to pass quietly.
        pytest.fail("%s is not installed: run `make test` (scripts/system-deps.sh test)" % name)
    return path
