"""Turn feed HTML and text into plain, TV-safe text; parse feed dates.

``html_to_text`` strips every tag (dropping script, style and similar blocks
with their content), decodes entities, collapses whitespace and keeps
paragraph breaks as blank lines. Its output never contains a ``<`` that could
start a tag, so a template that forgets to escape still cannot render markup.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from services.korean import KST as SEOUL  # Korea time (no DST since 1988)

# Elements whose content is never text for people.
_SKIP = frozenset(
    "script style head title noscript template iframe object embed svg math "
    "canvas select option textarea button form audio video map applet frame frameset".split()
)
# Elements that end a paragraph.
_BLOCK = frozenset(
    "p div section article aside header footer nav main h1 h2 h3 h4 h5 h6 ul ol dl "
    "dt dd table thead tbody tfoot blockquote pre figure figcaption hr address "
    "fieldset details summary center".split()
)
# Elements that end a line; table cells inside a row are separated by a space.
_LINE = frozenset("br li tr caption".split())
_CELL = frozenset("td th".split())
_VOID = frozenset("br hr img input meta link area base col embed param source track wbr".split())

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)
_PARA = "\x00P\x00"  # markers; real NULs are removed before they are added
_LINEMARK = "\x00L\x00"


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.skip_stack: list[str] = []

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rsplit(":", 1)[-1].lower()

    def handle_starttag(self, tag, attrs):
        name = self._local(tag)
        if name in _SKIP:
            if name not in _VOID:
                self.skip_stack.append(name)
            return
        if self.skip_stack:
            return
        if name in _BLOCK:
            self.parts.append(_PARA)
        elif name in _LINE:
            self.parts.append(_LINEMARK)
            if name == "li":
                self.parts.append("· ")
        elif name in _CELL:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        name = self._local(tag)
        if self.skip_stack:
            return
        if name in _BLOCK:
            self.parts.append(_PARA)
        elif name in _LINE:
            self.parts.append(_LINEMARK)

    def handle_endtag(self, tag):
        name = self._local(tag)
        if self.skip_stack:
            if name in self.skip_stack:
                while self.skip_stack and self.skip_stack.pop() != name:
                    pass
            return
        if name in _BLOCK:
            self.parts.append(_PARA)
        elif name in ("li", "tr", "caption"):
            self.parts.append(_LINEMARK)
        elif name in _CELL:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip_stack:
            self.parts.append(_clean_chars(data))


def _clean_chars(text: str) -> str:
    return _INVISIBLE.sub("", text)


def defang(text: str) -> str:
    """Make sure no ``<`` in ``text`` can start a tag (uses U+2039 instead)."""
    return _TAG_START.sub("\u2039", text)


def _finish(raw: str, paragraphs: bool) -> str:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for para in raw.split(_PARA):
        lines = []
        for chunk in para.replace(_LINEMARK, "\n").split("\n"):
            line = _SPACES.sub(" ", chunk).strip()
            if line:
                lines.append(line)
        if lines:
            out.append("\n".join(lines))
    if not paragraphs:
        return defang(" ".join(" ".join(out).split()))
    return defang("\n\n".join(out))


def html_to_text(html: str | None, *, paragraphs: bool = True) -> str:
    """Plain TV-safe text from an HTML fragment (never raises for ``str``)."""
    if not html:
        return ""
    html = unicodedata.normalize("NFC", _clean_chars(html))
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
        raw = "".join(parser.parts)
    except Exception:  # html.parser is lenient; this is a last resort
        raw = re.sub(r"<[^>]*>?", " ", html)
    return _finish(raw, paragraphs)


def plain_text(text: str | None, *, paragraphs: bool = True) -> str:
    """Normalise text that is already plain (no HTML parsing, no entity decoding)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", _clean_chars(text))
    text = re.sub(r"\n[ \t\u00a0\u3000]*\n+", _PARA, text.replace("\r\n", "\n"))
    return _finish(text, paragraphs)


def summarise(text: str, limit: int = 160) -> str:
    """First paragraph of plain text, cut at ``limit`` characters on a word."""
    first = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    if len(first) <= limit:
        return first
    cut = first[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:·") + "…"


_ISO_FIXUPS = [
    (re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})\.?"), r"\1-\2-\3"),  # 2024.05.01
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})"), r"\1-\2-\3"),
]


def parse_datetime(value: str | None) -> datetime | None:
    """An aware datetime in Asia/Seoul from RFC 822 or ISO 8601 text, else None.

    Times without a zone are taken as Korean time, which is what Korean
    government feeds mean when they leave the zone out.
    """
    if not value:
        return None
    value = " ".join(value.split())
    if not value or len(value) > 64:
        return None
    dt = None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        dt = None
    if dt is None:
        iso = value
        for pattern, repl in _ISO_FIXUPS:
            iso = pattern.sub(repl, iso)
        iso = re.sub(r"^(\d{4})-(\d)-", r"\1-0\2-", iso)
        iso = re.sub(r"^(\d{4}-\d{2})-(\d)(?!\d)", r"\1-0\2", iso)
        iso = re.sub(r"(?i)\s*(KST)$", "+09:00", iso)
        iso = re.sub(r"(?i)\s*(UTC|GMT|Z)$", "+00:00", iso)
        try:
            dt = datetime.fromisoformat(iso)
        except ValueError:
            return None
    try:
        if dt.tzinfo is None or dt.utcoffset() is None:
            dt = dt.replace(tzinfo=SEOUL)
        return dt.astimezone(SEOUL)
    except (OverflowError, ValueError):
        return None


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag, attrs):
        if self.src is None and tag.rsplit(":", 1)[-1].lower() == "img":
            for name, value in attrs:
                if name == "src" and value:
                    self.src = value.strip()
                    return

    handle_startendtag = handle_starttag


def first_image_src(html: str | None) -> str | None:
    """The ``src`` of the first ``<img>`` in an HTML fragment, if any."""
    if not html or "<" not in html:
        return None
    finder = _ImageFinder()
    try:
        finder.feed(html)
        finder.close()
    except Exception:
        return None
    return finder.src


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL or None (no javascript:, data:, file: ...)."""
    if not url:
        return None
    url = "".join(url.split())  # feeds wrap long URLs
    if not url or len(url) > 2048:
        return None
    if base and safe_url(base) is not None:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url
