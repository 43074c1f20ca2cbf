"""The news list in real Chromium at every text size (issue 17: "아주 크게 is
designed, not scaled: wrapped lines, lists that page"): a row shows its whole
title on as many lines as it needs, 80+ characters too, never cut; a page
holds the rows that fit above the pager with the ticker shown, inside the
title-safe area; paging with the remote reaches every item once, in order;
the lines the server counted for a title are never fewer than the browser
draws. In English the categories fit their row and the district's Korean
titles are marked lang="ko". Screenshots go to test-artifacts/news/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcast_feed import demo as news_demo
from broadcast_feed import store, tvtext
from broadcast_feed.models import PUBLISHED, NewsItem
from services.models import utcnow
from tests.tvapp.browser.test_screen_audit import set_size_and_lang
from tests.tvapp.browser.test_tv_browser import go, press_nav

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "news"

TITLES = [
    "마포구, 2027년 1월부터 65세 이상 어르신과 장애인 가구의 겨울철 난방비와 전기요금 감면을 넓히고 "
    "신청은 동 주민센터 한 곳에서 모두 받기로",
    "‘2026 Mapo Book Festival’ 경의선 책거리에서 11월 21일부터 23일까지… 작가 120명 참여, "
    "어린이 프로그램 48개와 헌책 나눔 장터 “책 바꿔 읽기”도 열려",
    "폭설 대비 제설함 1,284곳 점검",
    "망원한강공원 자전거도로 2.4km 구간 야간 조명 교체 공사로 12월 1일부터 31일까지 밤 10시 이후 통행을 "
    "막고, 우회로는 망원나들목에서 안내합니다",
    "[안내] 마포구청 민원실 점심시간(12:00~13:00)에도 주민등록 등·초본과 토지대장 발급은 그대로 합니다",
]

ROWS_JS = """() => {
  const rows = Array.from(document.querySelectorAll('.news-row')).map(r => {
    const t = r.querySelector('.n-title'), b = r.getBoundingClientRect(), tb = t.getBoundingClientRect();
    const lh = parseFloat(getComputedStyle(t).lineHeight);
    return {id: r.id, title: t.textContent, lang: t.getAttribute('lang'), top: b.top, bottom: b.bottom,
            lines: Math.round(tb.height / lh), cut: t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1};
  });
  const pager = document.getElementById('news-pager');
  const cats = document.getElementById('news-cats');
  const box = cats && cats.getBoundingClientRect();
  const catsCut = cats ? Array.from(cats.querySelectorAll('.news-cat')).filter(c =>
      c.getBoundingClientRect().right > box.right + 0.5 || c.getBoundingClientRect().bottom > box.bottom + 0.5)
      .map(c => c.textContent) : [];
  return {rows, pagerTop: pager ? pager.getBoundingClientRect().top : null,
          mainBottom: document.getElementById('tv-main').getBoundingClientRect().bottom,
          ticker: !document.getElementById('tv-ticker').hidden, catsCut};
}"""


def publish(rt, titles):
    """The titles as the newest published items (the first newest), beside the demo news."""
    now = utcnow()
    with rt.session() as s:
        src = store.ensure_source(s, "테스트 보도자료", "rss").id
        for n, title in enumerate(titles):
            s.add(NewsItem(source_id=src, key="long-%d" % n, title=title, body="본문입니다. " * 40,
                           category="복지", state=PUBLISHED, went_live_at=now,
                           published_at=now + timedelta(minutes=len(titles) - n), fingerprint="long-%d" % n))


@pytest.mark.parametrize("size,lang", [("normal", "ko"), ("large", "ko"), ("xlarge", "ko"), ("xlarge", "en")])
def test_every_title_whole_and_every_page_fits(server, demo, tv, size, lang):
    news_demo.seed(demo)  # the demo news and the cold-wave ticker
    publish(demo, TITLES)
    with demo.session() as s:
        everything = [(r.id, r.title) for r in store.published_items(s, utcnow(), limit=100)[0]]
    tv.page.goto(server + "/tv/simulator")  # pairs this box to the first demo household
    set_size_and_lang(tv, server, size, lang)
    go(tv, server + "/tv/news/")
    seen, page = [], 1
    while True:
        shot = tv.screenshot(ARTIFACTS / ("tv-news-list-%s-%s-p%d.png" % (size, lang, page)))
        found = tv.page.evaluate(ROWS_JS)
        assert found["ticker"], "the demo ticker is on: the page must fit with it"
        assert found["rows"] and len(found["rows"]) <= 5
        assert found["catsCut"] == [], shot
        bottom = found["pagerTop"] if found["pagerTop"] is not None else found["mainBottom"]
        for row in found["rows"]:
            title = dict(everything)[int(row["id"].split("-")[1])]
            assert row["title"] == title, "a title is shown whole"
            assert not row["cut"], (row, shot)
            assert row["bottom"] <= bottom + 0.5, ("a row runs under the pager", row, shot)
            # the server counted at least the lines the browser draws (so its pages fit)
            assert row["lines"] <= tvtext.list_title_lines(title, size), (row, shot)
            assert row["lang"] == ("ko" if lang == "en" else None)
        assert tv.small_text(30) == [] and tv.outside_safe_area() == [], shot
        seen += [int(r["id"].split("-")[1]) for r in found["rows"]]
        if tv.page.query_selector("#news-next") is None:
            break
        press_nav(tv, "BLUE", "/tv/news/")
        page += 1
        assert tv.page.url.endswith("page=%d" % page)
    assert seen == [i for i, _ in everything]  # every item once, in order
    long_rows = [n for n, t in enumerate(TITLES) if len(t) >= 80]
    assert len(long_rows) >= 3
    if size != "normal":  # fewer rows to a page than 보통's five
        assert page > -(-len(everything) // 5)


ARTICLE_JS = """() => {
  const r = (id) => document.getElementById(id).getBoundingClientRect();
  const text = document.getElementById('article-text');
  return {title: document.getElementById('article-title').textContent, titleBottom: r('article-title').bottom,
          metaTop: document.querySelector('.a-meta').getBoundingClientRect().top,
          metaBottom: document.querySelector('.a-meta').getBoundingClientRect().bottom,
          textTop: r('article-text').top, textBottom: r('article-text').bottom, pagerTop: r('article-pager').top,
          fits: text.scrollHeight <= text.clientHeight + 1};
}"""


@pytest.mark.parametrize("size", ["normal", "large", "xlarge"])
def test_an_article_shows_its_long_title_whole(server, demo, tv, size):
    """The article of an 80+ character title: the whole title on its lines, then the date, the text box
    (a page of text that fits it) and the pager, none over another, with the ticker shown."""
    news_demo.seed(demo)
    publish(demo, TITLES[:1])
    tv.page.goto(server + "/tv/simulator")
    set_size_and_lang(tv, server, size, "ko")
    go(tv, server + "/tv/news/")
    press_nav(tv, "OK", "/tv/news/")
    pages = 1
    while True:
        shot = tv.screenshot(ARTIFACTS / ("tv-news-long-article-%s-p%d.png" % (size, pages)))
        found = tv.page.evaluate(ARTICLE_JS)
        assert len(TITLES[0]) >= 80 and found["title"] == TITLES[0], shot
        assert found["titleBottom"] <= found["metaTop"] + 0.5 and found["metaBottom"] <= found["textTop"] + 0.5, shot
        assert found["textBottom"] <= found["pagerTop"] + 0.5 and found["fits"], shot
        assert tv.small_text(30) == [] and tv.outside_safe_area() == [], shot
        if tv.page.query_selector("#article-next") is None:
            break
        press_nav(tv, "RIGHT", "/tv/news/")
        pages += 1
    assert pages >= 2
