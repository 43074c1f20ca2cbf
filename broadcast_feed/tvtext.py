"""Article text for the TV: split a body into pages that fit the article box
at 1280x720, at the box's text size (32, 37 or 43 px), without scrolling.

Widths are estimated per character (Hangul, CJK and the marks Korean fonts
draw as wide, such as … and “, one em; Latin about 0.6 em, spaces 0.3 em) on
the high side, and lines break between words like the CSS ``word-break:
keep-all`` the TV uses, so the browser never needs more lines than counted
here. ``article_context`` is what the TV article template needs; the
console's preview renders the same template with it. The news list's rows
wrap their titles the same way, and the list pages by the rows that fit
(``list_pages``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FONT_PX = {"normal": 32, "large": 37, "xlarge": 43}
BOX_WIDTH = 1088  # px of text per line inside the article box
BOX_BORDER = 8  # px of the box's border, above and below its text
#: The article's title (news.css ``.a-title``: bold, 1.1rem, 1152 px wide) wraps onto the lines it
#: needs; each line it takes comes off the text box below it (``.news-article.tl-N .a-text``), so a
#: page of text holds fewer lines. px of the text box (border included) by text size and title lines;
#: a title longer than the most lines kept here ends with … (the list shows it whole).
ARTICLE_BOX_PX = {"normal": (300, 256, 212, 168), "large": (300, 249, 198, 147), "xlarge": (265, 208, 151)}
ARTICLE_TITLE_PX = 1152
ARTICLE_TITLE_FONT = 1.1  # rem
LINE_HEIGHT = 1.5
PARAGRAPH_GAP = 0.4  # in lines


def char_em(ch: str) -> float:
    if ch == " ":
        return 0.3
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):  # "A": …, “, · are as wide as Hangul in Korean fonts
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
    def for_size(cls, text_size: str = "normal", title_lines: int = 1) -> "Geometry":
        size = text_size if text_size in FONT_PX else "normal"
        px = FONT_PX[size]
        text_px = article_box_px(size, title_lines) - BOX_BORDER
        return cls(px, BOX_WIDTH / px, max(2, int(text_px // (px * LINE_HEIGHT))))


def article_box_px(text_size: str = "normal", title_lines: int = 1) -> int:
    """px of the article's text box under a title of ``title_lines`` lines."""
    boxes = ARTICLE_BOX_PX.get(text_size, ARTICLE_BOX_PX["normal"])
    return boxes[min(max(1, title_lines), len(boxes)) - 1]


def article_title(title: str, text_size: str = "normal") -> tuple[str, int]:
    """The article's title as shown and the lines it takes: whole on the lines it needs, up to
    the most the text box gives up (``ARTICLE_BOX_PX``); a longer one ends with …."""
    size = text_size if text_size in FONT_PX else "normal"
    title = " ".join((title or "").split())
    line_em = ARTICLE_TITLE_PX / (FONT_PX[size] * ARTICLE_TITLE_FONT)
    lines = wrap(title, line_em, bold_em)
    most = len(ARTICLE_BOX_PX[size])
    if len(lines) <= most:
        return title, max(1, len(lines))
    last = lines[most - 1]
    while last and sum(bold_em(c) for c in last + " …") > line_em:
        last = last[:-1]
    return " ".join(lines[:most - 1] + [last.rstrip() + " …"]), most


def bold_em(ch: str) -> float:
    """:func:`char_em` for bold text (the news list's titles), measured on the
    widest of the TV's Korean fonts (NanumGothic Bold) with a little to spare:
    Hangul one em, digits and spaces wider than in regular text."""
    if ch == " ":
        return 0.36
    if ch.isdigit() and ch.isascii():
        return 0.72
    if ch.isascii() and ch.isalpha():
        return 0.74 if ch.isupper() else 0.64
    if ch in ",.'\":;!|":
        return 0.4
    if ch in "()[]{}-/":
        return 0.5
    if ch.isascii():
        return 0.86  # ~ @ # % & and the like
    return max(char_em(ch), 0.72)


def wrap(paragraph: str, line_em: float, char_em=char_em) -> list[str]:
    """Greedy line breaking between words; a word longer than a line is cut.
    ``char_em``: the width of a character (:func:`bold_em` for bold text)."""
    lines: list[str] = []
    current, width = "", 0.0
    for word in paragraph.split():
        w = sum(char_em(c) for c in word)
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


def paginate(body: str, text_size: str = "normal", title_lines: int = 1) -> list[list[str]]:
    """Pages of paragraphs (a paragraph may continue on the next page) under
    a title of ``title_lines`` lines."""
    geo = Geometry.for_size(text_size, title_lines)
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
    title, title_lines = article_title(item.title, text_size)
    pages = paginate(item.body or item.summary or "", text_size, title_lines)
    has_image = bool(getattr(item, "image", None))
    if has_image:
        pages.append([])  # the picture gets the last page of its own
    page = min(max(1, page), len(pages))
    return {
        "item": item,
        "title": title,
        "title_lines": title_lines,
        "paragraphs": pages[page - 1],
        "image_page": has_image and page == len(pages),
        "page": page,
        "pages": len(pages),
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < len(pages) else None,
        "nav_parent": parent_url,
    }


# -- the news list -------------------------------------------------------------
# A row of the list (tvapp/templates/news/list.html, static/news/news.css) is its number, its title
# wrapped onto as many lines as it needs, and its date; the list pages by as many rows as fit the
# room between the categories and the pager, with the ticker shown (it may come at any time), so a
# page holds fewer rows at 크게 and 아주 크게 and fewer still when titles take two lines or more.

#: px of a row's title line, by text size (1152 px of row, less its border and padding, the number
#: and the date column: news.css)
LIST_TITLE_PX = {"normal": 878, "large": 848, "xlarge": 828}
#: px of one line of a title (news.css: ``.n-title`` line-height)
LIST_LINE_PX = {"normal": 40, "large": 46, "xlarge": 54}
LIST_ROW_PAD = 16  # px of a row above and below its lines (border and padding)
LIST_GAP = 8  # px between rows
LIST_ROOM = 316  # px for the rows: 456 of screen under the ticker, less the categories (74) and the pager
#: the category row: 1152 px; a button's border, padding and margin (news.css ``.news-cat``)
CATEGORY_ROOM = 1152
CATEGORY_PAD = 66


def list_line_em(text_size: str = "normal") -> float:
    size = text_size if text_size in LIST_TITLE_PX else "normal"
    return LIST_TITLE_PX[size] / FONT_PX[size]


def _title_lines(title: str, text_size: str) -> list[str]:
    return wrap(" ".join((title or "").split()), list_line_em(text_size), bold_em)


def list_max_lines(text_size: str = "normal") -> int:
    """The most lines one row may take: a page's room for one row."""
    size = text_size if text_size in LIST_LINE_PX else "normal"
    return (LIST_ROOM - LIST_ROW_PAD) // LIST_LINE_PX[size]


def list_title_lines(title: str, text_size: str = "normal") -> int:
    """How many lines ``title`` takes in a row of the list (counted on the high side)."""
    return max(1, min(len(_title_lines(title, text_size)), list_max_lines(text_size)))


def list_title(title: str, text_size: str = "normal") -> str:
    """``title`` as a row shows it: whole, but for one longer than a whole page's room (a title
    of hundreds of characters), which ends with … after the lines that fit (the article has it whole)."""
    title = " ".join((title or "").split())
    lines = _title_lines(title, text_size)
    most = list_max_lines(text_size)
    if len(lines) <= most:
        return title
    last = lines[most - 1]
    while last and sum(bold_em(c) for c in last + " …") > list_line_em(text_size):
        last = last[:-1]
    return " ".join(lines[:most - 1] + [last.rstrip() + " …"])


def list_pages(titles: list[str], text_size: str = "normal", max_rows: int = 5) -> list[tuple[int, int]]:
    """The list's pages as ``(start, end)`` of ``titles`` (in order): as many rows as fit the
    room, at most ``max_rows``; one empty page when there is nothing."""
    size = text_size if text_size in LIST_LINE_PX else "normal"
    pages: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, title in enumerate(titles):
        height = LIST_ROW_PAD + list_title_lines(title, size) * LIST_LINE_PX[size]
        if i > start and (used + LIST_GAP + height > LIST_ROOM or i - start >= max_rows):
            pages.append((start, i))
            start, used = i, height
        else:
            used = height if i == start else used + LIST_GAP + height
    pages.append((start, len(titles)))
    return pages


def categories_that_fit(labels: list[str], text_size: str = "normal") -> int:
    """How many of the category buttons ``labels`` (전체 first, then the most used) fit the one
    row above the list at this size; the rest are reached through 전체."""
    size = text_size if text_size in FONT_PX else "normal"
    used, n = 0.0, 0
    for label in labels:
        used += sum(bold_em(c) for c in label) * FONT_PX[size] + CATEGORY_PAD
        if used > CATEGORY_ROOM:
            break
        n += 1
    return n
