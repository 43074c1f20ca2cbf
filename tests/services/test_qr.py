"""One QR encoder: what the screens show (SVG) and what the PDFs print
(the module matrix) both decode with zbar to the text they were given."""

from __future__ import annotations

import base64
import re

import pytest
from PIL import Image, ImageDraw
from pyzbar.pyzbar import decode

from services import qr

TEXTS = [
    "http://127.0.0.1:8000/m/pair?code=BCDF-GHJK",
    "http://127.0.0.1:8000/m/h/%s" % ("x" * 43),
    "http://127.0.0.1:8000/verify/1234-5678-9012-3456",
    "https://gov.example/tv/taxes/pay/" + "A1b2" * 30,
    "1",
]


def _raster(matrix: list[list[bool]], scale: int = 4, border: int = 4) -> Image.Image:
    size = (len(matrix) + 2 * border) * scale
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                x0, y0 = (x + border) * scale, (y + border) * scale
                draw.rectangle([x0, y0, x0 + scale - 1, y0 + scale - 1], fill=0)
    return img


def _raster_svg(svg: bytes, scale: int = 4) -> Image.Image:
    """Draw the SVG this module writes (a white rect, one path of runs)."""
    text = svg.decode()
    w = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1))
    img = Image.new("L", (w * scale, w * scale), 255)
    draw = ImageDraw.Draw(img)
    d = re.search(r'<path fill="#000" d="([^"]*)"', text).group(1)
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", d)
    assert "".join("M%s %sh%sv1h-%sz" % r for r in runs) == d  # nothing else in the path
    for x, y, n, back in runs:
        x, y, n = int(x), int(y), int(n)
        assert int(back) == n
        draw.rectangle([x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1], fill=0)
    return img


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("level", ["L", "M"])
def test_the_matrix_decodes(text, level):
    found = [d.data.decode() for d in decode(_raster(qr.modules(text, level)))]
    assert found == [text]


@pytest.mark.parametrize("text", TEXTS)
def test_the_svg_decodes(text):
    svg = qr.svg(text, scale=6)
    assert svg.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    found = [d.data.decode() for d in decode(_raster_svg(svg))]
    assert found == [text]


def test_the_data_uri_is_the_svg():
    uri = qr.svg_data_uri(TEXTS[0], scale=4)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == qr.svg(TEXTS[0], scale=4)
    n = len(qr.modules(TEXTS[0], "M")) + 2 * qr.QUIET_ZONE
    assert ('width="%d"' % (n * 4)).encode() in qr.svg(TEXTS[0], scale=4)


def test_screens_use_level_m_and_paper_level_l():
    from services.certificates import pdf
    from tvapp.tv.ui import qr_data_uri

    assert qr_data_uri(TEXTS[0]) == qr.svg_data_uri(TEXTS[0], 6, "M")
    assert pdf.qr_modules(TEXTS[2]) == qr.modules(TEXTS[2], "L")
