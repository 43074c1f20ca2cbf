"""Fetching against a real local HTTP server: validators, redirects, caps, gzip, timeouts."""

from __future__ import annotations

import gzip
import io
import os
import socket
import tracemalloc
import zlib

import pytest
from feed_testlib import send

from broadcast_feed.errors import FeedRefused, FetchFailed
from broadcast_feed.fetch import FetchPolicy, fetch, read_path, read_upload

FEED = b'<rss version="2.0"><channel><title>t</title><item><guid>1</guid></item></channel></rss>'
FAST = FetchPolicy(read_timeout=5, total_timeout=30, trust_env=False)


def test_etag_and_last_modified_give_not_modified(http_server):
    lm = "Fri, 20 Nov 2026 08:00:00 GMT"

    def feed(h):
        if h.headers.get("If-None-Match") == '"v1"' or h.headers.get("If-Modified-Since") == lm:
            send(h, b"", status=304, headers={"ETag": '"v1"'})
        else:
            send(
                h,
                FEED,
                headers={
                    "ETag": '"v1"',
                    "Last-Modified": lm,
                    "Content-Type": "application/rss+xml",
                },
            )

    http_server.routes["/feed"] = feed
    first = fetch(http_server.url("/feed"), policy=FAST)
    assert first.content == FEED and not first.not_modified
    assert first.etag == '"v1"' and first.last_modified == lm
    assert first.content_type == "application/rss+xml"
    again = fetch(http_server.url("/feed"), etag=first.etag, policy=FAST)
    assert again.not_modified and again.content == b"" and again.status == 304
    by_date = fetch(http_server.url("/feed"), last_modified=lm, policy=FAST)
    assert by_date.not_modified
    sent = [headers for _, headers in http_server.requests]
    assert "If-None-Match" not in sent[0]
    assert sent[1]["If-None-Match"] == '"v1"'
    assert sent[2]["If-Modified-Since"] == lm


def test_redirects_followed_up_to_the_limit(http_server):
    for n in range(1, 8):
        http_server.routes["/hop/%d" % n] = lambda h, n=n: send(
            h, b"", status=302, headers={"Location": "/hop/%d" % (n - 1)}
        )
    http_server.routes["/hop/0"] = lambda h: send(h, FEED)
    policy = FetchPolicy(max_redirects=3, trust_env=False)
    got = fetch(http_server.url("/hop/3"), policy=policy)
    assert got.content == FEED and got.url.endswith("/hop/0")
    with pytest.raises(FetchFailed, match="more than 3 redirects"):
        fetch(http_server.url("/hop/7"), policy=policy)
    assert "/hop/0" not in http_server.paths()[-4:]  # stopped before the end of the chain


def test_redirect_loop_is_detected(http_server):
    http_server.routes["/a"] = lambda h: send(h, b"", status=301, headers={"Location": "/b"})
    http_server.routes["/b"] = lambda h: send(h, b"", status=307, headers={"Location": "/a"})
    with pytest.raises(FetchFailed, match="redirect loop"):
        fetch(http_server.url("/a"), policy=FAST)
    assert http_server.paths() == ["/a", "/b"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/"])
def test_redirect_to_other_scheme_is_refused(http_server, target):
    http_server.routes["/r"] = lambda h: send(h, b"", status=302, headers={"Location": target})
    with pytest.raises(FeedRefused, match="not allowed"):
        fetch(http_server.url("/r"), policy=FAST)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/f.xml", "/etc/passwd", "http://"]
)
def test_only_http_and_https(url):
    with pytest.raises(FeedRefused):
        fetch(url, policy=FAST)


def test_http_errors_have_a_reason(http_server):
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch(http_server.url("/missing"), policy=FAST)
    http_server.routes["/boom"] = lambda h: send(h, b"x", status=503)
    with pytest.raises(FetchFailed, match="HTTP 503"):
        fetch(http_server.url("/boom"), policy=FAST)


def test_declared_length_over_cap_is_refused_before_reading(http_server):
    def big(h):
        h.send_response(200)
        h.send_header("Content-Length", str(100 * 1024 * 1024))
        h.end_headers()
        h.wfile.write(b"x" * 1024)

    http_server.routes["/big"] = big
    with pytest.raises(FeedRefused, match="body over 1048576 bytes"):
        fetch(http_server.url("/big"), policy=FetchPolicy(max_bytes=1024 * 1024, trust_env=False))


def test_100mb_streamed_body_stops_at_the_cap(http_server):
    """100 MB made on the fly without a length: the client stops just past the cap."""
    chunk = b"<x>" + b"a" * (64 * 1024 - 7) + b"</x>"
    total = 100 * 1024 * 1024
    sent = {"bytes": 0}

    def stream(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/xml")
        h.end_headers()
        while sent["bytes"] < total and not http_server.stop.is_set():
            h.wfile.write(chunk)
            sent["bytes"] += len(chunk)

    http_server.routes["/huge"] = stream
    cap = 2 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(FeedRefused, match="body over %d bytes" % cap):
            fetch(http_server.url("/huge"), policy=FetchPolicy(max_bytes=cap, trust_env=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap  # never held much more than the cap
    assert sent["bytes"] < total // 4  # the server was cut off long before 100 MB


def test_gzip_body_is_decoded_by_us(http_server):
    http_server.routes["/gz"] = lambda h: send(
        h, gzip.compress(FEED), headers={"Content-Encoding": "gzip"}
    )
    assert fetch(http_server.url("/gz"), policy=FAST).content == FEED
    assert "gzip" in http_server.requests[0][1]["Accept-Encoding"]


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_body_zlib_or_raw(http_server, wbits):
    comp = zlib.compressobj(wbits=wbits)
    body = comp.compress(FEED) + comp.flush()
    http_server.routes["/df"] = lambda h: send(h, body, headers={"Content-Encoding": "deflate"})
    assert fetch(http_server.url("/df"), policy=FAST).content == FEED


def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzipped, made in 1 MB steps (never holds ``size`` bytes)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    out = io.BytesIO()
    for _ in range(size // len(block)):
        out.write(comp.compress(block))
    out.write(comp.flush())
    return out.getvalue()


def test_gzip_bomb_over_http_is_capped_after_decompression(http_server):
    bomb = _gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 300 * 1024
    http_server.routes["/bomb"] = lambda h: send(h, bomb, headers={"Content-Encoding": "gzip"})
    cap = 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(FeedRefused, match="decompressed body over %d bytes" % cap):
            fetch(http_server.url("/bomb"), policy=FetchPolicy(max_bytes=cap, trust_env=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap


def test_unknown_and_corrupt_encodings(http_server):
    http_server.routes["/br"] = lambda h: send(
        h, b"\x0b\x02\x80", headers={"Content-Encoding": "br"}
    )
    with pytest.raises(FeedRefused, match="'br' not supported"):
        fetch(http_server.url("/br"), policy=FAST)
    http_server.routes["/bad"] = lambda h: send(
        h, gzip.compress(FEED)[:10] + b"\xff" * 20, headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchFailed, match="corrupt gzip"):
        fetch(http_server.url("/bad"), policy=FAST)
    http_server.routes["/cut"] = lambda h: send(
        h, gzip.compress(FEED * 50)[:40], headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchFailed, match="truncated gzip"):
        fetch(http_server.url("/cut"), policy=FAST)


def test_read_timeout_when_server_goes_quiet(http_server):
    def quiet(h):
        h.send_response(200)
        h.end_headers()
        h.wfile.write(b"<rss>")
        h.wfile.flush()
        http_server.stop.wait(30)

    http_server.routes["/quiet"] = quiet
    with pytest.raises(FetchFailed, match="read timeout"):
        fetch(http_server.url("/quiet"), policy=FetchPolicy(read_timeout=0.3, trust_env=False))


def test_headers_never_come(http_server):
    http_server.routes["/mute"] = lambda h: http_server.stop.wait(30)
    with pytest.raises(FetchFailed, match="read timeout"):
        fetch(http_server.url("/mute"), policy=FetchPolicy(read_timeout=0.3, trust_env=False))


def test_total_timeout_for_a_slow_drip(http_server):
    def drip(h):
        h.send_response(200)
        h.end_headers()
        while not http_server.stop.wait(0.02):
            h.wfile.write(b" ")
            h.wfile.flush()

    http_server.routes["/drip"] = drip
    policy = FetchPolicy(read_timeout=5, total_timeout=0.2, trust_env=False)
    with pytest.raises(FetchFailed, match="transfer took over 0.2s"):
        fetch(http_server.url("/drip"), policy=policy)


def test_connection_refused_has_a_reason(listener):
    port = listener.port
    listener.sock.close()  # nothing listens there any more
    with pytest.raises(FetchFailed, match="connection failed"):
        fetch("http://127.0.0.1:%d/feed" % port, policy=FAST)


def test_private_addresses_refused_without_connecting(listener):
    policy = FetchPolicy(block_private=True, trust_env=False)
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(FeedRefused, match="non-public address"):
            fetch("http://%s:%d/latest/meta-data" % (host, listener.port), policy=policy)
    assert listener.connections() == 0


def test_redirect_to_private_address_refused(http_server, listener):
    """A public-looking source cannot bounce us into the internal network."""
    target = "http://127.0.0.1:%d/internal" % listener.port
    http_server.routes["/r"] = lambda h: send(h, b"", status=302, headers={"Location": target})
    from broadcast_feed import fetch as fetch_mod

    checked = []
    real = fetch_mod._refuse_private

    def only_listener_is_private(host, port, allow=frozenset()):
        checked.append(port)
        if port == listener.port:
            real(host, port)
        return None  # connect as resolved

    fetch_mod_policy = FetchPolicy(block_private=True, trust_env=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fetch_mod, "_refuse_private", only_listener_is_private)
        with pytest.raises(FeedRefused, match="non-public address"):
            fetch(http_server.url("/r"), policy=fetch_mod_policy)
    assert checked == [http_server.port, http_server.port, listener.port]  # URL check, connect, redirect
    assert listener.connections() == 0


def test_dns_rebinding_cannot_reach_the_internal_network(listener, monkeypatch):
    """The name resolves to a public address for the URL check and to
    127.0.0.1 when connecting: the connection resolves once, checks that very
    address, and never connects."""
    real = socket.getaddrinfo
    answers = []

    def rebinding(host, port, *args, **kwargs):
        if host != "feeds.rebind.example":
            return real(host, port, *args, **kwargs)
        ip = "93.184.216.34" if not answers else "127.0.0.1"
        answers.append(ip)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    policy = FetchPolicy(block_private=True, trust_env=False, connect_timeout=2)
    with pytest.raises(FeedRefused, match="non-public address"):
        fetch("http://feeds.rebind.example:%d/latest/meta-data" % listener.port, policy=policy)
    assert answers == ["93.184.216.34", "127.0.0.1"]
    assert listener.connections() == 0


def test_pinned_connection_goes_to_the_checked_address(http_server, monkeypatch):
    """With block_private the socket connects to the address that was checked
    (here the check is told 127.0.0.1 is fine, and the name resolves nowhere)."""
    from broadcast_feed import fetch as fetch_mod

    http_server.routes["/pinned"] = lambda h: send(h, FEED)
    monkeypatch.setattr(fetch_mod, "_refuse_private", lambda host, port, allow=frozenset(): "127.0.0.1")
    policy = FetchPolicy(block_private=True, trust_env=False)
    got = fetch("http://pinned.invalid:%d/pinned" % http_server.port, policy=policy)
    assert got.content == FEED


def test_read_path_and_upload(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    assert read_path(path) == FEED
    assert read_upload(FEED) == FEED
    assert read_upload(io.BytesIO(FEED)) == FEED
    with pytest.raises(FeedRefused, match="body over 10 bytes"):
        read_upload(io.BytesIO(FEED), max_bytes=10)
    with pytest.raises(FeedRefused, match="body over 10 bytes"):
        read_path(path, max_bytes=10)
    with pytest.raises(FetchFailed, match="no such file"):
        read_path(tmp_path / "nope.xml")
    with pytest.raises(FeedRefused, match="not a regular file"):
        read_path(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(FeedRefused, match="not a regular file"):
        read_path(fifo)  # would block forever if opened
    with pytest.raises(FeedRefused, match="not a regular file"):
        read_path("/dev/zero")
