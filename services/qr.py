"""QR codes: one encoder (reportlab's, already what draws the PDFs), two outputs.

- :func:`modules` is the matrix (True = dark), for the certificate PDF
  (``services.certificates.pdf.draw_qr``);
- :func:`svg` / :func:`svg_data_uri` draw it as one SVG path, for the TV and
  phone screens (an ``<img src="data:...">``: no file, no request).

Error correction: ``L`` (7%) on paper, where the code is large and printed;
``M`` (15%) on screens, read by a phone camera across a room.
"""

from __future__ import annotations

import base64

from reportlab.graphics.barcode import qrencoder

LEVELS = {"L": qrencoder.QRErrorCorrectLevel.L, "M": qrencoder.QRErrorCorrectLevel.M,
          "Q": qrencoder.QRErrorCorrectLevel.Q, "H": qrencoder.QRErrorCorrectLevel.H}
QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)


def modules(text: str, level: str = "M") -> list[list[bool]]:
    """The QR code's module matrix, the smallest version that holds ``text``."""
    qr = qrencoder.QRCode(None, LEVELS[level])
    qr.addData(text)
    qr.make()
    return [[bool(m) for m in row] for row in qr.modules]


def dark_runs(rows: list[list[bool]]):
    """``(row, first, past the last)`` of every horizontal run of dark modules."""
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            yield y, start, x


def svg(text: str, scale: int = 6, level: str = "M", border: int = QUIET_ZONE) -> bytes:
    """An SVG of the code: black on white, ``scale`` pixels a module, each
    horizontal run of dark modules one ``h`` segment of a single path."""
    rows = modules(text, level)
    size = len(rows) + 2 * border
    runs = ["M%d %dh%dv1h-%dz" % (start + border, y + border, end - start, end - start)
            for y, start, end in dark_runs(rows)]
    px = size * scale
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
            'shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/>'
            '<path fill="#000" d="%s"/></svg>' % (px, px, size, size, size, size, "".join(runs))).encode()


def svg_data_uri(text: str, scale: int = 6, level: str = "M") -> str:
    """:func:`svg` as a ``data:image/svg+xml;base64,...`` URI."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg(text, scale, level)).decode()
