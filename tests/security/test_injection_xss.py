"""HTML, script and template payloads never reach a page as markup.

They come in two ways: in news feeds (RSS title, description, category,
link, image; Atom xhtml content; a CAP alert that becomes the urgent ticker)
and from operators in the console (item edit, ticker, source name and
address, upload name, operator name, the login form). Every TV page that
shows them (news list, article pages, home with the ticker, ticker JSON, the
SSE ticker stream, the console's preview) and every console page is parsed
with lxml.html: no injected element or event attribute exists, no
``javascript:`` address, no evaluated ``{{7*7}}``; and the payload text is
there, shown as text (so the check is not passing on an empty page).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import select

from broadcast_feed import store, tasks, workflow
from broadcast_feed.models import NewsItem, TickerMessage
from broadcast_feed.text import SEOUL
from services.models import utcnow
from tests.security.conftest import console_login, csrf_token
from tests.tvapp.test_tv_screens import pair

MARK = {  # what must be seen as text; each is also part of an attack
    "title": 'alert("xss-title")',
    "body": 'alert("xss-body")',
    "cat": "xss-cat",
    "atom": 'alert("xss-atom")',
    "cap": 'alert("xss-cap")',
    "edit": 'alert("xss-edit")',
    "ticker": 'alert("xss-ticker")',
    "source": 'alert("xss-source")',
}
SSTI = "{{7*7}}"


def rss(now) -> bytes:
    when = now.astimezone(SEOUL).strftime("%a, %d %b %Y %H:%M:%S +0900")
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>hostile &lt;script&gt;alert(1)&lt;/script&gt;</title><link>https://news.example.org/</link>
<item><guid>h-1</guid><pubDate>%(when)s</pubDate>
  <title>&amp;lt;script&amp;gt;alert("xss-title")&amp;lt;/script&amp;gt; "&amp;gt;&amp;lt;img src=x onerror=alert(1)&amp;gt; {{7*7}}</title>
  <link>javascript:alert("xss-link")</link>
  <category>&lt;b onmouseover=alert(1)&gt;xss-cat&lt;/b&gt;</category>
  <enclosure url="javascript:alert(2)" type="image/png"/>
  <description><![CDATA[<p>&lt;/p&gt;&lt;script&gt;alert("xss-body")&lt;/script&gt; {{7*7}} ${7*7}</p>
  <script>alert("raw-script")</script><img src=x onerror="alert('raw-img')">
  <a href="javascript:alert('raw-href')">link</a><iframe src="javascript:alert(3)"></iframe>
  <p>"&gt;&lt;svg onload=alert(4)&gt; &lt;/textarea&gt;&lt;script&gt;alert(5)&lt;/script&gt;</p>]]></description>
</item>
<item><guid>h-2</guid><pubDate>%(when)s</pubDate>
  <title>second &amp;lt;iframe src=javascript:alert(6)&amp;gt;</title>
  <link>https://news.example.org/a"&gt;&lt;script&gt;alert(7)&lt;/script&gt;</link>
  <description>plain body</description>
</item>
</channel></rss>""" % {"when": when}).encode()


def atom(now) -> bytes:
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>atom</title><id>urn:x</id><updated>%s</updated>
<entry><id>urn:x:1</id><updated>%s</updated>
<title type="html">&lt;img src=x onerror=alert(8)&gt;atom title</title>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
<p onclick="alert(9)">&lt;script&gt;alert("xss-atom")&lt;/script&gt;</p><script>alert("raw-atom")</script>
<a href="javascript:alert(10)">x</a></div></content></entry></feed>""" % (now.isoformat(), now.isoformat())).encode()


def cap(now) -> bytes:
    sent, expires = now.astimezone(SEOUL), (now + timedelta(hours=6)).astimezone(SEOUL)
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>XSS-1</identifier>
<sender>kma@example.go.kr</sender><sent>%s</sent><status>Actual</status><msgType>Alert</msgType>
<scope>Public</scope><info><language>ko-KR</language><category>Met</category>
<event>"&gt;&lt;img src=x onerror=alert(11)&gt;</event><urgency>Immediate</urgency><severity>Extreme</severity>
<certainty>Observed</certainty><expires>%s</expires>
<headline>&lt;script&gt;alert("xss-cap")&lt;/script&gt; {{7*7}}</headline>
<instruction>&lt;/span&gt;&lt;script&gt;alert(12)&lt;/script&gt;</instruction>
<area><areaDesc>마포구</areaDesc></area></info></alert>""" % (sent.isoformat(), expires.isoformat())).encode()


URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "data-news-prev",
             "data-news-next", "data-qr", "data-href", "content")


def assert_inert(html: str, where: str) -> lxml.html.HtmlElement:
    """No element, attribute or address an attacker put there; returns the tree."""
    doc = lxml.html.document_fromstring(html)
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        assert tag not in ("object", "embed", "svg", "base", "frame"), (where, tag)
        if tag in ("script", "iframe"):
            assert el.get("src") is None or el.get("src").startswith("/"), (where, el.get("src"))
            assert "alert(" not in (el.text or ""), (where, el.text)
        if tag == "img":
            assert el.get("src") != "x", (where, lxml.html.tostring(el))
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on"):
                assert "alert" not in value, (where, name, value)
            if name in URL_ATTRS:
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                assert not squashed.startswith(("javascript:", "vbscript:", "data:text/html")), (where, name, value)
    return doc


def text_of(doc) -> str:
    return " ".join(doc.text_content().split())


@pytest.fixture
def hostile_news(seeded):
    """The three hostile documents ingested; the news items published by an approver."""
    rt, now = seeded, utcnow()
    ids = {}
    for name, kind, data in (("hostile rss", "rss", rss(now)), ("hostile atom", "atom", atom(now)),
                             ("hostile cap", "cap", cap(now))):
        with rt.session() as s:
            source_id = store.ensure_source(s, name, kind).id
        result = tasks.ingest_into(rt, source_id, data=data, now=now)
        assert result.status == "ok", result.reason
        ids[name] = source_id
    with rt.session() as s:
        approver = next(o for o in store.list_operators(s) if o.username == "approver")
        actor = workflow.Actor(approver.id, approver.username, approver.role)
        items = list(s.scalars(select(NewsItem).where(NewsItem.source_id.in_(ids.values()))))
        item_ids = [i.id for i in items]
    for item_id in item_ids:
        workflow.submit_item(rt, actor, item_id)
        workflow.publish_item(rt, actor, item_id)
    with rt.session() as s:
        stored = {i.key: i for i in s.scalars(select(NewsItem).where(NewsItem.id.in_(item_ids)))}
        tickers = [t.text for t in s.scalars(select(TickerMessage).where(TickerMessage.source_id == ids["hostile cap"]))]
    # the documents did carry their payloads into storage (else the test proves nothing)
    assert MARK["title"] in stored["h-1"].title and "script>" in stored["h-1"].title
    assert MARK["body"] in stored["h-1"].body and SSTI in stored["h-1"].body
    assert stored["h-1"].link is None  # javascript: dropped
    assert (stored["h-1"].image_url or "").startswith("https://")  # the enclosure's javascript: too
    assert "onmouseover=alert(1)>xss-cat" in stored["h-1"].category
    assert any(MARK["cap"] in t for t in tickers)
    return {"items": item_ids, "h1": stored["h-1"].id, "h2": stored["h-2"].id}


def test_feed_payloads_on_every_tv_screen(app, demo, hostile_news):
    tv = app.test_client()
    pair(tv, demo)
    home = assert_inert(tv.get("/tv/").get_data(as_text=True), "/tv/")
    assert MARK["cap"] in text_of(home) and SSTI in text_of(home)  # the ticker, as text
    listing = assert_inert(tv.get("/tv/news/").get_data(as_text=True), "/tv/news/")
    assert MARK["title"] in text_of(listing)  # the category row shows the categories that fit; articles show theirs
    cat = '<b onmouseover=alert(1)>xss-cat</b>'
    by_cat = tv.get("/tv/news/", query_string={"cat": cat})
    assert MARK["title"] in text_of(assert_inert(by_cat.get_data(as_text=True), "/tv/news/?cat"))
    seen = ""
    for item_id in hostile_news["items"]:
        for p in range(1, 6):
            r = tv.get("/tv/news/%d" % item_id, query_string={"p": p, "cat": cat})
            assert r.status_code == 200
            seen += " " + text_of(assert_inert(r.get_data(as_text=True), "/tv/news/%d?p=%d" % (item_id, p)))
    for key in ("title", "body", "atom", "cat"):
        assert MARK[key] in seen, key
    assert SSTI in seen

    feed = tv.get("/tv/ticker.json")
    assert feed.mimetype == "application/json"
    texts = [m["text"] for m in feed.get_json()["messages"]]
    assert any(MARK["cap"] in t for t in texts)

    r = tv.get("/tv/ticker", buffered=False)
    chunks = iter(r.response)
    assert next(chunks).decode().startswith("retry:")
    event = next(chunks).decode()
    r.close()
    lines = event.split("\n")
    assert lines[0] == "event: ticker" and lines[1].startswith("data: ") and lines[2:] == ["", ""], event[:300]
    assert any(MARK["cap"] in m["text"] for m in json.loads(lines[1][6:])["messages"])


def test_operator_input_on_console_and_tv(app, demo, hostile_news):
    admin = console_login(app, "admin")
    h1 = hostile_news["h1"]
    page = "/console/items/%d" % h1
    payload = '</textarea><script>alert("xss-edit")</script>"><img src=x onerror=alert(13)> ' + SSTI
    r = admin.post(page + "/edit", data={
        "title": payload, "summary": payload, "body": payload + "\n\n" + payload, "category": payload[:60],
        "note": payload, "csrf_token": csrf_token(admin, page)})
    assert r.status_code == 303
    ticker = '<script>alert("xss-ticker")</script> ' + SSTI
    assert admin.post("/console/ticker", data={"text": ticker, "minutes": "30", "severity": "Severe",
                                               "csrf_token": csrf_token(admin, "/console/ticker")}).status_code == 303
    token = csrf_token(admin, "/console/sources")
    source = '"><script>alert("xss-source")</script>'
    assert admin.post("/console/sources", data={
        "name": source, "kind": "rss", "url": 'https://feeds.example.org/?q="><script>alert(14)</script>',
        "poll_minutes": "30", "csrf_token": token}).status_code == 303
    assert admin.post("/console/sources", data={
        "name": "js", "kind": "rss", "url": "javascript:alert(15)", "csrf_token": token}).status_code == 303
    import io

    assert admin.post("/console/sources/upload", data={
        "name": "", "csrf_token": token,
        "file": (io.BytesIO(b"<rss/>"), '"><img src=x onerror=alert(16)>.xml')},
        content_type="multipart/form-data").status_code == 303
    assert admin.post("/console/operators", data={
        "username": '<script>alert(17)</script>', "password": "long-enough-password", "role": "editor",
        "csrf_token": csrf_token(admin, "/console/operators")}).status_code == 303

    with demo.session() as s:
        assert not any(src.url and src.url.startswith("javascript") for src in store.list_sources(s))
    pages = ["/console/", "/console/?state=published", page, page + "/preview", page + "/preview?p=2",
             "/console/ticker", "/console/sources", "/console/operators", "/console/audit",
             "/console/items/%d" % hostile_news["h2"]]
    seen = ""
    for path in pages:
        r = admin.get(path)
        assert r.status_code == 200, path
        seen += " " + text_of(assert_inert(r.get_data(as_text=True), path))
    for key in ("edit", "ticker", "source"):
        assert MARK[key] in seen, key
    # the flash messages of refused input (rendered on the next page) are inert too
    assert_inert(admin.get("/console/sources").get_data(as_text=True), "flash")

    tv = app.test_client()
    pair(tv, demo)
    seen = ""
    for path in ("/tv/", "/tv/news/", "/tv/news/%d" % h1, "/tv/news/%d?p=2" % h1, "/tv/settings/"):
        seen += " " + text_of(assert_inert(tv.get(path).get_data(as_text=True), path))
    assert MARK["edit"] in seen and MARK["ticker"] in seen


def test_login_form_echo_is_inert(app, seeded):
    c = app.test_client()
    payload = '"><script>alert("xss-login")</script>'
    r = c.post("/console/login", query_string={"next": 'javascript:alert(18)'}, data={
        "username": payload, "password": "x", "csrf_token": csrf_token(c, "/console/login")})
    assert r.status_code == 401
    doc = assert_inert(r.get_data(as_text=True), "login")
    assert doc.get_element_by_id("username").get("value") == payload[:64]


REPO = Path(__file__).resolve().parents[2]
STATIC = [p for root in ("tvapp/static", "broadcast_feed/console/static", "remote_nav/static")
          for p in sorted((REPO / root).rglob("*.js"))]
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\s*\(|"
                        r"new\s+Function\s*\(|setTimeout\s*\(\s*['\"]|setInterval\s*\(\s*['\"]")


def test_browser_scripts_never_write_html():
    """Ticker texts and handed-off values reach the DOM through the TV's
    scripts: they may only ever use text nodes."""
    assert STATIC, "no scripts found: the check would prove nothing"
    offenders = [(p.name, m.group(0)) for p in STATIC for m in HTML_SINKS.finditer(p.read_text())]
    assert not offenders, offenders
