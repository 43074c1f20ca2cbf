"""The screen audit's own checks on small made-up pages (real Chromium): the
English screens' Hangul check lets Korean through only where the page says it
is Korean (the nearest ``lang`` is ``ko``: a name, an address, a car's plate,
the district's own news), and still catches any other Korean."""

from __future__ import annotations

import pytest

from remote_nav.driver import TvDriver
from tests.support.screen_audit import _MEASURE_JS, KEEP_HANGUL, MIN_PX, SAFE_X, SAFE_Y

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="%s"><head><meta charset="utf-8"><style>
body { margin: 0; font-size: 32px; } main { position: absolute; left: 100px; top: 60px; width: 1000px; }
</style></head><body><main>%s</main></body></html>"""


@pytest.fixture(scope="module")
def page(browser):
    tv = TvDriver.open(browser)
    yield tv.page
    tv.close()


def hangul(page, body: str, lang: str = "en", english: bool = True) -> list[str]:
    page.set_content(PAGE % (lang, body))
    found = page.evaluate(_MEASURE_JS, {"safeX": SAFE_X, "safeY": SAFE_Y, "minPx": MIN_PX["normal"],
                                        "keep": list(KEEP_HANGUL), "english": english})
    return [f["text"] for f in found["hangul"]]


def test_unmarked_korean_on_an_english_page_is_found(page):
    assert hangul(page, "<h1>News</h1><p>지역 소식</p>") == ["지역 소식"]
    assert hangul(page, "<p>Due <b>2026년 12월 24일</b></p>") == ["2026년 12월 24일"]
    # a word left in an English sentence
    assert hangul(page, "<p>2026 Automobile tax · 개인분 주민세</p>") == ["2026 Automobile tax · 개인분 주민세"]


def test_korean_marked_as_korean_passes(page):
    assert hangul(page, '<p lang="ko">마포구, 겨울철 난방비 지원 확대</p>') == []
    assert hangul(page, '<div lang="ko"><p>본문 <b>첫</b> 문단</p></div>') == []  # the nearest lang is ko
    assert hangul(page, '<p lang="ko-KR">망원동 45-7</p>') == []
    # only the marked part: a plate number is a name, the car's kind is ours to translate
    assert hangul(page, '<p>Tax · <span lang="ko">서울12가3456</span> (passenger car)</p>') == []
    assert hangul(page, '<p>Tax · <span lang="ko">서울12가3456</span> (승용)</p>') == ["(승용)"]


def test_english_inside_korean_is_english_again(page):
    """The nearest lang decides: an element inside Korean content that says it is English is checked."""
    assert hangul(page, '<div lang="ko"><p>소식</p><p lang="en">Posted 11월 20일</p></div>') == ["Posted 11월 20일"]


def test_other_attributes_do_not_excuse_korean(page):
    assert hangul(page, '<p data-i18n-keep>세목</p><p class="ko" title="ko">은행</p>') == ["세목", "은행"]


def test_korean_pages_are_not_checked(page):
    assert hangul(page, "<p>지역 소식</p>", lang="ko", english=False) == []
