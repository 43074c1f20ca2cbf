"""The QR codes the screens show, as Chromium draws them, read by zbar."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from tvapp.tv.ui import qr_data_uri

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("text,scale", [("http://127.0.0.1:8000/m/pair?code=BCDF-GHJK", 6),
                                        ("http://127.0.0.1:8000/m/h/" + "x" * 43, 4)])
def test_chromium_draws_the_svg_qr_and_zbar_reads_it(browser, text, scale):
    ctx = browser.new_context(viewport={"width": 400, "height": 400})
    try:
        page = ctx.new_page()
        page.set_content('<body style="margin:0;background:#fff"><img src="%s" width="300" height="300">'
                         % qr_data_uri(text, scale))
        img = Image.open(io.BytesIO(page.screenshot()))
    finally:
        ctx.close()
    assert [d.data.decode() for d in decode(img)] == [text]
