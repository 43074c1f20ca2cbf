"""The hostile XML corpus, for CAP alerts as well as news feeds, and through
every way a document comes in: parse, HTTP ingest, the console's upload.

tests/broadcast_feed/test_feed_hostile.py covers RSS/Atom (and one CAP XXE)
at the parser. Here: a CAP variant of every attack (XXE to a file and to the
network, billion laughs, quadratic blow-up, external DTD, parameter
entities, XInclude, bad encodings, a gzip bomb, 100 MB), each refused with
no file opened (inotify), no connection made (a listener) and bounded peak
memory (VmHWM); the same documents uploaded in the console end as a refused
source and change nothing; and a request body of 100 MB is refused before it
is read, so no form can be used to fill the disk.
"""

from __future__ import annotations

import gzip
import io
import zlib

import pytest
from sqlalchemy import func, select

from broadcast_feed.errors import FeedRefused
from broadcast_feed.fetch import FetchPolicy
from broadcast_feed.ingest import MemorySink, ingest
from broadcast_feed.parsing import parse_document
from tests.broadcast_feed.feed_testlib import HOSTILE, peak_rss_growth, send
from tests.security.conftest import console_login, csrf_token

MAX_GROWTH_MB = 64
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
DTD = "DOCTYPE/DTD refused"


def cap(info: str = "<event>x</event>", prolog: str = "", decl: str = '<?xml version="1.0" encoding="UTF-8"?>',
        extra_ns: str = "") -> str:
    return ('%s%s<alert xmlns="%s"%s><identifier>KMA-X-1</identifier><sender>kma@example.go.kr</sender>'
            "<sent>2026-11-21T11:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType>"
            "<scope>Public</scope><info><urgency>Immediate</urgency><severity>Extreme</severity>"
            "<certainty>Observed</certainty>%s<area><areaDesc>마포구</areaDesc></area></info></alert>"
            % (decl, prolog, CAP_NS, extra_ns, info))


LAUGHS = "".join('<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10) for i in range(1, 10))
CAP_CORPUS = {
    "cap_xxe_network": (cap("<headline>&r;</headline>", '<!DOCTYPE alert [<!ENTITY r SYSTEM '
                                                        '"http://127.0.0.1:@@PORT@@/xxe">]>'), DTD),
    "cap_xxe_file_in_area": (cap("<event>&s;</event>", '<!DOCTYPE alert [<!ENTITY s SYSTEM '
                                                       '"file://@@SECRET@@">]>'), DTD),
    "cap_billion_laughs": (cap("<headline>&l9;</headline>",
                               '<!DOCTYPE alert [<!ENTITY l0 "lol">%s]>' % LAUGHS), DTD),
    "cap_external_dtd": (cap(prolog='<!DOCTYPE alert SYSTEM "http://127.0.0.1:@@PORT@@/cap.dtd">'), DTD),
    "cap_public_dtd": (cap(prolog='<!DOCTYPE alert PUBLIC "-//X//CAP//EN" '
                                  '"http://127.0.0.1:@@PORT@@/cap.dtd">'), DTD),
    "cap_parameter_entities": (cap(prolog='<!DOCTYPE alert [<!ENTITY %% f SYSTEM "file://@@SECRET@@">'
                                          '<!ENTITY %% d SYSTEM "http://127.0.0.1:@@PORT@@/x.dtd">%%d;]>'),
                               DTD),
    "cap_xinclude_file": (cap('<description><xi:include href="file://@@SECRET@@" parse="text"/></description>',
                              extra_ns=' xmlns:xi="http://www.w3.org/2001/XInclude"'), "XInclude refused"),
    "cap_xinclude_network": (cap('<description><xi:include href="http://127.0.0.1:@@PORT@@/i.xml"/>'
                                 "</description>", extra_ns=' xmlns:xi="http://www.w3.org/2003/XInclude"'),
                             "XInclude refused"),
    "cap_bogus_encoding": (cap(decl='<?xml version="1.0" encoding="x-bogus-9"?>'), "not accepted"),
    "cap_invalid_utf8": (cap("<event>\udcff\udcfe</event>"), "malformed XML"),
    "cap_control_characters": (cap("<event>\x01\x08\x1b</event>"), "malformed XML"),
}


def cap_bytes(name: str, secret, port: int) -> bytes:
    text, _ = CAP_CORPUS[name]
    text = text.replace("@@SECRET@@", str(secret)).replace("@@PORT@@", str(port))
    return text.encode("utf-8", "surrogateescape")


def refused(data: bytes, secret_file, listener, *, expect: str) -> str:
    _, watch = secret_file
    with peak_rss_growth() as mem:
        with pytest.raises(FeedRefused) as info:
            parse_document(data)
    reason = info.value.reason
    assert expect in reason
    assert "\n" not in reason and len(reason) < 300 and "TOP-SECRET" not in reason
    assert watch.events() == 0, "the secret file was opened"
    assert listener.connections() == 0, "a connection was made"
    assert mem["growth_mb"] < MAX_GROWTH_MB, mem
    return reason


def test_the_cap_template_itself_is_accepted():
    """Each variant differs from a valid alert by its attack only."""
    feed = parse_document(cap().encode())
    assert feed.kind == "cap" and feed.alerts[0].identifier == "KMA-X-1"


@pytest.mark.parametrize("name", sorted(CAP_CORPUS))
def test_cap_variant_refused(name, secret_file, listener):
    data = cap_bytes(name, secret_file[0], listener.port)
    refused(data, secret_file, listener, expect=CAP_CORPUS[name][1])


@pytest.mark.parametrize("name", sorted(n for n, (_, why) in CAP_CORPUS.items() if why == DTD))
def test_cap_doctype_hidden_from_a_byte_look(name, secret_file, listener):
    """UTF-16 and UTF-7, or a 5 KB comment first: still refused, nothing fetched."""
    text = cap_bytes(name, secret_file[0], listener.port).decode("utf-8")
    body = text.split("?>", 1)[1]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16")
    assert b"<!DOCTYPE" not in utf16.upper()
    refused(utf16, secret_file, listener, expect=DTD)
    late = ('<?xml version="1.0"?><!--' + "x" * 5000 + "-->" + body).encode()
    refused(late, secret_file, listener, expect=DTD)
    utf7 = ('<?xml version="1.0" encoding="UTF-7"?>' + body.replace("<", "+ADw-")).encode()
    refused(utf7, secret_file, listener, expect="not accepted")


def test_cap_quadratic_blowup(secret_file, listener):
    big, refs = "A" * 100_000, "&a;" * 40_000
    data = cap("<headline>%s</headline>" % refs, '<!DOCTYPE alert [<!ENTITY a "%s">]>' % big).encode()
    refused(data, secret_file, listener, expect=DTD)


def _gzip_stream(prefix: bytes, filler: bytes, size: int) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = io.BytesIO()
    out.write(comp.compress(prefix))
    block = filler * (1024 * 1024 // len(filler))
    for _ in range(size // len(block)):
        out.write(comp.compress(block))
    out.write(comp.flush())
    return out.getvalue()


def test_cap_gzip_bomb(secret_file, listener):
    """A CAP alert whose description decompresses to 256 MB (the RSS test has 1 GB)."""
    head = cap("<description>").split("<description>")[0].encode() + b"<description>"
    bomb = _gzip_stream(head, b" ", 256 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    refused(bomb, secret_file, listener, expect="decompressed body over")
    refused(gzip.compress(cap_bytes("cap_xxe_file_in_area", secret_file[0], listener.port)),
            secret_file, listener, expect=DTD)


def test_cap_100mb_and_gzip_bomb_over_http(http_server, listener, secret_file):
    total = 100 * 1024 * 1024
    head = cap("<description>").split("<description>")[0].encode() + b"<description>"
    sent = {"bytes": 0}

    def stream(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/cap+xml")
        h.end_headers()
        h.wfile.write(head)
        chunk = "경보 ".encode() * 20_000
        while sent["bytes"] < total and not http_server.stop.is_set():
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    bomb = _gzip_stream(head, b"\n", 256 * 1024 * 1024)
    http_server.routes["/huge.cap"] = stream
    http_server.routes["/bomb.cap"] = lambda h: send(h, bomb, headers={"Content-Encoding": "gzip"})
    policy = FetchPolicy(trust_env=False)
    for path, why in (("/huge.cap", "body over"), ("/bomb.cap", "decompressed body over")):
        with peak_rss_growth() as mem:
            with pytest.raises(FeedRefused, match=why):
                ingest(http_server.url(path), MemorySink(), policy=policy)
        assert mem["growth_mb"] < MAX_GROWTH_MB
    assert sent["bytes"] < total // 4, "the 100 MB body was read on"
    assert secret_file[1].events() == 0 and listener.connections() == 0


# -- the console's upload path --------------------------------------------------

UPLOADS = sorted(CAP_CORPUS) + sorted(p.name for p in HOSTILE.glob("*.xml"))


@pytest.fixture
def admin(app, seeded):
    return console_login(app, "admin")


def _counts(rt):
    from broadcast_feed.models import NewsItem, TickerMessage

    with rt.session() as s:
        return (s.scalar(select(func.count()).select_from(NewsItem)),
                s.scalar(select(func.count()).select_from(TickerMessage)))


def test_hostile_uploads_end_as_refused_sources(admin, seeded, secret_file, listener):
    """Every document of both corpora, uploaded as an admin would: each source
    row says 거부함 with a one-line reason; no item, no ticker, no file read,
    no connection; the console page still renders."""
    from broadcast_feed import store

    before = _counts(seeded)
    token = csrf_token(admin, "/console/sources")
    for n, name in enumerate(UPLOADS):
        if name in CAP_CORPUS:
            data = cap_bytes(name, secret_file[0], listener.port)
        else:
            data = (HOSTILE / name).read_bytes().replace(b"@@SECRET@@", str(secret_file[0]).encode()) \
                .replace(b"@@PORT@@", b"%d" % listener.port)
        with peak_rss_growth() as mem:
            r = admin.post("/console/sources/upload", data={
                "name": "hostile-%02d" % n, "csrf_token": token,
                "file": (io.BytesIO(data), "../../../%s" % name)}, content_type="multipart/form-data")
        assert r.status_code == 303, (name, r.status_code)
        assert mem["growth_mb"] < MAX_GROWTH_MB, (name, mem)
        assert secret_file[1].events() == 0, name
        assert listener.connections() == 0, name
    with seeded.session() as s:
        rows = {src.name: src for src in store.list_sources(s) if src.name.startswith("hostile-")}
        assert len(rows) == len(UPLOADS)
        for n, name in enumerate(UPLOADS):
            src = rows["hostile-%02d" % n]
            assert src.status == "refused", (name, src.status, src.last_reason)
            assert src.last_reason and "\n" not in src.last_reason and "TOP-SECRET" not in src.last_reason
    assert _counts(seeded) == before
    html = admin.get("/console/sources").get_data(as_text=True)
    assert html.count("거부함") >= len(UPLOADS) and "TOP-SECRET" not in html


def test_a_100mb_request_body_is_refused_unread(app, seeded):
    """No route reads a 100 MB body: not the console's upload (after login),
    not the login form before any check. It is refused on its length, before
    the form parser spools it to disk."""
    admin = console_login(app, "admin")
    token = csrf_token(admin, "/console/sources")

    class Body(io.RawIOBase):
        """100 MB of multipart, made as it is read (nothing held in memory)."""

        def __init__(self, size, token):
            self.head = ('--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n%s\r\n'
                         '--x\r\nContent-Disposition: form-data; name="file"; filename="big.xml"\r\n'
                         "Content-Type: application/xml\r\n\r\n" % token).encode()
            self.tail = b"\r\n--x--\r\n"
            self.size, self.read_bytes = size, 0

        def _at(self, pos, n):
            if pos < len(self.head):
                return self.head[pos:pos + n]
            if pos >= self.size - len(self.tail):
                return self.tail[pos - (self.size - len(self.tail)):][:n]
            return b"a" * min(n, self.size - len(self.tail) - pos)

        def readable(self):
            return True

        def seekable(self):
            return True

        def tell(self):
            return self.read_bytes

        def seek(self, pos, whence=0):
            self.read_bytes = pos if whence == 0 else self.size if whence == 2 else self.read_bytes + pos
            return self.read_bytes

        def readinto(self, buf):
            data = self._at(self.read_bytes, len(buf))
            buf[:len(data)] = data
            self.read_bytes += len(data)
            return len(data)

    for client, path in ((admin, "/console/sources/upload"), (app.test_client(), "/console/login"),
                         (app.test_client(), "/m/pair")):
        body = Body(100 * 1024 * 1024, token)
        with peak_rss_growth() as mem:
            r = client.post(path, input_stream=body, content_length=body.size,
                            content_type="multipart/form-data; boundary=x",
                            headers={"X-CSRFToken": token})
        assert r.status_code == 413, (path, r.status_code)
        assert body.read_bytes < 16 * 1024 * 1024, (path, body.read_bytes)
        assert mem["growth_mb"] < MAX_GROWTH_MB
