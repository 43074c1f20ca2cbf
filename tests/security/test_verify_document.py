"""Issue 19 item 11, as the attack: a forged paper that reuses a genuine
verification number (of another 김*수, or with changed lines) passed, since
/verify showed only a summary and a digest prefix. Now /verify/<number> shows
the issued document itself - its pages as images, resident numbers masked as a
masked copy prints them - for 90 days after issue, and says to compare it line
by line; an expired number shows no pages, a forged one is refused, and the
number stays rate-limited."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pypdfium2 as pdfium
from PIL import Image
from sqlalchemy import select

from services.certificates import pdf, verification
from services.certificates.issue import VIEW_DAYS, VIEW_SCALE, pdf_bytes
from services.models import Certificate
from tests.tvapp.test_verify import _issue
from tvapp.verify.views import LIMIT_PER_MINUTE

IMAGES = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
FULL = ("790115-1592037", "480312-1738204")
BACKS = ("1592037", "592037", "1738204", "738204")


def shown_pages(html: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(b))) for b in IMAGES.findall(html)]


def colours(img: Image.Image, box) -> set:
    return {c for _, c in img.crop(box).getcolors(maxcolors=1 << 20)}


def stored_pdf(runtime, number) -> bytes:
    with runtime.session() as s:
        cert = s.scalar(select(Certificate).where(Certificate.verification_no == number))
        return pdf_bytes(runtime, cert)


def a4(scale: float) -> tuple[int, int]:
    return round(595.2756 * scale), round(841.8898 * scale)


def test_a_genuine_number_shows_the_issued_pages_as_issued(client, runtime):
    number = _issue(runtime, "resident-copy", "주민등록표 (등본)")
    r = client.get("/verify/" + number)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "발급된 진본입니다" in html
    assert "한 줄씩 비교해 주세요" in html and "line by line" in html
    assert r.headers["Cache-Control"] == "no-store"
    pages = shown_pages(html)
    data = stored_pdf(runtime, number)
    assert len(pages) == len(pdfium.PdfDocument(data)) >= 1
    for i, img in enumerate(pages):
        assert img.format == "PNG"
        assert abs(img.width - a4(VIEW_SCALE)[0]) <= 1 and abs(img.height - a4(VIEW_SCALE)[1]) <= 1
        # masked on the original already: the very pixels of the issued page
        original = Image.open(io.BytesIO(pdf.render_png(data, page=i, scale=VIEW_SCALE))).convert("RGB")
        assert img.convert("RGB").tobytes() == original.tobytes()
    for full in FULL + BACKS:
        assert full not in html


def _back_digit_boxes(data: bytes, scale: float):
    """Pixel boxes, per page, of the digits a masked copy hides, read from the PDF's text."""
    doc = pdfium.PdfDocument(data)
    out = []
    for page in doc:
        h = page.get_height()
        out.append([(int(lft * scale) + 1, int((h - top) * scale) + 1, int(rgt * scale) - 1, int((h - bot) * scale) - 1)
                    for lft, bot, rgt, top in pdf._full_rrn_boxes(page)])
    return out


def test_a_number_printed_in_full_is_shown_masked(client, runtime):
    number = _issue(runtime, "resident-copy", "주민등록표 (등본)", full_rrn=True)
    data = stored_pdf(runtime, number)
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data))
    assert all(full in text for full in FULL)  # the paper has them in full
    html = client.get("/verify/" + number).get_data(as_text=True)
    for full in FULL + BACKS:
        assert full not in html
    pages = shown_pages(html)
    boxes = _back_digit_boxes(data, VIEW_SCALE)
    assert sum(len(b) for b in boxes) == 6 * 3  # three numbers on the page, 6 hidden digits each
    for img, page_boxes, i in zip(pages, boxes, range(len(pages)), strict=True):
        shown = img.convert("RGB")
        raw = Image.open(io.BytesIO(pdf.render_png(data, page=i, scale=VIEW_SCALE))).convert("RGB")
        for box in page_boxes:
            assert colours(shown, box) == {pdf.MASK_FILL}  # covered
            assert len(colours(raw, box)) > 1  # where the paper has a digit
        # nothing but those digits differs from the issued page
        diff = [(x, y) for y in range(0, shown.height, 3) for x in range(0, shown.width, 3)
                if shown.getpixel((x, y)) != raw.getpixel((x, y))]
        assert diff and all(any(b[0] - 3 <= x <= b[2] + 3 and b[1] - 3 <= y <= b[3] + 3 for b in page_boxes)
                            for x, y in diff)
        png = base64.b64decode(IMAGES.findall(html)[i])
        assert all(full.encode() not in png for full in FULL + BACKS)


def test_an_expired_number_shows_no_pages(client, runtime):
    number = _issue(runtime, "resident-copy", "주민등록표 (등본)", age=timedelta(days=VIEW_DAYS, hours=1))
    r = client.get("/verify/" + number)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "확인 기간이 지났습니다" in html
    assert not IMAGES.search(html) and "data:image" not in html
    fresh = _issue(runtime, "resident-abstract", "주민등록표 (초본)", age=timedelta(days=VIEW_DAYS - 1))
    assert shown_pages(client.get("/verify/" + fresh).get_data(as_text=True))


def test_a_forged_number_is_refused_and_lookups_stay_limited(client, runtime):
    number = _issue(runtime, "resident-copy", "주민등록표 (등본)")
    forged = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
    made_up = verification.normalise("1234-5678-9012-3456")
    for n in (forged, made_up):
        r = client.get("/verify/" + n)
        assert r.status_code == 404 and "발급된 적이 없는 번호" in r.get_data(as_text=True)
        assert "data:image" not in r.get_data(as_text=True)
    for _ in range(LIMIT_PER_MINUTE):
        client.get("/verify/" + forged)
    r = client.get("/verify/" + number)  # genuine, but past the limit
    assert r.status_code == 429 and "data:image" not in r.get_data(as_text=True)
