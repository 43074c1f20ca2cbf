"""Rendering: the TIFF read back by Pillow, tiffinfo and HylaFAX faxinfo; the QR code survives."""

from __future__ import annotations

import datetime
import io
import subprocess

import pypdfium2 as pdfium
import pytest
from fax_helpers import QR_TEXT, make_certificate_pdf, need_tool
from PIL import Image
from pyzbar.pyzbar import decode

from fax_bridge import tiff
from fax_bridge.__main__ import main as cli
from fax_bridge.cover import CoverPage, cover_pdf
from fax_bridge.errors import RenderError
from fax_bridge.render import (
    FAX_WIDTH,
    FINE,
    KST,
    NORMAL,
    FaxHeader,
    korea_time,
    preview_png,
    read_tiff_pages,
    render_fax,
)


def _cover(pages: int) -> bytes:
    return cover_pdf(CoverPage(
        sender_office="서울특별시 강남구청 민원여권과",
        recipient_fax="02-1234-5678",
        pages=pages,
        receipt_number="2025-000123",
        verification_url="https://gov.example/verify",
        verification_number="K7QX-2M4P-9TZD",
    ))


@pytest.fixture(scope="module")
def fine_fax(certificate_pdf):
    return render_fax(certificate_pdf, header=FaxHeader("강남구청", "02-3423-5000"),
                      cover_pdf=_cover(3), workers=1)


@pytest.fixture(scope="module")
def normal_fax(certificate_pdf):
    return render_fax(certificate_pdf, resolution=NORMAL, header=FaxHeader("강남구청"), workers=1)


def _tiff_file(tmp_path, doc, name="fax.tif"):
    path = tmp_path / name
    path.write_bytes(doc.tiff)
    return str(path)


def test_pillow_reads_class_f_pages(fine_fax):
    assert fine_fax.pages == 3
    with Image.open(io.BytesIO(fine_fax.tiff)) as img:
        assert img.n_frames == 3
        for index in range(3):
            img.seek(index)
            assert img.mode == "1"
            assert img.width == FAX_WIDTH
            assert img.info["dpi"] == (204, 196)
            assert img.info["compression"] == "group3"
            assert 2200 < img.height < 2400  # A4 at 196 lines per inch


def test_tags_are_class_f(fine_fax, normal_fax):
    for doc, fine in ((fine_fax, True), (normal_fax, False)):
        ifds = tiff.read_ifds(doc.tiff)
        assert len(ifds) == doc.pages
        for number, ifd in enumerate(ifds):
            assert ifd[tiff.PHOTOMETRIC] == (0,)
            assert ifd[tiff.COMPRESSION] == (3,)
            assert ifd[tiff.BITSPERSAMPLE] == (1,)
            assert ifd[tiff.NEWSUBFILETYPE] == (2,)
            assert ifd[tiff.PAGENUMBER] == (number, doc.pages)
            assert ifd[tiff.RESOLUTIONUNIT] == (2,)
            assert ifd[tiff.YRESOLUTION] == ((196, 1) if fine else (98, 1))
            assert ifd[tiff.FAXRECVPARAMS] == (tiff.fax_recv_params(fine),)


def test_tiffinfo_reports_width_resolution_and_compression(tmp_path, fine_fax, normal_fax):
    need_tool("tiffinfo")
    out = subprocess.run(["tiffinfo", _tiff_file(tmp_path, fine_fax)], capture_output=True,
                         text=True, check=True).stdout
    assert out.count("Image Width: 1728") == 3
    assert out.count("Resolution: 204, 196 pixels/inch") == 3
    assert out.count("Compression Scheme: CCITT Group 3") == 3
    assert out.count("Photometric Interpretation: min-is-white") == 3
    out = subprocess.run(["tiffinfo", _tiff_file(tmp_path, normal_fax, "n.tif")],
                         capture_output=True, text=True, check=True).stdout
    assert out.count("Resolution: 204, 98 pixels/inch") == 2


def test_faxinfo_reports_fine_for_fine_and_normal_for_normal(tmp_path, fine_fax, normal_fax):
    need_tool("faxinfo")
    out = subprocess.run(["faxinfo", _tiff_file(tmp_path, fine_fax)], capture_output=True,
                         text=True, check=True).stdout
    assert "Quality: Fine" in out
    assert "Pages: 3" in out
    assert "DataFormat: 1-D MH" in out
    out = subprocess.run(["faxinfo", _tiff_file(tmp_path, normal_fax, "n.tif")],
                         capture_output=True, text=True, check=True).stdout
    assert "Quality: Normal" in out


@pytest.mark.parametrize("which", ["fine", "normal"])
def test_qr_code_decodes_from_the_fax_raster(which, fine_fax, normal_fax):
    doc = fine_fax if which == "fine" else normal_fax
    page = list(read_tiff_pages(doc.tiff))[-1]  # a certificate page, not the cover
    if which == "normal":  # back to square pixels, as the paper prints
        page = page.convert("L").resize((page.width, page.height * 2))
    found = [symbol.data.decode() for symbol in decode(page.convert("L"))]
    assert found == [QR_TEXT]


def test_zbarimg_reads_the_preview(tmp_path, fine_fax):
    need_tool("zbarimg")
    png = tmp_path / "page.png"
    png.write_bytes(preview_png(fine_fax.tiff)[1])
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    assert out.stdout.strip() == QR_TEXT


def test_ink_is_black_and_page_mostly_white(fine_fax):
    page = list(read_tiff_pages(fine_fax.tiff))[1].convert("L")
    histogram = page.histogram()
    white, black = histogram[255], histogram[0]
    assert white > 10 * black > 0  # a text page: black ink on white paper
    header_band = page.crop((0, 0, FAX_WIDTH, 40))
    assert header_band.histogram()[0] > 0  # the header line is printed


def test_preview_png_per_page_square_pixels(normal_fax):
    previews = preview_png(normal_fax.tiff, width=864)
    assert len(previews) == 2
    with Image.open(io.BytesIO(previews[0])) as img:
        assert img.format == "PNG"
        assert img.width == 864
        assert 1100 < img.height < 1250  # A4 proportions again


def test_landscape_page_is_turned_upright(landscape_pdf):
    doc = render_fax(landscape_pdf, workers=1)
    page = next(read_tiff_pages(doc.tiff))
    assert page.width == FAX_WIDTH and page.height > page.width


def test_parallel_rendering_gives_the_same_pages(certificate_pdf):
    pdf = make_certificate_pdf(9)
    header = FaxHeader("강남구청", when=__import__("datetime").datetime(2025, 1, 2, 3, 4))
    serial = render_fax(pdf, header=header, workers=1)
    parallel = render_fax(pdf, header=header, workers=3)
    assert parallel.pages == serial.pages == 9
    strip = lambda doc: [ifd[tiff.STRIPBYTECOUNTS] for ifd in tiff.read_ifds(doc.tiff)]  # noqa: E731
    assert strip(parallel) == strip(serial)


def test_bad_pdf_raises_render_error():
    with pytest.raises(RenderError):
        render_fax(b"%PDF-1.4 not really")


def test_cli_render(tmp_path, certificate_pdf):
    src = tmp_path / "in.pdf"
    src.write_bytes(certificate_pdf)
    out = tmp_path / "out.tif"
    assert cli(["render", str(src), str(out), "--normal", "--preview", str(tmp_path / "p")]) == 0
    ifds = tiff.read_ifds(out.read_bytes())
    assert [ifd[tiff.YRESOLUTION] for ifd in ifds] == [(98, 1), (98, 1)]
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["page-1.png", "page-2.png"]
    assert cli(["render", str(tmp_path / "missing.pdf"), str(out)]) == 1
    assert FINE.ydpi == 196


def test_cover_and_page_header_are_in_korea_time():
    """Issue 17 item 8: 02:05 UTC is 11:05 on the cover sheet and every page
    header, as on the certificate; the default is Korea time too."""
    utc = datetime.datetime(2026, 12, 6, 2, 5, tzinfo=datetime.timezone.utc)
    assert FaxHeader("마포구청", when=utc).text(1, 2).startswith("2026-12-06 11:05")
    doc = pdfium.PdfDocument(cover_pdf(CoverPage(
        sender_office="마포구청", recipient_fax="02-1234-5678", pages=2, receipt_number="20261206-000001",
        verification_url="https://gov.example/verify", when=utc)))
    text = doc[0].get_textpage().get_text_range()
    assert "11:05" in text and "02:05" not in text
    assert korea_time().utcoffset() == KST.utcoffset(None) == datetime.timedelta(hours=9)
    assert korea_time(datetime.datetime(2026, 1, 1, 8, 0)).hour == 8  # naive: already Korean
