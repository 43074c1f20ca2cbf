"""The text normaliser never raises and never emits a '<' that starts a tag."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from broadcast_feed.text import html_to_text, parse_datetime, plain_text, summarise

TAG_START = re.compile(r"<[A-Za-z/!?]")
tags = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<br/>",
        "<script>",
        "</script>",
        "<style>",
        "<div class='x'>",
        "</div>",
        "<li>",
        "<",
        ">",
        "&lt;",
        "&gt;",
        "&amp;lt;script&amp;gt;",
        "&#60;",
        "&#x3c;b&#x3e;",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<?xml ?>",
        "<!DOCTYPE html>",
        "&nbsp;",
        "\u00a0",
        "\u200b",
        "\x00",
        "\r\n",
        "\n\n",
        "<a href='javascript:x'>",
        "<img src=x onerror=alert(1)>",
        "&#0;",
        "&#xD800;",
        "\ufeff",
        "<textarea>",
        "<svg><script>",
        "<SCRIPT >",
        "</ScRiPt>",
    ]
)
fragments = st.lists(st.one_of(tags, st.text(max_size=20)), max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(fragments)
def test_html_to_text_is_safe(html):
    for paragraphs in (True, False):
        out = html_to_text(html, paragraphs=paragraphs)
        assert isinstance(out, str)
        assert not TAG_START.search(out)
        assert "\x00" not in out
        if not paragraphs:
            assert "\n" not in out
        assert out == out.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_plain_text_and_summary_are_safe(text):
    out = plain_text(text)
    assert not TAG_START.search(out)
    assert "\n\n\n" not in out
    assert len(summarise(out, 40)) <= 41


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_parse_datetime_never_raises(text):
    dt = parse_datetime(text)
    assert dt is None or dt.utcoffset() is not None


def test_paragraphs_entities_and_scripts():
    html = "<h1>제목</h1><p>첫&nbsp;문단&hellip;</p><script>x()</script><p>둘째<br>줄</p>"
    assert html_to_text(html) == "제목\n\n첫 문단…\n\n둘째\n줄"
    assert (
        html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;")
        == "\u2039script>alert(1)\u2039/script>"
    )
    assert html_to_text("a < b > c") == "a < b > c"
