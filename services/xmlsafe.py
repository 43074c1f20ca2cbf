"""One hardened XML parser for everything that reads XML from outside.

Rules (see shared/REFERENCE.md, "XML safety"): entities are never resolved,
the network is never touched, a DOCTYPE of any kind is refused, huge trees are
refused, and the byte size is capped before parsing and, for compressed
bodies, after decompression.
"""

from __future__ import annotations

import gzip
import io
import zlib

from lxml import etree

from services.core.errors import AppError

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class UnsafeXML(AppError, ValueError):
    """The document was refused; ``reason`` is a short sentence for people."""

    status_code = 422

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def decompress_capped(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Gunzip ``data`` if it is gzip, never producing more than ``max_bytes``."""
    if not data.startswith(_GZIP_MAGIC):
        return data
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise UnsafeXML("압축된 문서가 손상되었습니다 (corrupt gzip body)") from exc
    if len(out) > max_bytes or d.unconsumed_tail:
        raise UnsafeXML(
            "압축을 푼 문서가 너무 큽니다 (decompressed body over %d bytes)" % max_bytes
        )
    return out


def read_capped(stream: io.BufferedIOBase, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a stream to its end, refusing it as soon as it passes ``max_bytes``
    (a raw stream may return short reads: keep reading)."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(65536, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise UnsafeXML("문서가 너무 큽니다 (body over %d bytes)" % max_bytes)


def _one_line(text: str, limit: int = 160) -> str:
    """libxml2's messages can span lines and quote the document: one short line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


XINCLUDE_NS = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")


def parse(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted XML bytes (gzip allowed) and return the root element.

    Raises UnsafeXML with a one-line reason for anything refused.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse() takes bytes")
    if len(data) > max_bytes and not bytes(data[:2]) == _GZIP_MAGIC:
        raise UnsafeXML("문서가 너무 큽니다 (body over %d bytes)" % max_bytes)
    data = decompress_capped(bytes(data), max_bytes)
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise UnsafeXML("DTD가 포함된 문서는 받지 않습니다 (DOCTYPE/DTD refused)")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXML("XML 형식이 올바르지 않습니다 (malformed XML: %s)" % _one_line(exc.msg)) from exc
    except ValueError as exc:  # e.g. invalid encoding declarations
        raise UnsafeXML("XML을 읽을 수 없습니다 (%s)" % _one_line(exc)) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXML("DTD가 포함된 문서는 받지 않습니다 (DOCTYPE/DTD refused)")
    for el in root.iter():
        if isinstance(el, etree._Entity):
            raise UnsafeXML("엔티티 참조는 받지 않습니다 (entity references refused)")
        if isinstance(el.tag, str) and el.tag.startswith("{") and el.tag[1:].split("}")[0] in XINCLUDE_NS:
            raise UnsafeXML("XInclude는 받지 않습니다 (XInclude refused)")
    return root


def gzip_bytes(data: bytes) -> bytes:
    """Helper for tests and senders."""
    return gzip.compress(data)
