"""Bytes in, items out: RSS 2.0, Atom 1.0 and CAP 1.2 through one hardened parser.

``parse_document(data)`` refuses anything unsafe or unknown with
``FeedRefused`` (a one-line ``reason``) and otherwise returns a
``ParsedFeed``. Every XML byte goes through ``services.xmlsafe.parse``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from lxml import etree

from broadcast_feed.cap import parse_cap
from broadcast_feed.errors import FeedRefused
from broadcast_feed.items import CapAlert, FeedItem
from broadcast_feed.text import (
    first_image_src,
    html_to_text,
    parse_datetime,
    plain_text,
    safe_url,
    summarise,
)
from services import xmlsafe

DEFAULT_MAX_BYTES = xmlsafe.DEFAULT_MAX_BYTES
MAX_ITEMS = 1000

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_MEDIA = "http://search.yahoo.com/mrss/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_XHTML = "http://www.w3.org/1999/xhtml"
CAP_NAMESPACES = (
    "urn:oasis:names:tc:emergency:cap:1.2",
    "urn:oasis:names:tc:emergency:cap:1.1",
)
XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")


@dataclass
class ParsedFeed:
    kind: str  # "rss" | "atom" | "cap"
    title: str
    link: str | None = None
    items: list[FeedItem] = field(default_factory=list)
    alerts: list[CapAlert] = field(default_factory=list)

    @property
    def entries(self) -> list:
        """Items and alerts together, in document order per kind."""
        return [*self.items, *self.alerts]


# -- safe XML ------------------------------------------------------------------


_ASCII_FAMILY = frozenset(
    """utf-8 utf8 us-ascii ascii iso-8859-1 iso-8859-2 iso-8859-5 iso-8859-7 iso-8859-9
    iso-8859-15 latin1 latin-1 windows-1250 windows-1251 windows-1252 cp1252 euc-kr cp949
    ks_c_5601-1987 windows-949 x-windows-949 uhc euc-jp shift_jis gb2312 gbk gb18030 big5
    koi8-r""".split()
)
_WIDE_FAMILY = frozenset("utf-16 utf-16le utf-16be utf-32 utf-32le utf-32be ucs-2 ucs-4".split())
_DECL_ENCODING = re.compile(r"""^\ufeff?<\?xml[^>]*?encoding\s*=\s*["']([^"']{0,40})["']""")
_REFUSED_DTD = "DTD가 포함된 문서는 받지 않습니다 (DOCTYPE/DTD refused)"


def _sniff(data: bytes) -> str:
    """The document as text, decoded just well enough to read its markup."""
    head = data[:4]
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        enc = "utf-32"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    elif head == b"\x00\x00\x00<":
        enc = "utf-32-be"
    elif head == b"<\x00\x00\x00":
        enc = "utf-32-le"
    elif head[:2] == b"\x00<":
        enc = "utf-16-be"
    elif head[:2] == b"<\x00":
        enc = "utf-16-le"
    elif head == b"\x4c\x6f\xa7\x94":
        raise FeedRefused("EBCDIC 문서는 받지 않습니다 (EBCDIC documents refused)")
    else:
        enc = "latin-1"  # markup is ASCII in every encoding of this family
    return data.decode(enc, errors="replace")


def precheck(data: bytes) -> None:
    """Refuse what ``services.xmlsafe`` might only notice after libxml2 has
    read it: a DOCTYPE anywhere in the prologue (its byte check looks at the
    first 4 KB, undecoded), and declared encodings that can hide markup from
    a byte-level look (UTF-7, EBCDIC, unknown names)."""
    text = _sniff(data)
    match = _DECL_ENCODING.match(text)
    if match:
        declared = match.group(1).strip().lower()
        if declared not in _ASCII_FAMILY | _WIDE_FAMILY:
            raise FeedRefused(
                "받지 않는 문자 인코딩입니다 (encoding %r not accepted)" % declared[:40]
            )
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            end, close = text.find("?>", i + 2), 2
        elif text.startswith("<!--", i):
            end, close = text.find("-->", i + 4), 3
        elif text.startswith("<!", i):
            raise FeedRefused(_REFUSED_DTD)
        else:
            return
        if end == -1:
            return  # unterminated: libxml2 refuses it as malformed
        i = end + close


def safe_root(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """``services.xmlsafe.parse`` plus the refusals feeds need on top of it."""
    try:
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("safe_root() takes bytes")
        if len(data) > max_bytes and bytes(data[:2]) != b"\x1f\x8b":
            raise xmlsafe.UnsafeXML("문서가 너무 큽니다 (body over %d bytes)" % max_bytes)
        data = xmlsafe.decompress_capped(bytes(data), max_bytes)
        precheck(data)
        root = xmlsafe.parse(data, max_bytes)
    except xmlsafe.UnsafeXML as exc:
        # libxml2 messages can carry newlines and document text: one short line
        raise FeedRefused(one_line(exc.reason)) from exc
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str) and tag.startswith("{"):
            ns = tag[1:].split("}", 1)[0]
            if ns in XINCLUDE_NAMESPACES:
                raise FeedRefused("XInclude가 포함된 문서는 받지 않습니다 (XInclude refused)")
    return root


def one_line(reason: str, limit: int = 240) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


def detect_format(root: etree._Element) -> str:
    """ "rss", "atom" or "cap" from the root element; FeedRefused otherwise."""
    qname = etree.QName(root)
    ns, local = qname.namespace, qname.localname
    if local == "rss" and ns is None:
        return "rss"
    if ns == NS_ATOM and local in ("feed", "entry"):
        return "atom"
    if ns in CAP_NAMESPACES and local == "alert":
        return "cap"
    if ns == NS_RDF and local == "RDF":
        raise FeedRefused("RSS 1.0(RDF)은 지원하지 않습니다 (RSS 1.0/RDF feeds are not supported)")
    shown = local if ns is None else "{%s}%s" % (ns, local)
    raise FeedRefused(
        "RSS 2.0, Atom 1.0, CAP 1.2 문서가 아닙니다 (unknown root element <%s>)" % shown[:120]
    )


def parse_document(
    data: bytes,
    *,
    source_name: str | None = None,
    base_url: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_items: int = MAX_ITEMS,
) -> ParsedFeed:
    """Parse untrusted feed bytes (gzip allowed) into a ``ParsedFeed``."""
    root = safe_root(data, max_bytes)
    kind = detect_format(root)
    if kind == "rss":
        return parse_rss(root, source_name=source_name, base_url=base_url, max_items=max_items)
    if kind == "atom":
        return parse_atom(root, source_name=source_name, base_url=base_url, max_items=max_items)
    alert = parse_cap(root, source_name=source_name)
    return ParsedFeed(kind="cap", title=alert.source or alert.sender, alerts=[alert])


# -- helpers -----------------------------------------------------------------


def _q(ns: str | None, name: str) -> str:
    return "{%s}%s" % (ns, name) if ns else name


def _child(el, ns: str | None, name: str):
    return el.find(_q(ns, name))


def _children(el, ns: str | None, name: str) -> list:
    return el.findall(_q(ns, name))


def _text(el) -> str:
    """All text inside an element (CDATA included), or ""."""
    if el is None:
        return ""
    return "".join(el.itertext())


def _inner_markup(el) -> str:
    """The element's content as markup: text when it is text (CDATA/escaped), else children."""
    if el is None:
        return ""
    if len(el) == 0:
        return el.text or ""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        elif child.tail:
            parts.append(child.tail)
    return "".join(parts)


def _stable_guid(link: str | None, title: str, published, body: str) -> str:
    if link:
        return link
    raw = "\x1f".join([title, published.isoformat() if published else "", body[:500]])
    return "sha256:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _media_image(el, base: str | None) -> str | None:
    for holder in [el, *_children(el, NS_MEDIA, "group")]:
        for mc in _children(holder, NS_MEDIA, "content"):
            mtype = (mc.get("type") or "").lower()
            if mc.get("medium") == "image" or mtype.startswith("image/"):
                url = safe_url(mc.get("url"), base)
                if url:
                    return url
        for thumb in _children(holder, NS_MEDIA, "thumbnail"):
            url = safe_url(thumb.get("url"), base)
            if url:
                return url
    return None


def _body_and_summary(body_html: str, summary_html: str, *, html: bool = True) -> tuple[str, str]:
    convert = html_to_text if html else plain_text
    body = convert(body_html) if body_html else ""
    summary_full = convert(summary_html) if summary_html else ""
    if not body:
        body = summary_full
    summary = summarise(summary_full or body)
    return body, summary


# -- RSS 2.0 -------------------------------------------------------------------


def parse_rss(root, *, source_name=None, base_url=None, max_items=MAX_ITEMS) -> ParsedFeed:
    channel = _child(root, None, "channel")
    if channel is None:
        raise FeedRefused("RSS 문서에 channel이 없습니다 (RSS without <channel>)")
    title = plain_text(_text(_child(channel, None, "title")), paragraphs=False)
    link = safe_url(_text(_child(channel, None, "link")).strip(), base_url) or safe_url(base_url)
    source = source_name or title or "RSS"
    nodes = _children(channel, None, "item") or _children(root, None, "item")
    items = [_rss_item(node, source, link) for node in nodes[:max_items]]
    return ParsedFeed(kind="rss", title=title or source, link=link, items=items)


def _labels(elements) -> list[str]:
    labels = (plain_text(_text(el), paragraphs=False) for el in elements)
    return [label for label in labels if label]


def _rss_item(node, source: str, base: str | None) -> FeedItem:
    title = html_to_text(_text(_child(node, None, "title")), paragraphs=False)
    link = safe_url(_text(_child(node, None, "link")).strip(), base)
    description = _inner_markup(_child(node, None, "description"))
    encoded = _inner_markup(_child(node, NS_CONTENT, "encoded"))
    body, summary = _body_and_summary(encoded, description)
    published = parse_datetime(_text(_child(node, None, "pubDate"))) or parse_datetime(
        _text(_child(node, NS_DC, "date"))
    )
    categories = _labels(_children(node, None, "category")) or _labels(
        _children(node, NS_DC, "subject")
    )
    author = plain_text(_text(_child(node, NS_DC, "creator")), paragraphs=False) or plain_text(
        _text(_child(node, None, "author")), paragraphs=False
    )
    image = None
    for enc in _children(node, None, "enclosure"):
        if (enc.get("type") or "").lower().startswith("image/"):
            image = safe_url(enc.get("url"), link or base)
            if image:
                break
    image = (
        image
        or _media_image(node, link or base)
        or safe_url(first_image_src(encoded or description), link or base)
    )
    guid_el = _child(node, None, "guid")
    guid = " ".join(_text(guid_el).split())[:1000]
    if not title and not body:
        title = "(제목 없음)"
    return FeedItem(
        guid=guid or _stable_guid(link, title, published, body),
        title=title or summarise(body, 60),
        summary=summary,
        body=body,
        published=published,
        source=source,
        category=categories[0] if categories else None,
        categories=categories,
        image_url=image,
        link=link,
        author=author or None,
    )


# -- Atom 1.0 ------------------------------------------------------------------


def _atom_text(el, *, paragraphs: bool = True) -> str:
    """Text of an Atom text construct or content element, as plain text."""
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml" or kind == "application/xhtml+xml":
        return html_to_text(_inner_markup(el), paragraphs=paragraphs)
    if kind in ("html", "text/html"):
        return html_to_text(_text(el), paragraphs=paragraphs)
    if kind in ("text", "text/plain"):
        return plain_text(_text(el), paragraphs=paragraphs)
    return ""  # other media types (base64 and friends) are not text for the TV


def _atom_link(el, rel: str = "alternate", base=None) -> str | None:
    for link in _children(el, NS_ATOM, "link"):
        if (link.get("rel") or "alternate") == rel:
            url = safe_url(link.get("href"), base)
            if url:
                return url
    return None


def parse_atom(root, *, source_name=None, base_url=None, max_items=MAX_ITEMS) -> ParsedFeed:
    if etree.QName(root).localname == "entry":
        title, link, entries = "", safe_url(base_url), [root]
    else:
        title = _atom_text(_child(root, NS_ATOM, "title"), paragraphs=False)
        link = _atom_link(root, base=base_url) or safe_url(base_url)
        entries = _children(root, NS_ATOM, "entry")
    source = source_name or title or "Atom"
    items = [_atom_entry(node, source, link) for node in entries[:max_items]]
    return ParsedFeed(kind="atom", title=title or source, link=link, items=items)


def _atom_entry(node, source: str, base: str | None) -> FeedItem:
    base = safe_url(node.get("{http://www.w3.org/XML/1998/namespace}base"), base) or base
    title = _atom_text(_child(node, NS_ATOM, "title"), paragraphs=False)
    link = _atom_link(node, base=base)
    content_el = _child(node, NS_ATOM, "content")
    summary_el = _child(node, NS_ATOM, "summary")
    body = _atom_text(content_el)
    summary_full = _atom_text(summary_el)
    if not body:
        body = summary_full
    summary = summarise(summary_full or body)
    published = parse_datetime(_text(_child(node, NS_ATOM, "published")))
    updated = parse_datetime(_text(_child(node, NS_ATOM, "updated")))
    categories = []
    for cat in _children(node, NS_ATOM, "category"):
        label = plain_text(cat.get("label") or cat.get("term") or "", paragraphs=False)
        if label:
            categories.append(label)
    author_el = _child(node, NS_ATOM, "author")
    author_name = _text(_child(author_el, NS_ATOM, "name")) if author_el is not None else ""
    author = plain_text(author_name, paragraphs=False)
    image = None
    for el in _children(node, NS_ATOM, "link"):
        if el.get("rel") == "enclosure" and (el.get("type") or "").lower().startswith("image/"):
            image = safe_url(el.get("href"), base)
            if image:
                break
    if image is None:
        image = _media_image(node, base)
    if image is None and content_el is not None:
        kind = (content_el.get("type") or "").lower()
        markup = _inner_markup(content_el) if kind == "xhtml" else _text(content_el)
        if kind in ("xhtml", "html", "text/html"):
            image = safe_url(first_image_src(markup), link or base)
    guid = " ".join(_text(_child(node, NS_ATOM, "id")).split())[:1000]
    return FeedItem(
        guid=guid or _stable_guid(link, title, published or updated, body),
        title=title or summarise(body, 60) or "(제목 없음)",
        summary=summary,
        body=body,
        published=published or updated,
        source=source,
        category=categories[0] if categories else None,
        categories=categories,
        image_url=image,
        link=link,
        author=author or None,
        updated=updated,
    )
