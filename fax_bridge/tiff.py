"""A small TIFF Class F writer (and reader of the tags it writes).

Pillow (through libtiff) does the CCITT Group 3 coding of each page; this
module lays the coded strips out as one multi-page file with exactly the tags
fax software reads (TIFF 6.0 section 11, RFC 2306 "TIFF-F"):

- ``PhotometricInterpretation = 0`` (min-is-white): a 0 bit is white, so the
  G3 "white" code words really are white on the receiving machine;
- ``XResolution``/``YResolution`` in inches (204 x 196 or 204 x 98);
- ``NewSubfileType = 2`` (page) and ``PageNumber = (n, N)``;
- ``FaxRecvParams`` (tag 34908), the Class 2 session parameters HylaFAX
  stores with every fax; ``faxinfo`` takes the fine/normal quality from it.

Pillow writes 1-bit images as min-is-black and would invert pixel by pixel in
Python to write min-is-white, which is far too slow for 4 million pixels a
page. So the caller hands in pages whose 1 bits are black (already inverted),
they are coded as they are, and the IFD written here says min-is-white.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from .errors import RenderError

__all__ = ["EncodedPage", "encode_g3", "assemble", "read_ifds", "fax_recv_params"]

# Tag numbers.
NEWSUBFILETYPE = 254
IMAGEWIDTH = 256
IMAGELENGTH = 257
BITSPERSAMPLE = 258
COMPRESSION = 259
PHOTOMETRIC = 262
FILLORDER = 266
STRIPOFFSETS = 273
ORIENTATION = 274
SAMPLESPERPIXEL = 277
ROWSPERSTRIP = 278
STRIPBYTECOUNTS = 279
XRESOLUTION = 282
YRESOLUTION = 283
T4OPTIONS = 292
RESOLUTIONUNIT = 296
PAGENUMBER = 297
SOFTWARE = 305
DATETIME = 306
CLEANFAXDATA = 327
FAXRECVPARAMS = 34908

SHORT, LONG, RATIONAL, ASCII = 3, 4, 5, 2
_TYPE_SIZE = {1: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8}

# Class 2 parameter values (HylaFAX class2.h).
_VR_NORMAL, _VR_FINE = 0, 1
_BR_14400 = 5


def fax_recv_params(fine: bool) -> int:
    """HylaFAX's encoded session parameters: resolution, 14400 bit/s, A4 width, 1-D MH."""
    vr = _VR_FINE if fine else _VR_NORMAL
    return vr | (_BR_14400 << 3) | (1 << 21)


@dataclass(frozen=True)
class EncodedPage:
    """One page after G3 coding: strips of coded data and how they were cut."""

    width: int
    height: int
    rows_per_strip: int
    strips: tuple[bytes, ...]
    fill_order: int
    t4_options: int


def encode_g3(page: Image.Image) -> EncodedPage:
    """Code a 1-bit page whose 1 bits are black with CCITT Group 3 (1-D MH).

    The returned strips decode to white where the page has 0 bits.
    """
    if page.mode != "1":
        raise RenderError("G3 coding needs a 1-bit page, got mode %s" % page.mode)
    buf = io.BytesIO()
    page.save(buf, format="TIFF", compression="group3", tiffinfo={FILLORDER: 1})
    data = buf.getvalue()
    ifd = read_ifds(data)[0]
    offsets = ifd[STRIPOFFSETS]
    counts = ifd[STRIPBYTECOUNTS]
    strips = tuple(data[o:o + c] for o, c in zip(offsets, counts, strict=True))
    return EncodedPage(
        width=ifd[IMAGEWIDTH][0],
        height=ifd[IMAGELENGTH][0],
        rows_per_strip=ifd.get(ROWSPERSTRIP, (page.height,))[0],
        strips=strips,
        fill_order=ifd.get(FILLORDER, (1,))[0],
        t4_options=ifd.get(T4OPTIONS, (0,))[0],
    )


def _entry(tag: int, typ: int, values: Sequence[int] | bytes) -> tuple[int, int, int, bytes]:
    if typ == ASCII:
        raw = bytes(values) + b"\0"
        count = len(raw)
    elif typ == SHORT:
        raw = struct.pack("<%dH" % len(values), *values)
        count = len(values)
    elif typ == LONG:
        raw = struct.pack("<%dI" % len(values), *values)
        count = len(values)
    elif typ == RATIONAL:
        raw = struct.pack("<%dI" % len(values), *values)
        count = len(values) // 2
    else:  # pragma: no cover - programming error
        raise ValueError(typ)
    return tag, typ, count, raw


def assemble(pages: Sequence[EncodedPage], xdpi: int, ydpi: int, *,
             software: str = "fax_bridge", datetime: str = "") -> bytes:
    """Lay out coded pages as one little-endian multi-page TIFF Class F file."""
    if not pages:
        raise RenderError("no pages to write")
    out = bytearray(b"II*\0" + struct.pack("<I", 0))
    next_ptr_at = 4  # where the offset of the next IFD goes
    fine = ydpi > 150
    total = len(pages)
    for number, page in enumerate(pages):
        # Strip data first, word aligned.
        offsets = []
        for strip in page.strips:
            if len(out) % 2:
                out.append(0)
            offsets.append(len(out))
            out += strip
        entries = [
            _entry(NEWSUBFILETYPE, LONG, [2]),
            _entry(IMAGEWIDTH, LONG, [page.width]),
            _entry(IMAGELENGTH, LONG, [page.height]),
            _entry(BITSPERSAMPLE, SHORT, [1]),
            _entry(COMPRESSION, SHORT, [3]),
            _entry(PHOTOMETRIC, SHORT, [0]),
            _entry(FILLORDER, SHORT, [page.fill_order]),
            _entry(STRIPOFFSETS, LONG, offsets),
            _entry(ORIENTATION, SHORT, [1]),
            _entry(SAMPLESPERPIXEL, SHORT, [1]),
            _entry(ROWSPERSTRIP, LONG, [page.rows_per_strip]),
            _entry(STRIPBYTECOUNTS, LONG, [len(s) for s in page.strips]),
            _entry(XRESOLUTION, RATIONAL, [xdpi, 1]),
            _entry(YRESOLUTION, RATIONAL, [ydpi, 1]),
            _entry(T4OPTIONS, LONG, [page.t4_options]),
            _entry(RESOLUTIONUNIT, SHORT, [2]),
            _entry(PAGENUMBER, SHORT, [number, total]),
            _entry(SOFTWARE, ASCII, software.encode("ascii", "replace")),
            _entry(CLEANFAXDATA, SHORT, [0]),
            _entry(FAXRECVPARAMS, LONG, [fax_recv_params(fine)]),
        ]
        if datetime:
            entries.append(_entry(DATETIME, ASCII, datetime.encode("ascii")))
        entries.sort(key=lambda e: e[0])
        if len(out) % 2:
            out.append(0)
        ifd_at = len(out)
        struct.pack_into("<I", out, next_ptr_at, ifd_at)
        ifd_size = 2 + 12 * len(entries) + 4
        extra_at = ifd_at + ifd_size
        table = bytearray(struct.pack("<H", len(entries)))
        extra = bytearray()
        for tag, typ, count, raw in entries:
            if len(raw) <= 4:
                table += struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\0")
            else:
                if len(extra) % 2:
                    extra.append(0)
                table += struct.pack("<HHII", tag, typ, count, extra_at + len(extra))
                extra += raw
        next_ptr_at = ifd_at + len(table)
        table += b"\0\0\0\0"
        out += table + extra
    return bytes(out)


def read_ifds(data: bytes) -> list[dict[int, tuple]]:
    """Read every IFD of a TIFF file as ``{tag: values}`` (integers; rationals as pairs)."""
    if data[:2] == b"II":
        e = "<"
    elif data[:2] == b"MM":
        e = ">"
    else:
        raise RenderError("not a TIFF file")
    (magic, offset) = struct.unpack(e + "HI", data[2:8])
    if magic != 42:
        raise RenderError("not a classic TIFF file")
    ifds: list[dict[int, tuple]] = []
    seen = set()
    while offset and offset not in seen and len(ifds) < 10_000:
        seen.add(offset)
        (count,) = struct.unpack_from(e + "H", data, offset)
        tags: dict[int, tuple] = {}
        for i in range(count):
            tag, typ, n, value = struct.unpack_from(e + "HHI4s", data, offset + 2 + 12 * i)
            size = _TYPE_SIZE.get(typ, 1) * n
            raw = value[:size] if size <= 4 else data[struct.unpack(e + "I", value)[0]:][:size]
            if typ == SHORT:
                tags[tag] = struct.unpack(e + "%dH" % n, raw)
            elif typ == LONG:
                tags[tag] = struct.unpack(e + "%dI" % n, raw)
            elif typ == RATIONAL:
                tags[tag] = struct.unpack(e + "%dI" % (2 * n), raw)
            else:
                tags[tag] = (raw.rstrip(b"\0"),)
        ifds.append(tags)
        (offset,) = struct.unpack_from(e + "I", data, offset + 2 + 12 * count)
    return ifds
