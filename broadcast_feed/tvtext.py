"""Article text for the TV: split a body into pages that fit the article box
at 1280x720, at the box's text size (32, 37 or 43 px), without scrolling.

Widths are estimated per character (Hangul and CJK one em, Latin about
0.6 em, spaces 0.3 em) on the high side, and lines break between words like
the CSS ``word-break: keep-all`` the TV uses, so the browser never needs
more lines than counted here. ``article_context`` is what the TV article
template needs; the console's preview renders the same template with it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FONT_PX = {"normal": 32, "large": 37, "xlarge": 43}
BOX_WIDTH = 1088  # px of text per line inside the article box
BOX_HEIGHT = 300  # px of body text per page (title, meta and pager take the rest)
#: 아주 크게: the title wraps to two lines rather than being cut, so the text gets less room (three lines a page)
BOX_HEIGHT_BY_SIZE = {"xlarge": 200}
LINE_HEIGHT = 1.5
PARAGRAPH_GAP = 0.4  # in lines


def char_em(ch: str) -> float:
    if ch == " ":
        return 0.3
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch.isdigit():
        return 0.6
    if ch.isalpha():
        return 0.66 if ch.isupper() else 0.58
    return 0.45


def text_em(text: str) -> float:
    return sum(char_em(c) for c in text)


@dataclass(frozen=True)
class Geometry:
    font_px: int
    line_em: float  # how many em fit on a line
    lines: int  # lines per page

    @classmethod
    def for_size(cls, text_size: str = "normal") -> "Geometry":
        px = FONT_PX.get(text_size, FONT_PX["normal"])
        height = BOX_HEIGHT_BY_SIZE.get(text_size, BOX_HEIGHT)
        return cls(px, BOX_WIDTH / px, max(2, int(height // (px * LINE_HEIGHT))))


def wrap(paragraph: str, line_em: float) -> list[str]:
    """Greedy line breaking between words; a word longer than a line is cut."""
    lines: list[str] = []
    current, width = "", 0.0
    for word in paragraph.split():
        w = text_em(word)
        if w > line_em:  # cut a very long word into pieces that fit
            if current:
                lines.append(current)
                current, width = "", 0.0
            piece, pw = "", 0.0
            for ch in word:
                if pw + char_em(ch) > line_em:
                    lines.append(piece)
                    piece, pw = "", 0.0
                piece += ch
                pw += char_em(ch)
            current, width = piece, pw
            continue
        extra = w + (char_em(" ") if current else 0)
        if current and width + extra > line_em:
            lines.append(current)
            current, width = word, w
        else:
            current = current + " " + word if current else word
            width += extra
    if current:
        lines.append(current)
    return lines


def paginate(body: str, text_size: str = "normal") -> list[list[str]]:
    """Pages of paragraphs (a paragraph may continue on the next page)."""
    geo = Geometry.for_size(text_size)
    paragraphs = [" ".join(p.split()) for p in (body or "").split("\n") if p.strip()]
    pages: list[list[str]] = []
    page: list[str] = []
    used = 0.0
    for para in paragraphs:
        lines = wrap(para, geo.line_em)
        while lines:
            gap = PARAGRAPH_GAP if page else 0.0
            room = int(geo.lines - used - gap + 1e-9)
            if room <= 0:
                pages.append(page)
                page, used = [], 0.0
                continue
            take, lines = lines[:room], lines[room:]
            page.append(" ".join(take))
            used += gap + len(take)
            if lines:
                pages.append(page)
                page, used = [], 0.0
    if page or not pages:
        pages.append(page)
    return pages


def article_context(item, page: int, text_size: str, page_url, parent_url: str) -> dict:
    """Everything tvapp/templates/news/article.html needs for one page."""
    pages = paginate(item.body or item.summary or "", text_size)
    has_image = bool(getattr(item, "image", None))
    if has_image:
        pages.append([])  # the picture gets the last page of its own
    page = min(max(1, page), len(pages))
    return {
        "item": item,
        "paragraphs": pages[page - 1],
        "image_page": has_image and page == len(pages),
        "page": page,
        "pages": len(pages),
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < len(pages) else None,
        "nav_parent": parent_url,
    }
