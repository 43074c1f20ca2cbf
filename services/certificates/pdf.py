"""Certificate PDFs with reportlab: A4, a Korean TrueType font embedded
(a fax raster needs real glyphs, not a non-embedded CID font), the layout of
the real document, and on every page the verification number, a QR code to
/verify/<number> and "page x of y"."""

from __future__ import annotations

import io
import os
import re
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services import pii, qr
from services.certificates import verification
from services.core.config import DEFAULT_FONT_DIR
from services.korean import korean_date, korean_datetime  # noqa: F401 (receipts use them from here)

FONT, FONT_BOLD = "NanumGothic", "NanumGothicBold"
_registered = False


def _fonts(font_dir: str = DEFAULT_FONT_DIR) -> None:
    """Register the fonts once per process, from ``Config.FONT_DIR`` (the first call's)."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(FONT, os.path.join(font_dir, "NanumGothic.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, os.path.join(font_dir, "NanumGothicBold.ttf")))
        _registered = True


STATEMENTS = {
    "resident-copy": "위 등본은 주민등록표의 원본 내용과 틀림없음을 증명합니다.",
    "resident-abstract": "위 초본은 주민등록표의 원본 내용과 틀림없음을 증명합니다.",
    "land-register": "토지대장에 등록된 내용과 틀림없음을 증명합니다.",
    "building-register": "건축물대장의 원본 내용과 틀림없음을 증명합니다.",
    "tax-payment": "위 사람은 발급일 현재 체납한 지방세가 없음을 증명합니다.",
    "tax-assessment": "위와 같이 지방세가 과세되었음을 증명합니다.",
}


def _mask_address(address: str) -> str:
    return " ".join(address.split()[:3]) + " ***"


def _mask_cells(rows, full_rrn: bool, preview: bool):
    out = []
    for row in rows:
        cells = []
        for name, value in row:
            if name == "주민등록번호":
                value = "******-*******" if preview else (pii.format_rrn(value) if full_rrn else pii.mask_rrn(value))
            elif preview and name == "성명":
                value = pii.mask_name(value)
            elif preview and name == "주소":
                value = _mask_address(value)
            cells.append((name, value))
        out.append(cells)
    return out


class _OfficeWithSeal(Flowable):
    """The issuing authority's name, with its seal (직인) just after it: beside
    the name, never over it, so both stay readable on paper and on a fax."""

    def __init__(self, office: str):
        super().__init__()
        self.office = office
        self.height = 26 * mm

    def wrap(self, avail_w, avail_h):
        self.width = avail_w
        return avail_w, self.height

    def draw(self):
        c = self.canv
        c.setFont(FONT_BOLD, 16)
        mid_y = self.height / 2 - 3
        c.drawCentredString(self.width / 2, mid_y, self.office)
        text_w = pdfmetrics.stringWidth(self.office, FONT_BOLD, 16)
        c.saveState()
        red = colors.Color(0.78, 0.06, 0.18, alpha=0.85)
        c.setStrokeColor(red)
        c.setFillColor(red)
        c.setLineWidth(2)
        ss = 22 * mm
        sx = min(self.width / 2 + text_w / 2 + 3 * mm, self.width - ss)
        sy = (self.height - ss) / 2
        c.rect(sx, sy, ss, ss)
        c.setFont(FONT_BOLD, 10)
        label = self.office.replace("서울특별시 ", "") + "인"
        half = (len(label) + 1) // 2
        c.drawCentredString(sx + ss / 2, sy + ss * 0.58, label[:half])
        c.drawCentredString(sx + ss / 2, sy + ss * 0.24, label[half:])
        c.restoreState()


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's module matrix (level L, as reportlab's QR widget makes it)."""
    return qr.modules(text, level="L")


def draw_qr(c, modules: list[list[bool]], x: float, y: float, size: float, border: int = 4) -> None:
    """Draw a QR matrix as one filled path (the widget draws each run as its own
    shape and encodes the code again for every page: most of a PDF's build time)."""
    box = size / (len(modules) + border * 2.0)
    path = c.beginPath()
    for r, start, end in qr.dark_runs(modules):
        path.rect(x + (start + border) * box, y + size - (r + border + 1) * box, (end - start) * box, box)
    c.saveState()
    c.setFillColor(colors.black)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


class _Canvas(rl_canvas.Canvas):
    """Defers page furniture until the page count is known ("x / y")."""

    furniture = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.furniture(self, self._pageNumber, total)
            super().showPage()
        super().save()


def build_pdf(record: dict, *, title: str, cert_type: str, verification_no: str, verify_url: str,
              issued_at: datetime, office: str, full_rrn: bool = False, preview: bool = False,
              font_dir: str = DEFAULT_FONT_DIR) -> tuple[bytes, int]:
    """Return (pdf bytes, page count); ``font_dir`` is ``Config.FONT_DIR``."""
    _fonts(font_dir)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
    small = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11)
    head = ParagraphStyle("head", fontName=FONT_BOLD, fontSize=11, leading=15, spaceBefore=6, spaceAfter=4)
    titles = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=20, leading=26, alignment=1, spaceAfter=10)
    holder = record["holder"]
    name = pii.mask_name(holder["name"]) if preview else holder["name"]
    rrn = "******-*******" if preview else (pii.format_rrn(holder["rrn"]) if full_rrn else pii.mask_rrn(holder["rrn"]))
    address = holder["address"]
    if preview:
        address = _mask_address(address)

    story = [Paragraph(title, titles)]
    info = Table(
        [[Paragraph("성명", body), Paragraph(name, body), Paragraph("주민등록번호", body), Paragraph(rrn, body)],
         [Paragraph("주소", body), Paragraph(address, body), "", ""]],
        colWidths=[24 * mm, 62 * mm, 28 * mm, 56 * mm])
    info.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("SPAN", (1, 1), (3, 1)),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEEEEE")),
        ("BACKGROUND", (2, 0), (2, 0), colors.HexColor("#EEEEEE")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    story += [info, Spacer(1, 6 * mm)]
    for section in record.get("sections", []):
        story.append(Paragraph(section["title"], head))
        rows = _mask_cells(section["rows"], full_rrn, preview)
        if not rows:
            story.append(Paragraph("해당 사항 없음", body))
            continue
        header = [Paragraph(n, small) for n, _ in rows[0]]
        data = [header] + [[Paragraph(v or "", small) for _, v in r] for r in rows]
        t = Table(data, repeatRows=1, colWidths=[170 * mm / len(header)] * len(header))
        t.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story += [t, Spacer(1, 4 * mm)]
    story += [Spacer(1, 8 * mm), Paragraph(STATEMENTS.get(cert_type, ""), body), Spacer(1, 4 * mm),
              Paragraph(korean_date(issued_at), ParagraphStyle("d", parent=body, alignment=1)),
              Spacer(1, 6 * mm),
              _OfficeWithSeal(office)]

    number = "미리보기 (발급 후 번호가 붙습니다)" if preview else verification.fmt(verification_no)
    if preview:
        verify_url = verify_url.rsplit("/", 1)[0] + "/"
    stamp = korean_datetime(issued_at)
    modules = qr_modules(verify_url)  # once per document, drawn on every page

    def furniture(c, page, total):
        w, h = A4
        c.setFont(FONT, 8)
        c.drawString(15 * mm, h - 12 * mm, "문서확인번호 %s" % number)
        c.drawRightString(w - 15 * mm, h - 12 * mm, "발급일시 %s    %d / %d 쪽" % (stamp, page, total))
        if preview:
            c.saveState()
            c.setFont(FONT_BOLD, 60)
            c.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.18))
            c.translate(w / 2, h / 2)
            c.rotate(35)
            c.drawCentredString(0, 0, "미리보기")
            c.restoreState()
        draw_qr(c, modules, 15 * mm, 10 * mm, 22 * mm)
        c.setFont(FONT, 8)
        c.drawString(40 * mm, 26 * mm, "위·변조 확인: QR 코드를 찍거나 아래 주소에서 문서확인번호를 입력하세요.")
        c.drawString(40 * mm, 21 * mm, verify_url)
        c.drawString(40 * mm, 16 * mm, "문서확인번호 %s  (발급일부터 90일 동안 확인할 수 있습니다)" % number)
        c.drawRightString(w - 15 * mm, 11 * mm, "%d / %d" % (page, total))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=20 * mm, bottomMargin=75 * mm, title=title,
                            author=office, subject="문서확인번호 " + number, invariant=1)
    canvas_cls = type("CertCanvas", (_Canvas,), {"furniture": staticmethod(furniture)})
    doc.build(story, canvasmaker=canvas_cls)
    data = buf.getvalue()
    return data, data.count(b"/Type /Page\n") or _count_pages(data)


def _count_pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(data))


def render_png(pdf: bytes, page: int = 0, scale: float = 1.5) -> bytes:
    """A page as PNG (previews on the TV, and tests)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    img = doc[page].render(scale=scale).to_pil()
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


# A resident number printed in full: 6 digits, a dash, 7 digits.
FULL_RRN = re.compile(r"\d{6}-\d{7}")
MASK_FILL = (0, 0, 0)


def _full_rrn_boxes(page) -> list[tuple[float, float, float, float]]:
    """PDF boxes (left, bottom, right, top) of the digits a masked copy hides
    (``901201-1******``: the last 6) of every resident number printed in full."""
    tp = page.get_textpage()
    chars = [tp.get_text_range(i, 1) for i in range(tp.count_chars())]
    text = "".join(ch if len(ch) == 1 else "\0" for ch in chars)
    boxes = []
    for m in FULL_RRN.finditer(text):
        boxes.extend(tp.get_charbox(i, loose=True) for i in range(m.start() + 8, m.end()))
    return boxes


def render_pages_masked(pdf: bytes, scale: float = 1.5) -> list[bytes]:
    """Every page of an issued PDF as PNG, as issued - except that a resident
    number printed in full (a certificate issued with ``full_rrn``) has its
    last 6 digits covered, so that it shows as a masked copy prints it
    (``901201-1******``). The public verification page shows these."""
    import pypdfium2 as pdfium
    from PIL import ImageDraw

    doc = pdfium.PdfDocument(pdf)
    pages = []
    for page in doc:
        img = page.render(scale=scale).to_pil().convert("RGB")
        height = page.get_height()
        draw = ImageDraw.Draw(img)
        for left, bottom, right, top in _full_rrn_boxes(page):
            draw.rectangle([int(left * scale) - 1, int((height - top) * scale) - 1,
                            int(right * scale) + 1, int((height - bottom) * scale) + 1], fill=MASK_FILL)
        out = io.BytesIO()
        img.save(out, "PNG")
        pages.append(out.getvalue())
    return pages
