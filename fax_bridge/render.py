"""PDF to TIFF Class F: the pages a fax machine actually receives.

Pages are rasterised with pdfium straight into the fax grid (1728 pixels
across at 204 dpi, 196 or 98 lines per inch down), a header line is stamped on
top of each page as fax machines do, the grey raster is thresholded to 1 bit
and the pages are written as one multi-page TIFF compressed with CCITT Group 3
(1D, Modified Huffman) with the Class F tags fax servers look at
(resolution in inches, fill order, page number, sub-file type).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import datetime as _dt
import functools
import io
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFont

from . import tiff
from .errors import RenderError

__all__ = [
    "FAX_WIDTH",
    "FINE",
    "NORMAL",
    "FaxDocument",
    "FaxHeader",
    "Resolution",
    "preview_png",
    "pdf_page_count",
    "read_tiff_pages",
    "render_fax",
    "shutdown_pool",
]

log = logging.getLogger(__name__)

FAX_WIDTH = 1728
"""Pixels across a fax page (215 mm at 204 dpi, ITU-T T.4)."""

DEFAULT_FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
MAX_PAGES = 60
PAGES_PER_CHUNK = 4

@dataclass(frozen=True)
class Resolution:
    """A fax resolution: dots per inch across and lines per inch down."""

    name: str
    xdpi: int
    ydpi: int


FINE = Resolution("fine", 204, 196)
NORMAL = Resolution("normal", 204, 98)


#: Korea time: what every page header and cover sheet shows (a naive time is
#: taken as already Korean; an aware one is converted).
KST = _dt.timezone(_dt.timedelta(hours=9), "KST")


def korea_time(when: _dt.datetime | None = None) -> _dt.datetime:
    """``when`` (default: now) in Korea time."""
    if when is None:
        return _dt.datetime.now(KST)
    return when.astimezone(KST) if when.tzinfo is not None else when


@dataclass(frozen=True)
class FaxHeader:
    """The line fax machines print at the top of every page.

    ``sender`` is the sending office ("강남구청 민원여권과"); ``sender_fax`` its
    own fax number (public, printed as given); ``when`` defaults to now.
    """

    sender: str
    sender_fax: str = ""
    when: _dt.datetime | None = None

    def text(self, page: int, pages: int) -> str:
        """The header line for page ``page`` of ``pages``."""
        when = korea_time(self.when)
        parts = [when.strftime("%Y-%m-%d %H:%M"), "발신: %s" % self.sender]
        if self.sender_fax:
            parts.append(self.sender_fax)
        parts.append("%d/%d 쪽" % (page, pages))
        return "    ".join(parts)


@dataclass(frozen=True)
class FaxDocument:
    """A rendered fax: TIFF Class F bytes, its page count and resolution."""

    tiff: bytes
    pages: int
    resolution: Resolution


def _open_pdf(pdf: bytes | str | Path) -> pdfium.PdfDocument:
    try:
        data = Path(pdf).read_bytes() if isinstance(pdf, (str, Path)) else bytes(pdf)
        return pdfium.PdfDocument(data)
    except (OSError, pdfium.PdfiumError) as exc:
        raise RenderError("cannot open PDF: %s" % exc.__class__.__name__) from exc


_INK_LUT = [255 if v < 128 else 0 for v in range(256)]


def _page_to_fax(page: pdfium.PdfPage, res: Resolution) -> Image.Image:
    """Rasterise one PDF page to a 1-bit image exactly on the fax grid.

    The result has ink as 1 bits (the min-is-white sense the TIFF is written
    in); grey is thresholded at half, no dithering, which keeps text and QR
    modules crisp.

    pdfium draws straight into a 1728-pixel-wide bitmap with one matrix that
    scales across at ``xdpi`` and down at ``ydpi`` (no resampling pass),
    centres the page, and turns landscape pages upright. A4 (1687 pixels at
    204 dpi) is padded; wider pages (Letter: 1734) are scaled to fit.
    """
    width_pt, height_pt = page.get_size()
    landscape = width_pt > height_pt
    across, down = (height_pt, width_pt) if landscape else (width_pt, height_pt)
    sx = min(res.xdpi / 72.0, FAX_WIDTH / across)
    sy = sx * res.ydpi / res.xdpi
    lines = max(1, round(down * sy))
    pad = (FAX_WIDTH - across * sx) / 2.0
    if landscape:  # turn a quarter clockwise: x' = pad + sx * (h - y), y' = sy * x
        matrix = pdfium_c.FS_MATRIX(0.0, sy, -sx, 0.0, pad + sx * height_pt, 0.0)
    else:
        matrix = pdfium_c.FS_MATRIX(sx, 0.0, 0.0, sy, pad, 0.0)
    clip = pdfium_c.FS_RECTF(0.0, 0.0, float(FAX_WIDTH), float(lines))
    bitmap = pdfium_c.FPDFBitmap_CreateEx(FAX_WIDTH, lines, pdfium_c.FPDFBitmap_Gray, None, 0)
    if not bitmap:
        raise RenderError("out of memory for a %dx%d page" % (FAX_WIDTH, lines))
    try:
        pdfium_c.FPDFBitmap_FillRect(bitmap, 0, 0, FAX_WIDTH, lines, 0xFFFFFFFF)
        pdfium_c.FPDF_RenderPageBitmapWithMatrix(
            bitmap, page.raw, matrix, clip, pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_GRAYSCALE
        )
        stride = pdfium_c.FPDFBitmap_GetStride(bitmap)
        address = pdfium_c.FPDFBitmap_GetBuffer(bitmap)
        if not isinstance(address, int):
            address = ctypes.cast(address, ctypes.c_void_p).value
        data = (ctypes.c_ubyte * (stride * lines)).from_address(address)
        grey = Image.frombuffer("L", (FAX_WIDTH, lines), data, "raw", "L", stride, 1)
        return grey.point(_INK_LUT, "1")
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)


@functools.lru_cache(maxsize=8)
def _load_font(size: int, font_path: str | None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path or DEFAULT_FONT
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        log.warning("header font %s not found; Korean text will not show", path)
        return ImageFont.load_default()


def _stamp_header(img: Image.Image, text: str, res: Resolution, font_path: str | None) -> None:
    """Draw the header line in a blank band across the top of a 1-bit ink page.

    The text is drawn at square pixels and squeezed to the line density, as
    it would be printed by a fax machine at that resolution.
    """
    band_square = 44  # about 5.5 mm at 204 dpi
    band = Image.new("L", (FAX_WIDTH, band_square), 0)
    ImageDraw.Draw(band).text((40, 8), text, fill=255, font=_load_font(26, font_path))
    height = max(1, round(band_square * res.ydpi / res.xdpi))
    if height != band_square:
        band = band.resize((FAX_WIDTH, height), Image.Resampling.BOX)
    img.paste(band.point(lambda v: 255 if v >= 128 else 0, "1"), (0, 0))


def _encode_range(
    pdf: bytes,
    start: int,
    stop: int,
    resolution: Resolution,
    header: FaxHeader | None,
    first_page: int,
    total: int,
    font_path: str | None,
) -> list[tiff.EncodedPage]:
    """Rasterise and G3-code pages ``start..stop-1`` of a PDF (runs in a worker too).

    ``first_page`` is the fax page number of ``start`` (after a cover page).
    """
    doc = _open_pdf(pdf)
    out = []
    try:
        for index in range(start, stop):
            page = doc[index]
            try:
                img = _page_to_fax(page, resolution)
            finally:
                page.close()
            if header is not None:
                number = first_page + index - start
                _stamp_header(img, header.text(number, total), resolution, font_path)
            out.append(tiff.encode_g3(img))
    finally:
        doc.close()
    return out


_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _get_pool() -> concurrent.futures.ProcessPoolExecutor:
    """The shared rendering pool, started on first use.

    Workers come from a fork server (a clean process that has imported this
    module once), never by forking the caller: the host may have threads,
    open sockets and locks that must not be copied into a child.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["fax_bridge.render"])
            _pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=max(1, min(os.cpu_count() or 1, 8)) - 1 or 1, mp_context=ctx
            )
        return _pool


def shutdown_pool() -> None:
    """Stop the rendering worker processes (they start again when needed)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _plan_workers(pages: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    cpus = os.cpu_count() or 1
    if cpus < 2 or pages < 2 * PAGES_PER_CHUNK:
        return 1
    return min(cpus, 8, pages // PAGES_PER_CHUNK)


def render_fax(
    pdf: bytes | str | Path,
    *,
    resolution: Resolution = FINE,
    header: FaxHeader | None = None,
    cover_pdf: bytes | None = None,
    font_path: str | None = None,
    max_pages: int = MAX_PAGES,
    workers: int | None = None,
) -> FaxDocument:
    """Render a PDF (and an optional cover page PDF before it) to a fax document.

    The header, when given, numbers every page of the whole fax, cover
    included. Use :func:`fax_bridge.cover.cover_pdf` to make the cover.

    Long documents are cut into runs of pages rendered side by side: this
    process takes the first run and a small pool of worker processes the
    others. ``workers=1`` keeps everything in this process; ``None`` decides
    from the page and CPU counts.
    """
    data = Path(pdf).read_bytes() if isinstance(pdf, (str, Path)) else bytes(pdf)
    body_pages = pdf_page_count(data)
    if body_pages == 0:
        raise RenderError("PDF has no pages")
    if body_pages > max_pages:
        raise RenderError("PDF has %d pages, more than the limit of %d" % (body_pages, max_pages))
    cover_pages = pdf_page_count(cover_pdf) if cover_pdf else 0
    total = body_pages + cover_pages
    if header is not None and header.when is None:
        header = dataclasses.replace(header, when=korea_time())

    count = _plan_workers(body_pages, workers)
    bounds = [round(i * body_pages / count) for i in range(count + 1)]
    futures = []
    if count > 1:
        pool = _get_pool()
        for lo, hi in zip(bounds[1:-1], bounds[2:], strict=True):
            futures.append(pool.submit(_encode_range, data, lo, hi, resolution, header,
                                       cover_pages + 1 + lo, total, font_path))
    encoded: list[tiff.EncodedPage] = []
    if cover_pdf:
        encoded += _encode_range(cover_pdf, 0, cover_pages, resolution, header, 1, total, font_path)
    encoded += _encode_range(data, 0, bounds[1], resolution, header, cover_pages + 1, total,
                             font_path)
    for future in futures:
        encoded += future.result()
    stamp = korea_time().strftime("%Y:%m:%d %H:%M:%S")
    log.info("rendered fax: %d pages at %s resolution", total, resolution.name)
    return FaxDocument(tiff.assemble(encoded, resolution.xdpi, resolution.ydpi, datetime=stamp),
                       total, resolution)


def pdf_page_count(pdf: bytes | str | Path) -> int:
    """Number of pages in a PDF."""
    doc = _open_pdf(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def read_tiff_pages(tiff: bytes) -> Iterator[Image.Image]:
    """Yield each page of a fax TIFF as a Pillow image (mode ``1``)."""
    with Image.open(io.BytesIO(tiff)) as img:
        for index in range(getattr(img, "n_frames", 1)):
            img.seek(index)
            yield img.copy()


def preview_png(tiff: bytes, *, width: int | None = None) -> list[bytes]:
    """PNG bytes of each page as it will print, for the console and the TV.

    Normal-resolution pages are stretched to square pixels so the preview
    looks like the paper. ``width`` scales every page to that many pixels.
    """
    out: list[bytes] = []
    for page in read_tiff_pages(tiff):
        xres, yres = page.info.get("dpi", (204, 196))
        img = page.convert("L")
        height = round(img.height * float(xres) / float(yres)) if yres else img.height
        target_w = width or img.width
        target_h = round(height * target_w / img.width)
        if (target_w, target_h) != img.size:
            img = img.resize((target_w, target_h), Image.Resampling.BOX)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        out.append(buf.getvalue())
    return out
