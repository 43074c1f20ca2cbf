"""Fax figures: rendering pages/second against Ghostscript, line utilisation under a backlog.

``make bench`` runs ``python -m bench.bench_fax``. Prints figures only; a
missing tool (gs, fonts) is reported, never raised.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGES = 24
RUNS = 3
FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


def certificate_pdf(pages: int) -> bytes:
    """A certificate-like PDF: Korean title and table, body text, a seal image, a QR code."""
    from PIL import Image, ImageDraw
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("BenchNanum", FONT))
    seal = Image.new("RGB", (240, 240), "white")
    draw = ImageDraw.Draw(seal)
    draw.ellipse((10, 10, 230, 230), outline=(200, 30, 30), width=14)
    draw.rectangle((70, 70, 170, 170), outline=(200, 30, 30), width=10)
    seal_png = io.BytesIO()
    seal.save(seal_png, format="PNG")
    seal_reader = ImageReader(io.BytesIO(seal_png.getvalue()))

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    for number in range(pages):
        pdf.setFont("BenchNanum", 22)
        pdf.drawCentredString(width / 2, height - 30 * mm, "주민등록표 (등본)")
        pdf.setFont("BenchNanum", 9)
        pdf.drawString(20 * mm, height - 40 * mm, "문서확인번호 1234-5678-9012-3456   %d / %d" % (number + 1, pages))
        y = height - 50 * mm
        for row in range(18):
            pdf.rect(20 * mm, y - 2.5 * mm, width - 40 * mm, 8 * mm)
            pdf.line(45 * mm, y - 2.5 * mm, 45 * mm, y + 5.5 * mm)
            pdf.setFont("BenchNanum", 10)
            pdf.drawString(22 * mm, y, "%d" % (row + 1))
            pdf.drawString(48 * mm, y, "세대주 홍길동  전입 2019-03-%02d  서울특별시 강남구 테헤란로 %d길 %d"
                           % (row + 1, row + 3, row * 7 + 1))
            y -= 8 * mm
        pdf.setFont("BenchNanum", 10)
        text = pdf.beginText(20 * mm, y - 6 * mm)
        for _ in range(6):
            text.textLine("위 등본은 주민등록표의 원본 내용과 틀림없음을 증명합니다. "
                          "This copy matches the register.")
        pdf.drawText(text)
        pdf.drawImage(seal_reader, width - 60 * mm, 28 * mm, 30 * mm, 30 * mm)
        widget = QrCodeWidget("https://gov.example/verify/1234-5678-9012-3456")
        x0, y0, x1, y1 = widget.getBounds()
        drawing = Drawing(30 * mm, 30 * mm,
                          transform=[30 * mm / (x1 - x0), 0, 0, 30 * mm / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, pdf, 20 * mm, 25 * mm)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _best(fn) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def bench_render() -> None:
    """Pages per second: our renderer (warm pool, and single process) and gs -sDEVICE=tiffg3."""
    from fax_bridge.render import FaxHeader, render_fax, shutdown_pool

    if not os.path.exists(FONT):
        print("render: skipped, font %s missing (apt-get install fonts-nanum)" % FONT)
        return
    pdf = certificate_pdf(PAGES)
    header = FaxHeader("강남구청 민원여권과", "02-3423-5000")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cert.pdf")
        with open(path, "wb") as out:
            out.write(pdf)
        try:
            started = time.perf_counter()
            render_fax(pdf, header=header)  # first call also starts the worker pool
            cold = time.perf_counter() - started
            ours, ours_med = _best(lambda: render_fax(pdf, header=header))
            single, _ = _best(lambda: render_fax(pdf, header=header, workers=1))
        finally:
            shutdown_pool()
        print("document: %d-page certificate PDF (%d KB): Korean text, table, seal image, QR"
              % (PAGES, len(pdf) // 1024))
        print("fax_bridge render (fine, header, %d CPUs): %.1f pages/s best, %.1f median "
              "(first call with pool start-up: %.1f pages/s)"
              % (os.cpu_count() or 1, PAGES / ours, PAGES / ours_med, PAGES / cold))
        print("fax_bridge render, one process:          %.1f pages/s" % (PAGES / single))
        gs = shutil.which("gs")
        if gs is None:
            print("ghostscript: skipped, gs not installed (apt-get install ghostscript)")
            return
        cmd = [gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg3", "-r204x196",
               "-sOutputFile=%s" % os.path.join(tmp, "gs.tif"), path]
        try:
            theirs, theirs_med = _best(lambda: subprocess.run(cmd, check=True, capture_output=True))
        except subprocess.CalledProcessError as exc:
            print("ghostscript: failed (%s)" % exc.returncode)
            return
        print("gs -sDEVICE=tiffg3 -r204x196:            %.1f pages/s best, %.1f median"
              % (PAGES / theirs, PAGES / theirs_med))
        print("ratio fax_bridge / gs (best): %.2f  (>= 1.00 is the target)" % (theirs / ours))


def _busy_while_waiting(calls: list[dict], lines: int) -> tuple[float, float]:
    """Line utilisation while jobs waited (until the last call started), and overall."""
    first = min(c["start"] for c in calls)
    backlog_end = max(c["start"] for c in calls)
    last = max(c["end"] for c in calls)
    busy_backlog = sum(max(0.0, min(c["end"], backlog_end) - max(c["start"], first)) for c in calls)
    busy_all = sum(c["end"] - c["start"] for c in calls)
    window = backlog_end - first
    return (busy_backlog / (lines * window) if window > 0 else 0.0,
            busy_all / (lines * (last - first)))


def bench_lines() -> None:
    """Line utilisation with 60 jobs from 12 households queued at once on 4 lines."""
    from fax_bridge.lifecycle import FaxDispatcher, RetryPolicy
    from fax_bridge.render import FINE, FaxDocument, render_fax
    from fax_bridge.store import JobState, SqliteJobStore
    from fax_bridge.testing import start_fax_server
    from fax_bridge.transports.http_api import HttpFaxApiTransport

    lines, jobs, owners = 4, 60, 12
    tiff = render_fax(certificate_pdf(1), workers=1).tiff
    box: list[FaxDispatcher] = []

    class Callback(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box[0].handle_callback(body, self.headers)
            self.send_response(204)
            self.end_headers()

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    script = {"0212340001": ["busy", "answered"], "0312340002": ["fail_at:2", "answered"]}
    try:
        with start_fax_server(script, lines=lines, dial_seconds=0.05, page_seconds=0.04) as server:
            transport = HttpFaxApiTransport(
                server.url, server.api_key, callback_secret=server.secret,
                callback_url="http://127.0.0.1:%d/cb" % receiver.server_address[1])
            fax = FaxDispatcher(SqliteJobStore(), transport, lines=lines, poll_interval=0.2,
                                retry=RetryPolicy(busy_delay=0.05, no_answer_delay=0.05,
                                                  failed_delay=0.05))
            box.append(fax)
            numbers = ["0212340001", "0312340002"] + ["02%08d" % n for n in range(1, 20)]
            for n in range(jobs):
                pages = 1 + (n * 7) % 5
                fax.enqueue("job-%d" % n, "household-%d" % (n % owners), numbers[n % len(numbers)],
                            FaxDocument(tiff, pages, FINE))
            started = time.perf_counter()
            fax.run(timeout=300)
            elapsed = time.perf_counter() - started
            stats = server.stats()
            delivered = sum(fax.job("job-%d" % n).state is JobState.DELIVERED for n in range(jobs))
        while_waiting, overall = _busy_while_waiting(stats["calls"], lines)
        print("lines: %d lines, %d jobs from %d households (1-5 pages, some busy/failed first)"
              % (lines, jobs, owners))
        print("lines: %d calls, %d delivered in %.1fs; busy %.1f%% while jobs waited "
              "(target >= 90%%), %.1f%% overall" % (len(stats["calls"]), delivered, elapsed,
                                                    100 * while_waiting, 100 * overall))
    finally:
        receiver.shutdown()
        receiver.server_close()
        thread.join()


def main() -> None:
    """Print every figure; report (never raise) what could not be measured."""
    for name, part in (("render", bench_render), ("lines", bench_lines)):
        try:
            part()
        except Exception as exc:  # a benchmark never fails the run
            print("%s: not measured (%s: %s)" % (name, exc.__class__.__name__, exc))


if __name__ == "__main__":
    main()
