"""Getting feed and image bytes: HTTP(S) with caps, uploads and local files.

``fetch(url)`` never reads more than ``policy.max_bytes`` from the network,
nor produces more than that after gzip/deflate decoding (it asks for gzip and
decodes the body itself, so the cap holds after decompression too). It
follows at most ``policy.max_redirects`` redirects, only to http/https, sends
ETag/Last-Modified validators and returns ``not_modified`` on 304.

Failures raise ``FetchFailed`` (network, status, timeouts) or ``FeedRefused``
(policy: scheme, size, private address), both with a one-line ``reason``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import stat
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection

from broadcast_feed.errors import FeedRefused, FetchFailed
from services import xmlsafe

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/cap+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = xmlsafe.DEFAULT_MAX_BYTES
    connect_timeout: float = 5.0
    read_timeout: float = 15.0  # per socket read
    total_timeout: float = 60.0  # whole transfer, checked between chunks
    max_redirects: int = 5
    block_private: bool = False  # refuse loopback/private/link-local targets
    # with block_private: "host" or "host:port" taken even when not public (a development feed server)
    allow_hosts: frozenset = frozenset()
    user_agent: str = "tvgov-broadcast-feed/0.1"
    trust_env: bool = True  # honour HTTP(S)_PROXY/NO_PROXY from the environment


DEFAULT_POLICY = FetchPolicy()


def allowed_hosts(setting: str) -> frozenset:
    """``FEED_ALLOW_HOSTS`` (comma-separated ``host`` or ``host:port``) as a set."""
    return frozenset(h.strip().lower() for h in (setting or "").split(",") if h.strip())


def feed_policy(config) -> FetchPolicy:
    """What unattended polls and new sources are held to (issue 19): no private,
    loopback or link-local address on any hop, but those of ``FEED_ALLOW_HOSTS``."""
    return FetchPolicy(block_private=True, trust_env=False, allow_hosts=allowed_hosts(config.FEED_ALLOW_HOSTS))


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    content: bytes  # b"" when not_modified
    not_modified: bool = False
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


class Fetcher(Protocol):
    """What ingestion needs from a source of bytes (real HTTP or a sandbox)."""

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Fetched: ...


class HttpFetcher:
    """The real adapter: ``fetch`` with one policy and one pooled session."""

    def __init__(self, policy: FetchPolicy = DEFAULT_POLICY, session=None):
        self.policy = policy
        self.session = session

    def fetch(self, url, *, etag=None, last_modified=None) -> Fetched:
        return fetch(
            url, etag=etag, last_modified=last_modified, policy=self.policy, session=self.session
        )


# -- URL checks ----------------------------------------------------------------


def check_url(url: str, policy: FetchPolicy = DEFAULT_POLICY) -> str:
    """Return ``url`` if it may be fetched, else raise FeedRefused."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise FeedRefused("주소가 올바르지 않습니다 (invalid URL)") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FeedRefused(
            "http/https 주소만 받습니다 (scheme %r not allowed)" % (scheme or "none")[:20]
        )
    if not host:
        raise FeedRefused("주소에 호스트가 없습니다 (URL without a host)")
    if policy.block_private:
        _refuse_private(host, parts.port or (443 if scheme == "https" else 80), policy.allow_hosts)
    return url


def refuse_private_literal(url: str, policy: FetchPolicy) -> str:
    """Without resolving a name (adding a source must not reach the network):
    refuse a URL whose host is a non-public address written out, or localhost.
    Names are checked when they are fetched, on every hop."""
    parts = urlsplit(check_url(url, DEFAULT_POLICY))
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    if _allowed(host, port, policy.allow_hosts):
        return url
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            raise FeedRefused("내부망 주소는 받지 않습니다 (localhost)") from None
        return url
    if getattr(addr, "ipv4_mapped", None):
        addr = addr.ipv4_mapped
    if not addr.is_global or addr.is_multicast:
        raise FeedRefused("내부망 주소는 받지 않습니다 (%s is a non-public address)" % host[:100])
    return url


def _allowed(host: str, port: int, allow: frozenset) -> bool:
    host = host.lower().strip("[]")
    return host in allow or ("%s:%d" % (host, port)) in allow


def _refuse_private(host: str, port: int, allow: frozenset = frozenset()) -> str | None:
    """The address to connect to for ``host``, or FeedRefused if any of its
    addresses is not public (None: an allowed host, resolved as usual)."""
    if allow and _allowed(host, port, allow):
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed("호스트를 찾을 수 없습니다 (cannot resolve %s)" % host[:100]) from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if getattr(addr, "ipv4_mapped", None):
            addr = addr.ipv4_mapped
        if not addr.is_global or addr.is_multicast:
            raise FeedRefused(
                "내부망 주소는 받지 않습니다 (%s resolves to a non-public address)" % host[:100]
            )
    return infos[0][4][0]


# -- connections pinned to the checked address (no DNS rebinding) --------------
#
# ``check_url`` refuses a private target early, with a clear reason. But a name
# can resolve to a public address for that check and to 127.0.0.1 a moment
# later, when the connection is made (DNS rebinding). So with ``block_private``
# the connection itself resolves once, checks, and connects to that very
# address; TLS still verifies the certificate against the host name. (Through
# an HTTP proxy the proxy resolves: leave ``trust_env`` off with block_private.)


def _pinned(base, allow: frozenset):
    class Pinned(base):
        def _new_conn(self):
            self._dns_host = _refuse_private(self._dns_host, self.port, allow) or self._dns_host
            return super()._new_conn()

    Pinned.__name__ = "Pinned" + base.__name__
    return Pinned


def _pinned_pools(allow: frozenset) -> dict:
    class PinnedHTTPPool(urllib3.HTTPConnectionPool):
        ConnectionCls = _pinned(urllib3.connection.HTTPConnection, allow)

    class PinnedHTTPSPool(urllib3.HTTPSConnectionPool):
        ConnectionCls = _pinned(urllib3.connection.HTTPSConnection, allow)

    return {"http": PinnedHTTPPool, "https": PinnedHTTPSPool}


class PinnedAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter whose connections go only to public addresses (and ``allow``)."""

    def __init__(self, allow: frozenset = frozenset(), **kwargs):
        self.allow = frozenset(allow)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pinned_pools(self.allow)


def _pin(session: requests.Session, allow: frozenset = frozenset()) -> None:
    current = session.get_adapter("http://x/")
    if not isinstance(current, PinnedAdapter) or current.allow != frozenset(allow):
        adapter = PinnedAdapter(allow)
        session.mount("http://", adapter)
        session.mount("https://", adapter)


# -- body reading --------------------------------------------------------------


class _Decoder:
    """Content-Encoding decoding with an output cap."""

    def __init__(self, encoding: str, max_bytes: int):
        self.max_bytes = max_bytes
        self.total = 0
        self.parts: list[bytes] = []
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self.kind = "identity"
        elif enc in ("gzip", "x-gzip"):
            self.kind = "gzip"
        elif enc == "deflate":
            self.kind = "deflate"
        else:
            raise FeedRefused(
                "지원하지 않는 압축 방식입니다 (Content-Encoding %r not supported)" % enc[:30]
            )
        self.d = None

    def _new(self, first: bytes):
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is zlib-wrapped by the RFC but raw in some servers
        return zlib.decompressobj(zlib.MAX_WBITS if first[:1] == b"\x78" else -zlib.MAX_WBITS)

    def _add(self, out: bytes) -> None:
        self.total += len(out)
        if self.total > self.max_bytes:
            raise FeedRefused(
                "압축을 푼 문서가 너무 큽니다 (decompressed body over %d bytes)" % self.max_bytes
            )
        self.parts.append(out)

    def feed(self, chunk: bytes) -> None:
        if self.kind == "identity":
            self._add(chunk)
            return
        data = chunk
        while data:
            if self.d is None:
                self.d = self._new(data)
            try:
                out = self.d.decompress(data, self.max_bytes - self.total + 1)
            except zlib.error as exc:
                raise FetchFailed(
                    "압축된 본문이 손상되었습니다 (corrupt %s body)" % self.kind
                ) from exc
            self._add(out)
            if self.d.unconsumed_tail:
                data = self.d.unconsumed_tail
            elif self.d.eof and self.d.unused_data:
                data, self.d = self.d.unused_data, None  # next gzip member
            else:
                data = b""

    def result(self) -> bytes:
        if self.kind != "identity" and (self.d is None or not self.d.eof):
            raise FetchFailed("압축된 본문이 잘렸습니다 (truncated %s body)" % self.kind)
        return b"".join(self.parts)


def _read_body(resp, policy: FetchPolicy, deadline: float) -> bytes:
    encoding = resp.headers.get("Content-Encoding", "")
    decoder = _Decoder(encoding, policy.max_bytes)
    length = resp.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > policy.max_bytes:
        raise FeedRefused("문서가 너무 큽니다 (body over %d bytes)" % policy.max_bytes)
    received = 0
    while True:
        # read1 returns as soon as some bytes arrived, so a slow drip still
        # reaches the deadline check; the socket timeout bounds each wait.
        chunk = resp.raw.read1(CHUNK, decode_content=False)
        if not chunk:
            break
        received += len(chunk)
        if received > policy.max_bytes:  # the wire cap, compressed or not
            raise FeedRefused("문서가 너무 큽니다 (body over %d bytes)" % policy.max_bytes)
        decoder.feed(chunk)
        if time.monotonic() > deadline:
            raise FetchFailed(
                "받는 데 너무 오래 걸립니다 (transfer took over %gs)" % policy.total_timeout
            )
    return decoder.result()


# -- fetch ---------------------------------------------------------------------


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    session: requests.Session | None = None,
    accept: str = FEED_ACCEPT,
) -> Fetched:
    """GET ``url`` under ``policy``; see the module docstring."""
    own_session = session is None
    if own_session:
        session = requests.Session()
        session.trust_env = policy.trust_env
    if policy.block_private:
        _pin(session, policy.allow_hosts)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + policy.total_timeout
    seen: set[str] = set()
    current = url
    try:
        for _hop in range(policy.max_redirects + 1):
            check_url(current, policy)
            seen.add(current)
            resp = _get(session, current, headers, policy)
            with resp:
                if resp.status_code in REDIRECT_CODES and resp.headers.get("Location"):
                    try:
                        target = urljoin(current, resp.headers["Location"].strip())
                    except ValueError as exc:
                        raise FetchFailed("잘못된 이동 주소입니다 (bad redirect Location)") from exc
                    if target in seen:
                        raise FetchFailed("주소가 서로를 가리킵니다 (redirect loop)")
                    log.debug("redirect %s -> %s", current, target)
                    current = target
                    continue
                return _finish(resp, current, policy, deadline)
        raise FetchFailed("이동이 너무 많습니다 (more than %d redirects)" % policy.max_redirects)
    finally:
        if own_session:
            session.close()


def _get(session, url, headers, policy):
    try:
        return session.get(
            url,
            headers=headers,
            stream=True,
            allow_redirects=False,
            timeout=(policy.connect_timeout, policy.read_timeout),
        )
    except requests.exceptions.ConnectTimeout as exc:
        raise FetchFailed("연결 시간이 초과되었습니다 (connect timeout)") from exc
    except requests.exceptions.ReadTimeout as exc:
        raise FetchFailed("서버가 응답하지 않습니다 (read timeout)") from exc
    except requests.exceptions.SSLError as exc:
        raise FetchFailed("보안 연결에 실패했습니다 (TLS error)") from exc
    except requests.exceptions.ConnectionError as exc:
        raise FetchFailed("서버에 연결할 수 없습니다 (connection failed)") from exc
    except requests.exceptions.RequestException as exc:
        raise FetchFailed("요청에 실패했습니다 (%s)" % type(exc).__name__) from exc


def _finish(resp, url: str, policy: FetchPolicy, deadline: float) -> Fetched:
    h = resp.headers
    meta = dict(
        url=url,
        status=resp.status_code,
        etag=h.get("ETag"),
        last_modified=h.get("Last-Modified"),
        content_type=h.get("Content-Type"),
    )
    if resp.status_code == 304:
        return Fetched(content=b"", not_modified=True, **meta)
    if resp.status_code != 200:
        raise FetchFailed(
            "서버가 거절했습니다 (HTTP %d %s)" % (resp.status_code, (resp.reason or "")[:60])
        )
    try:
        content = _read_body(resp, policy, deadline)
    except (urllib3.exceptions.ReadTimeoutError, socket.timeout, TimeoutError) as exc:
        raise FetchFailed("서버가 응답하지 않습니다 (read timeout)") from exc
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        raise FetchFailed("본문을 받는 중 연결이 끊겼습니다 (%s)" % type(exc).__name__) from exc
    return Fetched(content=content, **meta)


# -- uploads and local files -----------------------------------------------------


def read_upload(upload, max_bytes: int = xmlsafe.DEFAULT_MAX_BYTES) -> bytes:
    """Bytes of an uploaded file (bytes, a stream, or a Werkzeug FileStorage), capped."""
    if isinstance(upload, (bytes, bytearray, memoryview)):
        data = bytes(upload)
        if len(data) > max_bytes:
            raise FeedRefused("문서가 너무 큽니다 (body over %d bytes)" % max_bytes)
        return data
    stream = getattr(upload, "stream", upload)
    try:
        data = xmlsafe.read_capped(stream, max_bytes)
    except xmlsafe.UnsafeXML as exc:
        raise FeedRefused(exc.reason) from exc
    if not isinstance(data, bytes):
        raise FeedRefused("파일을 바이트로 읽을 수 없습니다 (upload is not binary)")
    return data


def read_path(path: str | os.PathLike, max_bytes: int = xmlsafe.DEFAULT_MAX_BYTES) -> bytes:
    """Bytes of a local regular file, capped (FIFOs and devices are refused)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as exc:
        raise FetchFailed("파일이 없습니다 (no such file: %s)" % str(p)[:200]) from exc
    except OSError as exc:
        raise FetchFailed("파일을 읽을 수 없습니다 (%s)" % exc.strerror) from exc
    if not stat.S_ISREG(st.st_mode):
        raise FeedRefused("일반 파일이 아닙니다 (not a regular file)")
    if st.st_size > max_bytes:
        raise FeedRefused("문서가 너무 큽니다 (body over %d bytes)" % max_bytes)
    try:
        with open(p, "rb") as fh:
            return read_upload(fh, max_bytes)
    except OSError as exc:
        raise FetchFailed("파일을 읽을 수 없습니다 (%s)" % exc.strerror) from exc
