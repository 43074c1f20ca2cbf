"""Certificate PDF generation time (target: under 50 ms median), with a
baseline from the same run: reportlab drawing one plain page of the same
font and size, so the ratio shows what our layout, tables, QR and seal cost."""

from __future__ import annotations

import io
import statistics
import time
from datetime import datetime, timezone

from services.certificates import pdf, verification

RECORD = {
    "holder": {"name": "김민준", "rrn": "790115-1592037", "address": "서울특별시 마포구 월드컵북로 212, 101동 1203호"},
    "issuing_office": "서울특별시 마포구청장",
    "sections": [
        {"title": "세대 구성", "rows": [
            [("구분", rel), ("성명", name), ("주민등록번호", rrn), ("전입일", "2009.03.14"), ("변동사유", "전입")]
            for rel, name, rrn in [("본인(세대주)", "김영수", "480312-1738204"), ("배우자", "이순자", "510823-2046519"),
                                   ("자", "김민준", "790115-1592037")]]},
        {"title": "현 주소", "rows": [[("주소", "서울특별시 마포구 월드컵북로 212"), ("전입일", "2009.03.14")]]},
    ],
}


def one() -> float:
    key = verification.key_from_secret("bench")
    n = verification.new_number(key)
    t = time.perf_counter()
    pdf.build_pdf(RECORD, title="주민등록표 (등본)", cert_type="resident-copy", verification_no=n,
                  verify_url="http://127.0.0.1:8000/verify/" + n, issued_at=datetime.now(timezone.utc),
                  office="서울특별시 마포구청장")
    return (time.perf_counter() - t) * 1000


def baseline() -> float:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf._fonts()
    t = time.perf_counter()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(pdf.FONT, 12)
    c.drawString(100, 700, "주민등록표 (등본) 김민준 서울특별시 마포구청장")
    c.showPage()
    c.save()
    return (time.perf_counter() - t) * 1000


def main() -> None:
    one()
    baseline()  # warm fonts and imports
    runs = [one() for _ in range(40)]
    base = [baseline() for _ in range(40)]
    med, p95 = statistics.median(runs), sorted(runs)[int(len(runs) * 0.95) - 1]
    bmed = statistics.median(base)
    print("certificate PDF (등본, 1 page, QR, seal, embedded NanumGothic subset): median %.1f ms, p95 %.1f ms "
          "(target < 50 ms median: %s)" % (med, p95, "met" if med < 50 else "NOT met"))
    print("baseline: reportlab one plain page, same font: median %.1f ms; ratio %.1fx" % (bmed, med / bmed))


if __name__ == "__main__":
    main()
