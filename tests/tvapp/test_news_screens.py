"""지역 소식 on the TV, rendered as a paired box: focus graphs, categories,
paging (at most 20 per screen), article pages with arrow-key paging, only
published and unexpired items newest first; the ticker on every TV screen
and its JSON/SSE endpoints."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from test_tv_screens import check_screen, device_of, pair

from broadcast_feed import demo as news_demo
from broadcast_feed import store, tvtext, workflow
from remote_nav import FocusGraph
from services.models import Device, utcnow

APPROVER = workflow.Actor(2, "ap", "approver")


@pytest.fixture
def tv(demo, client):
    news_demo.seed(demo)
    client.household_id = pair(client, demo)
    return client


def published(rt):
    with rt.session() as s:
        rows, _ = store.published_items(s, utcnow(), limit=100)
        return [(r.id, r.title, r.category) for r in rows]


def test_news_list_paged_newest_first(tv, demo):
    html = tv.get("/tv/news/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    items = published(demo)
    assert len(items) == 12
    first = items[0]
    assert g.initial == "news-%d" % first[0]
    # a page holds the rows that fit: at most 5, fewer where a title takes two lines
    bounds = tvtext.list_pages([t for _, t, _ in items], "normal")
    assert 3 <= len(bounds) <= 4 and all(1 <= b - a <= 5 for a, b in bounds)
    assert "1 / %d 쪽" % len(bounds) in html and "cat-all" in g.focusables
    ids = [int(m) for m in re.findall(r'id="news-(\d+)"', html)]
    assert ids == [i for i, _, _ in items[bounds[0][0]:bounds[0][1]]]
    assert g.colour_keys.get("BLUE") == "다음 쪽"
    html3 = tv.get("/tv/news/?page=%d" % len(bounds)).get_data(as_text=True)
    check_screen(html3, "/tv/")
    assert [int(m) for m in re.findall(r'id="news-(\d+)"', html3)] == [i for i, _, _ in items[bounds[-1][0]:]]
    # every item is on one page, in order
    seen = []
    for n in range(1, len(bounds) + 1):
        seen += [int(m) for m in re.findall(r'id="news-(\d+)"', tv.get("/tv/news/?page=%d" % n).get_data(as_text=True))]
    assert seen == [i for i, _, _ in items]
    # the categories row sits above the list
    assert g.press("UP") in {"cat-all"} | {f for f in g.focusables if f.startswith("cat-")}


def test_category_filter(tv, demo):
    items = published(demo)
    cat = items[0][2]
    html = tv.get("/tv/news/?cat=%s" % cat).get_data(as_text=True)
    check_screen(html, "/tv/")
    ids = {int(m) for m in re.findall(r'id="news-(\d+)"', html)}
    assert ids and ids <= {i for i, _, c in items if c == cat}
    assert 'class="btn news-cat selected"' in html


def test_only_published_unexpired_items(tv, demo):
    items = published(demo)
    with demo.session() as s:
        store.get_item(s, items[0][0]).expires_at = utcnow() - timedelta(seconds=1)
        atom = [i for i in store.list_items(s, "ingested")]
        assert atom  # the community feed waits for the workflow
        hidden = atom[0].id
    html = tv.get("/tv/news/").get_data(as_text=True)
    assert 'id="news-%d"' % items[0][0] not in html
    assert tv.get("/tv/news/%d" % items[0][0]).status_code == 404
    assert tv.get("/tv/news/%d" % hidden).status_code == 404


def test_article_pages_with_arrow_keys(tv, demo):
    item_id = published(demo)[0][0]
    html = tv.get("/tv/news/%d" % item_id).get_data(as_text=True)
    g = check_screen(html, "/tv/news/")
    assert g.initial == "article-text"
    with demo.session() as s:
        item = store.get_item(s, item_id)
        pages = tvtext.paginate(item.body, "normal", tvtext.article_title(item.title, "normal")[1])
    assert len(pages) >= 2
    assert "1 / %d 쪽" % len(pages) in html
    assert 'data-news-next="/tv/news/%d?p=2"' % item_id in html and "data-news-prev" not in html
    assert pages[0][0] in html
    assert g.colour_keys.get("BLUE") == "다음 쪽"
    html2 = tv.get("/tv/news/%d?p=2" % item_id).get_data(as_text=True)
    g2 = check_screen(html2, "/tv/news/")
    assert 'data-news-prev="/tv/news/%d?p=1"' % item_id in html2 and pages[1][0] in html2
    assert g2.colour_keys.get("YELLOW") == "이전 쪽"
    assert "news/news.js" in html2
    # from page 2 of the list, Back returns there
    html3 = tv.get("/tv/news/%d?from=2" % item_id).get_data(as_text=True)
    assert FocusGraph.from_html(html3).parent == "/tv/news/?page=2"


@pytest.mark.parametrize("size,title_lines", [(s, n) for s in ("normal", "large", "xlarge") for n in (1, 2, 3)])
def test_pages_fit_the_article_box(size, title_lines):
    geo = tvtext.Geometry.for_size(size, title_lines)
    body = "\n\n".join(["마포구가 올겨울 한파에 대비해 취약계층 6,200가구에 난방비를 지원한다 " * 3] * 6)
    pages = tvtext.paginate(body, size, title_lines)
    assert len(pages) > 1
    for page in pages:
        lines = sum(len(tvtext.wrap(p, geo.line_em)) for p in page)
        assert lines + tvtext.PARAGRAPH_GAP * (len(page) - 1) <= geo.lines
        for p in page:
            for line in tvtext.wrap(p, geo.line_em):
                assert tvtext.text_em(line) * geo.font_px <= tvtext.BOX_WIDTH
    joined = " ".join(" ".join(p) for p in pages)
    assert joined.split() == body.split()
    assert geo.font_px >= 30
    # the lines counted fit the article box under a title of that many lines, and more title lines leave fewer
    box = tvtext.article_box_px(size, title_lines)
    assert geo.lines * geo.font_px * tvtext.LINE_HEIGHT <= box - tvtext.BOX_BORDER
    assert geo.lines >= 2 and geo.lines <= tvtext.Geometry.for_size(size, title_lines - 1 or 1).lines


def test_article_titles_are_whole_on_the_lines_they_need():
    title = LONG_TITLE
    for size in ("normal", "large"):
        shown, lines = tvtext.article_title(title, size)
        assert shown == title and 2 <= lines <= 3
    assert tvtext.article_title("폭설 대비 제설함 점검", "xlarge") == ("폭설 대비 제설함 점검", 1)
    shown, lines = tvtext.article_title("구청 " * 100, "xlarge")  # longer than the screen gives: cut with …
    assert shown.endswith(" …") and lines == len(tvtext.ARTICLE_BOX_PX["xlarge"])


LONG_TITLE = ("마포구, 2027년 1월부터 65세 이상 어르신과 장애인 가구의 겨울철 난방비와 전기요금 감면을 넓히고 "
              "신청은 동 주민센터 한 곳에서 모두 받기로")  # 80+ characters


def test_list_rows_take_the_lines_their_titles_need():
    assert len(LONG_TITLE) >= 80
    for size in ("normal", "large", "xlarge"):
        assert tvtext.list_title_lines("폭설 대비 제설함 점검", size) == 1
        lines = tvtext.list_title_lines(LONG_TITLE, size)
        assert 2 <= lines < tvtext.list_max_lines(size)
        assert tvtext.list_title(LONG_TITLE, size) == LONG_TITLE  # whole, never cut
        # each line counted fits the title's width (bold, on the high side)
        for line in tvtext.wrap(LONG_TITLE, tvtext.list_line_em(size), tvtext.bold_em):
            assert sum(tvtext.bold_em(c) for c in line) * tvtext.FONT_PX[size] <= tvtext.LIST_TITLE_PX[size]
    # the bigger the text, the more lines
    assert (tvtext.list_title_lines(LONG_TITLE, "normal") <= tvtext.list_title_lines(LONG_TITLE, "large")
            <= tvtext.list_title_lines(LONG_TITLE, "xlarge"))


def test_a_title_longer_than_a_page_ends_with_an_ellipsis():
    huge = "구청 " * 250
    for size in ("normal", "xlarge"):
        shown = tvtext.list_title(huge, size)
        assert shown.endswith(" …") and huge.startswith(shown[:-2])
        assert len(tvtext.wrap(shown, tvtext.list_line_em(size), tvtext.bold_em)) == tvtext.list_max_lines(size)


@pytest.mark.parametrize("size", ["normal", "large", "xlarge"])
def test_list_pages_hold_the_rows_that_fit(size):
    short, long_ = "폭설 대비 제설함 점검", LONG_TITLE
    titles = [short] * 7 + [long_] * 5 + [short] + ["구청 " * 250]
    bounds = tvtext.list_pages(titles, size)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(titles)
    assert all(a < b and b - a <= 5 for a, b in bounds)
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(len(bounds) - 1))  # each title once, in order
    line = tvtext.LIST_LINE_PX[size]
    for a, b in bounds:
        rows = [tvtext.LIST_ROW_PAD + tvtext.list_title_lines(t, size) * line for t in titles[a:b]]
        assert sum(rows) + tvtext.LIST_GAP * (len(rows) - 1) <= tvtext.LIST_ROOM
    # one-line rows: 5 a page at 보통, fewer at 크게 / 아주 크게; long titles take pages of their own
    per_page = {"normal": 5, "large": 4, "xlarge": 4}[size]
    assert tvtext.list_pages([short] * 10, size) == [(i, min(i + per_page, 10)) for i in range(0, 10, per_page)]
    assert tvtext.list_pages([], size) == [(0, 0)]


def test_categories_that_fit_their_row():
    korean = ["전체", "문화", "복지", "행정", "교통", "안전", "환경"]
    english = ["All", "Culture", "Welfare", "Administration", "Transport", "Safety", "Environment"]
    assert tvtext.categories_that_fit(korean, "normal") == 7
    assert tvtext.categories_that_fit(english, "normal") < 7
    assert tvtext.categories_that_fit(english, "xlarge") <= tvtext.categories_that_fit(english, "normal")
    assert tvtext.categories_that_fit(english, "xlarge") >= 2  # 전체 and at least one


def test_news_in_english_keeps_the_districts_korean_marked(tv, demo):
    """On an English screen the categories and dates are English; the district's Korean titles
    and text stay as written, marked lang="ko" (screen readers read them as Korean)."""
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).lang = "en"
    items = published(demo)
    html = tv.get("/tv/news/").get_data(as_text=True)
    assert ">All<" in html and ">Welfare<" in html and ">복지<" not in html
    assert not re.search(r"\d+월 \d+일", html) and re.search(r'class="n-when">[A-Z][a-z]{2} \d{1,2}<', html)
    assert '<span class="n-title" lang="ko">%s</span>' % items[0][1] in html
    page = tv.get("/tv/news/%d" % items[0][0]).get_data(as_text=True)
    assert 'id="article-title" lang="ko"' in page and 'id="article-text"' in page
    assert re.search(r'id="article-text"[^>]* lang="ko"', page)
    assert re.search(r'<span class="a-cat">[A-Z][a-z]+</span>[A-Z][a-z]{2} \d{1,2}, \d{4} \d{2}:\d{2}', page)
    meta = re.search(r'<p class="a-meta">(.*?)</p>', page).group(1)  # (the text itself is the district's Korean)
    assert not re.search(r"\d+년|\d+월 \d+일", meta)


def test_empty_news_is_calm(demo, client):
    client.household_id = pair(client, demo)
    html = client.get("/tv/news/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert "지금은 새 소식이 없습니다" in html and g.initial == "news-home"


def test_ticker_on_every_tv_screen(tv, demo):
    # the demo CAP cold-wave warning is on air
    for path in ("/tv/", "/tv/news/", "/tv/requests/", "/tv/settings/"):
        html = tv.get(path).get_data(as_text=True)
        assert 'class="safe has-ticker"' in html, path
        m = re.search(r'<div class="tv-ticker" id="tv-ticker"[^>]*>(.*?)</div>', html, re.S)
        assert "한파" in m.group(1)
        assert "news/ticker.js" in html
        g = FocusGraph.from_html(html)
        assert "tv-ticker" not in g.focusables
    tid = workflow.write_ticker(demo, APPROVER, "단수 안내: 오늘 14시부터 2시간", minutes=5)
    html = tv.get("/tv/").get_data(as_text=True)
    assert "단수 안내" in html
    payload = tv.get("/tv/ticker.json").get_json()
    assert [m["text"] for m in payload["messages"]][0] == "단수 안내: 오늘 14시부터 2시간"
    with demo.session() as s:
        for t in store.list_tickers(s):
            t.state = "expired"
    html = tv.get("/tv/").get_data(as_text=True)
    assert 'id="tv-ticker" role="status" aria-live="polite" lang="ko" hidden' in html
    assert tid


def test_ticker_stream_is_bounded_sse(app, demo):
    from broadcast_feed import push

    chunks = list(push.sse_stream(demo, max_seconds=1.2, keepalive=0.5))
    assert chunks[0].startswith("retry: ")
    event = chunks[1]
    assert event.startswith("event: ticker\ndata: ") and event.endswith("\n\n")
    assert json.loads(event.split("data: ", 1)[1])["messages"] == []
    assert any(c.startswith(": keepalive") for c in chunks[2:])
    r = app.test_client().get("/tv/ticker")
    assert r.mimetype == "text/event-stream" and r.is_streamed
    r.close()
