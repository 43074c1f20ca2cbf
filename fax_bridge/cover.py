"""The Korean cover page sent before the certificate.

It tells the receiver who sent the fax, to which number, how many pages
follow, the request's receipt number, and how to check the document at the
verification page. The page is drawn with reportlab using an embedded
TrueType font (NanumGothic by default), never a CID font, so it renders the
same everywhere.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .errors import RenderError
from .render import korea_time

__all__ = ["CoverPage", "cover_pdf"]

DEFAULT_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
DEFAULT_BOLD_FONT = "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"


@dataclass(frozen=True)
class CoverPage:
    """What the cover page says.

    ``recipient_fax`` is printed in full: it is the receiver's own number.
    ``pages`` counts the whole fax, cover included. ``verification_url`` is
    the page where the receiver types ``verification_number`` (or scans the
    QR code printed on the certificate).
    """

    sender_office: str
    recipient_fax: str
    pages: int
    receipt_number: str
    verification_url: str
    verification_number: str = ""
    sender_phone: str = ""
    recipient_name: str = ""
    title: str = "민원 증명서"
    when: _dt.datetime | None = None


def _register(name: str, path: str) -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, path))
        except Exception as exc:  # reportlab raises TTFError or OSError
            raise RenderError("cover font not usable: %s" % path) from exc
    return name


def cover_pdf(cover: CoverPage, *, font_path: str = DEFAULT_FONT,
              bold_font_path: str = DEFAULT_BOLD_FONT) -> bytes:
    """Draw the cover page and return it as a one-page A4 PDF."""
    regular = _register("FaxCoverRegular", font_path)
    try:
        bold = _register("FaxCoverBold", bold_font_path)
    except RenderError:
        bold = regular
    when = korea_time(cover.when)
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle("팩스 표지")
    width, height = A4
    left = 25 * mm
    y = height - 40 * mm

    pdf.setFont(bold, 30)
    pdf.drawString(left, y, "팩 스 표 지")
    pdf.setFont(regular, 13)
    pdf.drawRightString(width - left, y, when.strftime("%Y년 %m월 %d일 %H:%M"))
    y -= 8 * mm
    pdf.setLineWidth(2)
    pdf.line(left, y, width - left, y)
    y -= 16 * mm

    rows = [
        ("보내는 곳", cover.sender_office),
        ("연락처", cover.sender_phone),
        ("받는 분", cover.recipient_name),
        ("받는 팩스", cover.recipient_fax),
        ("문서", cover.title),
        ("매수", "표지 포함 %d쪽" % cover.pages),
        ("접수번호", cover.receipt_number),
        ("문서확인번호", cover.verification_number),
    ]
    for label, value in rows:
        if not value:
            continue
        pdf.setFont(bold, 16)
        pdf.drawString(left, y, label)
        pdf.setFont(regular, 16)
        pdf.drawString(left + 45 * mm, y, value)
        y -= 6 * mm
        pdf.setLineWidth(0.5)
        pdf.line(left, y, width - left, y)
        y -= 9 * mm

    y -= 8 * mm
    pdf.setFont(bold, 15)
    pdf.drawString(left, y, "문서 확인 방법")
    y -= 10 * mm
    pdf.setFont(regular, 13)
    lines = [
        "이 팩스로 받은 증명서가 진짜인지 아래 주소에서 확인할 수 있습니다.",
        cover.verification_url,
    ]
    if cover.verification_number:
        lines.append("주소에 접속한 뒤 문서확인번호 %s 를 입력하거나," % cover.verification_number)
        lines.append("증명서에 인쇄된 QR 코드를 휴대전화로 찍어 확인하십시오.")
    else:
        lines.append("증명서에 인쇄된 문서확인번호를 입력하거나 QR 코드를 찍어 확인하십시오.")
    for line in lines:
        pdf.drawString(left, y, line)
        y -= 8 * mm

    pdf.setFont(regular, 11)
    pdf.drawString(left, 25 * mm,
                   "잘못 받으신 경우 보내는 곳으로 알려 주시고 이 문서를 폐기해 주십시오.")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
