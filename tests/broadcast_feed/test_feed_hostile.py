"""The hostile corpus: every document is refused with a clear one-line reason,
no local file is opened, no connection is made, and memory stays bounded.

Files in ``hostile/`` carry ``@@SECRET@@`` (a watched file) and ``@@PORT@@``
(a listener that records connections); bombs and huge bodies are made here.
"""

from __future__ import annotations

import gzip
import io
import zlib

import pytest
from feed_testlib import HOSTILE, peak_rss_growth, send

from broadcast_feed.errors import FeedRefused
from broadcast_feed.fetch import FetchPolicy
from broadcast_feed.ingest import MemorySink, ingest
from broadcast_feed.parsing import parse_document

DTD = "DOCTYPE/DTD refused"
MALFORMED = "malformed XML"
CORPUS = {
    "xxe_local_file.xml": DTD,
    "xxe_network.xml": DTD,
    "billion_laughs.xml": DTD,
    "external_dtd.xml": DTD,
    "parameter_entities.xml": DTD,
    "cap_with_xxe.xml": DTD,
    "xinclude.xml": "XInclude refused",
    "invalid_encoding_declared.xml": "encoding 'x-bogus-9' not accepted",
    "utf7_hidden_doctype.xml": "encoding 'utf-7' not accepted",
    "ebcdic_doctype.xml": "EBCDIC documents refused",
    "invalid_utf8_bytes.xml": MALFORMED,
    "utf8_declared_utf16.xml": MALFORMED,
    "control_characters.xml": MALFORMED,
}
MAX_GROWTH_MB = 64


def load(name: str, secret, port: int) -> bytes:
    text = (HOSTILE / name).read_bytes()
    return text.replace(b"@@SECRET@@", str(secret).encode()).replace(b"@@PORT@@", b"%d" % port)


def refuse(data: bytes, secret_file, listener, **kw) -> str:
    path, watch = secret_file
    with peak_rss_growth() as mem:
        with pytest.raises(FeedRefused) as info:
            parse_document(data, **kw)
    reason = info.value.reason
    assert reason and "\n" not in reason and len(reason) < 300
    assert "TOP-SECRET" not in reason
    assert watch.events() == 0, "the secret file was opened"
    assert listener.connections() == 0, "a connection was made"
    assert mem["growth_mb"] < MAX_GROWTH_MB
    return reason


def test_corpus_is_complete():
    assert sorted(p.name for p in HOSTILE.glob("*.xml")) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_corpus_refused(name, secret_file, listener):
    data = load(name, secret_file[0], listener.port)
    assert CORPUS[name] in refuse(data, secret_file, listener)


def _with_doctype(names):
    return [n for n in sorted(names) if b"<!DOCTYPE" in (HOSTILE / n).read_bytes()]


@pytest.mark.parametrize("name", _with_doctype(CORPUS))
def test_doctype_hidden_from_byte_sniffing_is_still_refused(name, secret_file, listener):
    """UTF-16 and a 5 KB comment hide the DOCTYPE from a look at the first bytes:
    the parser itself must still neither resolve nor fetch anything."""
    data = load(name, secret_file[0], listener.port).decode("utf-8")
    body = data.split("?>", 1)[1]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16")
    assert b"<!DOCTYPE" not in utf16[:4096].upper()
    assert DTD in refuse(utf16, secret_file, listener)
    late = ('<?xml version="1.0"?><!--' + "x" * 5000 + "-->" + body).encode("utf-8")
    assert DTD in refuse(late, secret_file, listener)


def test_quadratic_blowup(secret_file, listener):
    big = "A" * 100_000
    refs = "&a;" * 40_000
    doc = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "%s">]><rss version="2.0"><channel><title>%s</title></channel></rss>'
    assert DTD in refuse((doc % (big, refs)).encode(), secret_file, listener)
    hidden = ("<!--" + "x" * 5000 + "-->" + doc.split("?>", 1)[1] % (big, refs)).encode("utf-16")
    assert DTD in refuse(hidden, secret_file, listener)


def test_deeply_nested_elements(secret_file, listener):
    depth = 100_000
    data = b'<rss version="2.0"><channel>' + b"<x>" * depth + b"</x>" * depth + b"</channel></rss>"
    assert "Excessive depth" in refuse(data, secret_file, listener)


def test_many_siblings_are_fine_but_bounded(secret_file, listener):
    items = b"<item><guid>g</guid></item>" * 150_000  # 4 MB: under the cap, many nodes
    data = b'<rss version="2.0"><channel><title>t</title>' + items + b"</channel></rss>"
    with peak_rss_growth() as mem:
        feed = parse_document(data)
    assert len(feed.items) == 1000  # MAX_ITEMS bounds the work after parsing
    assert mem["growth_mb"] < 200  # about 65 MB for 300k nodes here


def _zeros_gzip(size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    block = bytes(1024 * 1024)
    for _ in range(size // len(block)):
        out.write(comp.compress(block))
    out.write(comp.flush())
    return out.getvalue()


def test_gzip_bomb_bytes(secret_file, listener):
    bomb = _zeros_gzip(1024 * 1024 * 1024)  # 1 GB of zeros, about 1 MB gzipped
    assert len(bomb) < 2 * 1024 * 1024
    assert "decompressed body over" in refuse(bomb, secret_file, listener)


def test_gzip_of_a_hostile_document(secret_file, listener):
    data = gzip.compress(load("xxe_local_file.xml", secret_file[0], listener.port))
    assert DTD in refuse(data, secret_file, listener)


def test_oversized_plain_body(secret_file, listener):
    data = (
        b'<rss version="2.0"><channel><title>'
        + b"a" * (6 * 1024 * 1024)
        + b"</title></channel></rss>"
    )
    assert "body over" in refuse(data, secret_file, listener)


def test_100mb_body_from_http_through_ingest(http_server, listener, secret_file):
    """A 100 MB feed streamed from a local server: ingest stops at the cap."""
    total = 100 * 1024 * 1024
    chunk = b"<item><title>" + b"a" * 65_000 + b"</title></item>"
    sent = {"bytes": 0}

    def stream(h):
        h.send_response(200)
        h.end_headers()
        h.wfile.write(b'<rss version="2.0"><channel>')
        while sent["bytes"] < total and not http_server.stop.is_set():
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    http_server.routes["/huge.xml"] = stream
    policy = FetchPolicy(max_bytes=5 * 1024 * 1024, trust_env=False)
    with peak_rss_growth() as mem:
        with pytest.raises(FeedRefused, match="body over"):
            ingest(http_server.url("/huge.xml"), MemorySink(), policy=policy)
    assert mem["growth_mb"] < MAX_GROWTH_MB
    assert sent["bytes"] < total // 4


def test_gzip_bomb_from_http_through_ingest(http_server):
    bomb = _zeros_gzip(512 * 1024 * 1024)
    http_server.routes["/bomb.xml"] = lambda h: send(h, bomb, headers={"Content-Encoding": "gzip"})
    http_server.routes["/bomb.xml.gz"] = lambda h: send(h, bomb)  # no header: a .gz file
    policy = FetchPolicy(trust_env=False)
    for path in ("/bomb.xml", "/bomb.xml.gz"):
        with peak_rss_growth() as mem:
            with pytest.raises(FeedRefused, match="decompressed body over"):
                ingest(http_server.url(path), MemorySink(), policy=policy)
        assert mem["growth_mb"] < MAX_GROWTH_MB


@pytest.mark.parametrize("name", _with_doctype(CORPUS))
def test_shared_parser_alone_never_reads_or_connects(name, secret_file, listener):
    """Defence in depth: even without our prologue check, ``services.xmlsafe``
    lets libxml2 see the hidden DOCTYPE but never resolves or fetches."""
    from services import xmlsafe

    path, watch = secret_file
    body = load(name, path, listener.port).decode("utf-8").split("?>", 1)[1]
    for data in (
        ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16"),
        ("<!--" + "x" * 5000 + "-->" + body).encode("utf-8"),
    ):
        with peak_rss_growth() as mem:
            with pytest.raises(xmlsafe.UnsafeXML) as info:
                xmlsafe.parse(data)
        assert "TOP-SECRET" not in info.value.reason
        assert watch.events() == 0
        assert listener.connections() == 0
        assert mem["growth_mb"] < MAX_GROWTH_MB
