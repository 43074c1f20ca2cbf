"""Issue 17 item 3: a request's timeline on the TV, newest step first, every
line readable at every text size with the buttons on screen, and the page
following the request by itself (live.js) with the focus kept where it was.
Real Chromium at 1280x720, remote keys only."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services import ledger
from services.households import get_household
from services.models import Device, Request, utcnow
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


@pytest.mark.parametrize("size", ["normal", "large", "xlarge"])
def test_twenty_events_newest_first_and_every_step_reachable(server, demo, tv, artifacts, size):
    receipt = make_request(demo, TWENTY, "delivered", "twenty")
    tv.page.goto(server + "/tv/simulator")
    set_size(demo, size)
    go(tv, server + "/tv/requests/%s" % receipt)
    assert tv.page.get_attribute("html", "class") == "rn-text-" + size
    assert tv.focused_id() == "detail-back"
    lines = tv.page.inner_text("#timeline")
    # newest first: the SMS notice, then 전달 완료, ... the first steps last (16 steps: 14 shown)
    order = [lines.index(t) for t in ("문자 알림 보냄", "전달 완료", "3페이지 모두 보냄", BUSY, "구청 확인",
                                      "앞의 단계 2개는 줄였습니다")]
    assert order == sorted(order), lines
    for text in ("문자 알림 보냄", "전달 완료", BUSY):
        assert tv.page.evaluate(VISIBLE_JS, text), (size, text)
    for button in ("detail-back", "detail-refresh"):
        box = tv.page.locator("#" + button).bounding_box()
        assert box["y"] >= 36 and box["y"] + box["height"] <= 684, (button, box)
    assert tv.small_text(30) == [], tv.small_text(30)
    check_screen_top(tv, artifacts, "timeline-twenty-%s" % size)
    assert tv.page.locator("script[src*='live.js']").count() == 0  # final: nothing to follow
    # Every step, down to the first, is reached with DOWN and scrolled into view.
    ids = steps_from_newest(tv) + ["tl-more"]
    assert len(ids) == 15
    tv.press("DOWN")
    for sid in ids:
        assert tv.focused_id() == sid
        assert tv.page.evaluate(INSIDE_JS, sid), (size, sid)
        tv.press("DOWN")
    assert "구청 시스템에 전송" in tv.page.inner_text("#" + ids[-2])
    tv.screenshot(artifacts / ("timeline-twenty-%s-oldest.png" % size))
    for _ in ids:
        tv.press("UP")
    assert tv.focused_id() in ("detail-back", "detail-refresh")


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


def test_the_screen_follows_the_request_and_keeps_the_focus(server, demo, tv, artifacts):
    receipt = make_request(demo, TWENTY[:9], "delivering", "live")
    tv.page.goto(server + "/tv/simulator")
    go(tv, server + "/tv/requests/%s" % receipt)
    assert tv.page.locator("script[src*='live.js']").count() == 1
    assert tv.page.get_attribute("#req-detail", "data-live").endswith("/live.json")
    tv.press("RIGHT")
    held = tv.focused_id()
    assert held != "detail-back"
    version = tv.page.get_attribute("#req-detail", "data-live-version")
    with demo.session() as s:
        req = s.scalar(select(Request).where(Request.receipt_no == receipt))
        ledger.append_event(s, req.id, "later-dial", "delivering", {"page": 1, "pages": 3})
    tv.page.wait_for_function(
        "(v) => { const d = document.getElementById('req-detail');"
        " return d && d.getAttribute('data-live-version') !== v; }", arg=version, timeout=20000)
    ready(tv)
    assert "1/3 페이지 전송 중" in tv.page.inner_text("#timeline")
    assert tv.focused_id() == held  # the reload kept the focus where the user was
    check_screen_top(tv, artifacts, "timeline-live")
