"""Issue 17 item 3: a request's timeline on the TV, newest step first, every
line readable at every text size and in both languages with the buttons on
screen (a page of whole steps at a time, turned with the remote), and the page
following the request by itself (live.js) with the focus kept where it was.
Real Chromium at 1280x720, remote keys only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services import ledger
from services.households import get_household
from services.models import Device, Request, utcnow
from tests.support.screen_audit import _MEASURE_JS, KEEP_HANGUL, MIN_PX, SAFE_X, SAFE_Y, ScreenAudit
from tests.tvapp.browser.test_tv_browser import HOUSEHOLD, go, ready

pytestmark = pytest.mark.browser

BUSY = "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다."

# 20 events, oldest first: a fax that met a busy line twice, then got through.
TWENTY = [
    ("verified", {}), ("sent_to_backend", {}),
    ("waiting", {"message": "구청 시스템 점검 중 (10시에 다시 시도)"}), ("sent_to_backend", {}),
    ("accepted", {}), ("issued", {"pages": 2}),
    ("delivering", {"page": 0, "pages": 3, "message": "팩스 전송을 기다리는 중입니다 (3쪽)"}),
    ("delivering", {"page": 0, "pages": 3}),
    ("waiting", {"reason": "fax_retry", "message": BUSY}),
    ("delivering", {"page": 0, "pages": 3}),
    ("waiting", {"reason": "fax_retry", "message": BUSY}),
    ("delivering", {"page": 0, "pages": 3}), ("delivering", {"page": 1, "pages": 3}),
    ("waiting", {"reason": "fax_retry", "message": BUSY}),
    ("delivering", {"page": 1, "pages": 3}), ("delivering", {"page": 2, "pages": 3}),
    ("delivering", {"page": 3, "pages": 3}),
    ("delivered", {"method": "fax"}), ("notified", {"channel": "sms"}),
]


def make_request(rt, events, status, token):
    with rt.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        req, _ = ledger.create_request(
            s, rt.crypto, client_token="%s-%s" % (token, utcnow().timestamp()), kind="certificate",
            household_id=hid, resident_id=None, channel="tv", delivery_method="fax",
            delivery_address="02-1234-5678", options={"certificate_type": "resident-copy"})
        for j, (kind, detail) in enumerate(events):
            ledger.append_event(s, req.id, "%s-%d" % (kind, j), kind, detail)
        req.status = status
        return req.receipt_no


def set_size(rt, size):
    with rt.session() as s:
        s.execute(update(Device).values(text_size=size))


VISIBLE_JS = """(text) => {
  const box = document.getElementById('tl-box').getBoundingClientRect();
  const hits = [];
  for (const li of document.querySelectorAll('#timeline li')) {
    if (li.innerText.indexOf(text) < 0) continue;
    const r = li.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    hits.push(r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5 && r.bottom <= 684.5
              && !!top && li.contains(top));
  }
  return hits.length > 0 && hits[0];
}"""

INSIDE_JS = """(id) => {
  const r = document.getElementById(id).getBoundingClientRect();
  const box = document.getElementById('tl-box').getBoundingClientRect();
  return r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
}"""


def steps_from_newest(tv):
    return tv.page.evaluate("() => Array.from(document.querySelectorAll('#timeline .tl-step'), li => li.id)")


def set_lang(rt, lang):
    with rt.session() as s:
        s.execute(update(Device).values(lang=lang))


def cut_or_korean(tv, size, lang):
    """The screen audit's own checks (tests.support.screen_audit): text cut by a box or the screen's
    edge, text over text, Korean left on an English screen."""
    found = tv.page.evaluate(_MEASURE_JS, {"safeX": SAFE_X, "safeY": SAFE_Y, "minPx": MIN_PX[size],
                                          "keep": list(KEEP_HANGUL), "english": lang == "en"})
    return {k: found[k] for k in ("clipped", "overlap", "hangul", "small") if found[k]}


def shown_steps(tv):
    """The timeline's items on screen now (ids), and the page line under it."""
    return tv.page.evaluate("""() => [Array.from(document.querySelectorAll('#timeline > li'))
        .filter(li => li.getClientRects().length > 0).map(li => li.id),
        (document.getElementById('tl-pos') || {}).innerText || '']""")


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("size", ["normal", "large", "xlarge"])
def test_twenty_events_newest_first_and_every_step_reachable(server, demo, tv, artifacts, size, lang):
    """A request of 20 events read whole with the remote: newest first, a page of whole steps at a
    time (never a step cut at the box's edge), DOWN brings every step into view, "1/3 쪽" says where."""
    receipt = make_request(demo, TWENTY, "delivered", "twenty")
    tv.page.goto(server + "/tv/simulator")
    set_size(demo, size)
    set_lang(demo, lang)
    go(tv, server + "/tv/requests/%s" % receipt)
    assert tv.page.get_attribute("html", "class") == "rn-text-" + size
    assert tv.page.get_attribute("html", "lang") == lang
    assert tv.focused_id() == "detail-back"
    lines = tv.page.text_content("#timeline")  # every step, shown or on a later page
    # newest first: the SMS notice, then 전달 완료, ... the first steps last (16 steps, all there)
    words = (("문자 알림 보냄", "전달 완료", "3페이지 모두 보냄", BUSY, "구청 확인", "구청 시스템 점검 중", "본인 확인", "접수")
             if lang == "ko" else
             ("Text message sent", "Delivered", "All 3 pages sent", "The receiving fax is busy. Trying again in 3 min.",
              "Accepted by the office", "The details are in Korean", "Identity check", "Received"))
    order = [lines.index(t) for t in words]
    assert order == sorted(order), lines
    for text in words[:2]:  # the newest steps show first
        assert tv.page.evaluate(VISIBLE_JS, text), (size, text)
    for button in ("detail-back", "detail-refresh"):
        box = tv.page.locator("#" + button).bounding_box()
        assert box["y"] >= 36 and box["y"] + box["height"] <= 684, (button, box)
    assert tv.small_text(30) == [], tv.small_text(30)
    assert cut_or_korean(tv, size, lang) == {}
    check_screen_top(tv, artifacts, "timeline-twenty-%s-%s" % (size, lang))
    assert tv.page.locator("script[src*='live.js']").count() == 0  # final: nothing to follow
    first_page, where = shown_steps(tv)
    ids = steps_from_newest(tv)
    assert len(ids) == 16 and tv.page.locator("#tl-more").count() == 0
    assert first_page == ids[:len(first_page)] and 1 < len(first_page) < len(ids), first_page
    pages = int(where.split("/")[1].split()[0])
    assert where.startswith("1/") if lang == "ko" else where.startswith("Page 1/"), where
    # Every step, down to the first, is reached with DOWN: its page shows, whole, nothing cut.
    seen, turned = [], 0
    tv.press("DOWN")
    for sid in ids:
        assert tv.focused_id() == sid
        assert tv.page.evaluate(INSIDE_JS, sid), (size, lang, sid)
        shown, where = shown_steps(tv)
        assert sid in shown and shown == ids[ids.index(shown[0]):ids.index(shown[0]) + len(shown)], shown
        if shown != (seen[-1] if seen else None):
            seen.append(shown)
            turned += 1
            assert where.split()[0 if lang == "ko" else 1] == "%d/%d" % (turned, pages), where
            # every check of the screen audit, axe-core's too, on each page with a step focused
            found = {k: v for k, v in ScreenAudit(tv, size, lang).measure().items() if v}
            assert found == {}, (size, lang, sid, found)
        tv.press("DOWN")
    assert [i for page in seen for i in page] == ids and len(seen) == pages  # each step on one page
    assert words[-1] in tv.page.inner_text("#" + ids[-1])  # the first step, on the last page
    tv.screenshot(artifacts / ("timeline-twenty-%s-%s-oldest.png" % (size, lang)))
    for _ in ids:
        tv.press("UP")
    assert tv.focused_id() in ("detail-back", "detail-refresh")
    assert shown_steps(tv)[0] == first_page


def check_screen_top(tv, artifacts, name):
    """check_screen's safe-area check for this screen's own part (the header
    and the legend are the base template's): the timeline box inside the
    frame, steps scrolled out of it reached by focus, not cut."""
    tv.screenshot(artifacts / ("%s.png" % name))
    box = tv.page.locator("#tl-box").bounding_box()
    assert box["y"] >= 36 and box["y"] + box["height"] <= 684 and box["x"] >= 64 - 0.5, box
    tv.page.evaluate("() => document.getElementById('tl-box').setAttribute('data-safe-bleed', '')")
    try:
        main = tv.page.locator("#tv-main").bounding_box()
        bad = [b for b in tv.outside_safe_area()
               if main["y"] <= (b["top"] + b["bottom"]) / 2 <= main["y"] + main["height"]]
        assert bad == [], bad
    finally:
        tv.page.evaluate("() => document.getElementById('tl-box').removeAttribute('data-safe-bleed')")


def a_new_step_arrives(tv, demo, receipt):
    """A dial's progress is recorded; the screen (live.js) reloads itself with it."""
    version = tv.page.get_attribute("#req-detail", "data-live-version")
    with demo.session() as s:
        req = s.scalar(select(Request).where(Request.receipt_no == receipt))
        ledger.append_event(s, req.id, "later-dial", "delivering", {"page": 1, "pages": 3})
    tv.page.wait_for_function(
        "(v) => { const d = document.getElementById('req-detail');"
        " return d && d.getAttribute('data-live-version') !== v; }", arg=version, timeout=20000)
    ready(tv)


def test_the_screen_follows_the_request_and_keeps_the_focus(server, demo, tv, artifacts):
    receipt = make_request(demo, TWENTY[:9], "delivering", "live")
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/requests/%s" % receipt)
    assert tv.page.locator("script[src*='live.js']").count() == 1
    assert tv.page.get_attribute("#req-detail", "data-live").endswith("/live.json")
    tv.press("RIGHT")
    held = tv.focused_id()
    assert held != "detail-back"
    a_new_step_arrives(tv, demo, receipt)
    assert "1/3 페이지 전송 중" in tv.page.inner_text("#timeline")
    assert tv.focused_id() == held  # the reload kept the focus where the user was
    check_screen_top(tv, artifacts, "timeline-live")


def test_a_new_step_keeps_the_focused_step_and_its_page(server, demo, tv, artifacts):
    """Paged at 아주 크게, the user reading an older step on a later page: a new event reloads the
    screen by itself, the same step keeps the focus and its page shows it whole."""
    receipt = make_request(demo, TWENTY[:9], "delivering", "live-paged")
    tv.page.goto(server + "/tv/simulator")
    set_size(demo, "xlarge")
    go(tv, server + "/tv/requests/%s" % receipt)
    first_page, where = shown_steps(tv)
    assert where.startswith("1/"), where
    tv.press("DOWN")
    while tv.focused_id() in first_page:
        tv.press("DOWN")
    held = tv.focused_id()
    assert held.startswith("tl-") and held not in first_page
    a_new_step_arrives(tv, demo, receipt)
    assert "1/3 페이지 전송 중" in tv.page.text_content("#timeline")
    assert tv.focused_id() == held
    shown, where = shown_steps(tv)
    assert held in shown and not where.startswith("1/"), (shown, where)
    assert tv.page.evaluate(INSIDE_JS, held)
    assert cut_or_korean(tv, "xlarge", "ko") == {}
    tv.screenshot(artifacts / "timeline-live-paged.png")
