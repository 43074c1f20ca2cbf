"""Issue 17's screen audit: every TV screen in its states, in real Chromium at
1280x720, moved through with the remote where that is how a resident gets
there, measured by ``tests.support.screen_audit`` (focus, reach with the
arrows, Back, overlapping / cut / unsafe text, covered controls, text size,
axe-core's WCAG A/AA rules and 7:1 contrast, Hangul left in English).

`make test` runs the fast subset: Korean at 보통 and 아주 크게. `make audit`
(``TV_AUDIT=full``) runs every size x language and saves a picture of each
screen and state under test-artifacts/audit/ with a contact sheet, index.html.

One seeded world per size x language; the states are made in order (empty,
one item, a long list, a request of 20 events, refusals, locks, the back end
down last).
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlparse

import pytest

from broadcast_feed import demo as news_demo
from remote_nav.driver import TvDriver
from services import ledger
from services.households import get_household
from services.models import utcnow
from tests.support.screen_audit import OUT, ScreenAudit, findings, known_reason
from tests.tvapp.browser.test_certificate_browser import code_for
from tests.tvapp.browser.test_tax_browser import DUE, OVERDUE, own_backend  # noqa: F401  (fixture)
from tests.tvapp.browser.test_tv_browser import go, press_nav, ready

pytestmark = pytest.mark.browser

FULL = os.environ.get("TV_AUDIT") == "full"
COMBOS = ([(s, lang) for lang in ("ko", "en") for s in ("normal", "large", "xlarge")] if FULL
          else [("normal", "ko"), ("xlarge", "ko")])
HOUSEHOLD = "1144012-0001"
PHONE = "010-0000-0003"  # 김민준's

#: Findings not fixed yet, by (screen, check, when): "when" is "*", a size,
#: a language or "size-lang" (see tests.support.screen_audit.known_reason).
#: Each says why. Anything else the audit finds fails the test. Keep it short.
KNOWN: dict[tuple[str, str, str], str] = {
}


# ------------------------------------------------------------------ the world
def add_request(rt, n_events: int, token: str, ctype="resident-copy", status="delivering", resident=False):
    """A request of ``n_events`` events; ``resident``: for the household's first resident (a delivered one
    is then offered again on 나의 민원)."""
    kinds = ["received", "verified", "sent_to_backend", "waiting", "accepted", "issued", "delivering",
             "retried", "delivering", "notified"]
    with rt.session() as s:
        household = get_household(s, HOUSEHOLD)
        hid = household.id
        req, _ = ledger.create_request(
            s, rt.crypto, client_token="%s-%s" % (token, utcnow().timestamp()), kind="certificate",
            household_id=hid, resident_id=household.residents[0].id if resident else None, channel="tv", delivery_method="fax",
            delivery_address="02-1234-5678", options={"certificate_type": ctype})
        for j in range(n_events):
            kind = kinds[j % len(kinds)]
            detail = {"page": 1 + j % 3, "pages": 3} if kind == "delivering" else (
                {"message": "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다."} if kind == "retried" else {})
            ledger.append_event(s, req.id, "%s-%d" % (kind, j), kind, detail)
        req.status = status
        return req.receipt_no


def add_failed(rt):
    with rt.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        req, _ = ledger.create_request(
            s, rt.crypto, client_token="failed-%s" % utcnow().timestamp(), kind="certificate",
            household_id=hid, resident_id=None, channel="tv", delivery_method="fax",
            delivery_address="02-1234-5678", options={"certificate_type": "building-register"})
        ledger.append_event(s, req.id, "failed-0", "failed",
                            {"message": "받는 팩스 번호가 여러 번 응답하지 않아 보내지 못했습니다. 번호를 확인해 주세요.",
                             "offer": "email"})
        req.status = "failed"
        return req.receipt_no


# ------------------------------------------------------------------ moving
class Walk:
    """The audit's walk: each screen measured, Back pressed where asked."""

    def __init__(self, tv, server, audit):
        self.tv, self.server, self.audit = tv, server, audit

    def path(self) -> str:
        u = urlparse(self.tv.page.url)
        return u.path + ("?" + u.query if u.query else "")

    def check(self, screen, state="", parent=None):
        """Measure the screen shown; with ``parent``, press Back and expect it
        (then come back to the screen by its address)."""
        back = None
        record = self.audit.check(screen, state)
        if parent is not None:
            here = self.tv.page.url
            with self.tv.page.expect_navigation():
                self.tv.press("BACK")
            ready(self.tv)
            if urlparse(self.tv.page.url).path != parent:
                back = "Back went to %s, not %s" % (urlparse(self.tv.page.url).path, parent)
            go(self.tv, here)
            if back:
                record["findings"]["back"] = [back]
        return record

    def visit(self, url, screen, state="", parent=None):
        go(self.tv, self.server + url)
        return self.check(screen, state, parent)


def set_size_and_lang(tv, server, size, lang):
    """By keys on the settings screen, as a resident does."""
    go(tv, server + "/tv/settings/")
    if lang == "en":
        assert tv.focused_id() == "lang-ko"
        tv.press("RIGHT")
        press_nav(tv, "OK", "/tv/settings/")
    tv.press("DOWN")
    for _ in range(3):
        if tv.focused_id() == "size-" + size:
            break
        tv.press("RIGHT")
    assert tv.focused_id() == "size-" + size
    press_nav(tv, "OK", "/tv/settings/")
    assert tv.page.get_attribute("html", "class") == "rn-text-" + size
    assert tv.page.get_attribute("html", "lang") == lang


def certificate_screens(w, demo):
    """The certificate flow by keys, with its refusals and the code's states."""
    tv, server = w.tv, w.server
    go(tv, server + "/tv/")
    press_nav(tv, "1", "/tv/certificates/")  # the home tiles answer number keys
    w.check("cert catalogue", parent="/tv/")
    press_nav(tv, "2", "/tv/certificates/resident-abstract/")
    w.check("cert person", parent="/tv/certificates/")
    tv.press("DOWN")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/resident-abstract/options")
    w.check("cert options")
    press_nav(tv, "GREEN", "/tv/certificates/identity")
    w.check("cert identity", "before the code")
    press_nav(tv, "OK", "/tv/certificates/identity")
    w.check("cert identity", "code sent")
    code = code_for(demo, PHONE)
    wrong = "%06d" % ((int(code) + 1) % 1_000_000)
    for d in wrong:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/identity")
    w.check("cert identity", "wrong code")
    w.visit("/tv/certificates/identity?m=expired", "cert identity", "code expired")
    w.visit("/tv/certificates/identity?m=empty", "cert identity", "empty code")
    w.visit("/tv/certificates/identity?m=wait", "cert identity", "sent a moment ago")
    w.visit("/tv/certificates/identity?m=elsewhere", "cert identity", "a code just sent for another TV")
    go(tv, server + "/tv/certificates/identity")
    if tv.focused_id() == "code-send":
        press_nav(tv, "OK", "/tv/certificates/identity")
    code = code_for(demo, PHONE)
    assert tv.focused_id() == "code"
    tv.press("RED")  # 모두 지우기
    for d in code:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery")
    w.check("cert delivery")
    press_nav(tv, "1", "/tv/certificates/delivery/fax")  # 다른 팩스 번호로 (OK takes the registered mail)
    w.check("cert fax", parent="/tv/certificates/delivery")
    for d in "0601234567":
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery/fax")
    w.check("cert fax", "refused number (422)")
    go(tv, server + "/tv/certificates/delivery/email")
    w.check("cert email", parent="/tv/certificates/delivery")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery/email")
    w.check("cert email", "empty new address")
    go(tv, server + "/tv/certificates/delivery/email")
    press_nav(tv, "OK", "/tv/certificates/confirm")
    tv.page.wait_for_function("() => document.getElementById('preview').complete")
    w.check("cert confirm")
    with tv.page.expect_navigation(url="**/done/**"):
        tv.press("OK")
    ready(tv)
    w.check("cert done", parent="/tv/")
    receipt = tv.page.inner_text("#receipt").strip()
    w.visit("/tv/certificates/confirm", "cert confirm", "flow expired (sent to the catalogue)")
    w.visit("/tv/certificates/done/00000000", "cert done", "unknown receipt (404)")

    # Locked: too many wrong codes
    go(tv, server + "/tv/certificates/resident-abstract/")
    tv.press("DOWN")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/resident-abstract/options")
    press_nav(tv, "GREEN", "/tv/certificates/identity")
    if tv.focused_id() == "code-send":
        press_nav(tv, "OK", "/tv/certificates/identity")
    for _ in range(8):
        if tv.page.query_selector("#code") is None:
            break
        for d in wrong:
            tv.press(d)
        if tv.focused_id() != "code-ok":
            tv.press("DOWN")
        with tv.page.expect_navigation():
            tv.press("OK")
        ready(tv)
    assert tv.page.query_selector("#code") is None, "never locked"
    w.check("cert identity", "locked (too many tries)")
    return receipt


def tax_screens(w):
    tv = w.tv
    w.visit("/tv/taxes/", "tax bills", parent="/tv/")
    press_nav(tv, "1", "/tv/taxes/bill/" + OVERDUE)
    w.check("tax bill", "overdue", parent="/tv/taxes/")
    w.visit("/tv/taxes/bill/%s" % DUE, "tax bill", "due")
    w.visit("/tv/taxes/bill/%s/card" % OVERDUE, "tax card", "empty")
    for d in "411111111111111113":
        tv.press(d)
    tv.page.focus("#card-pay")
    tv.press("OK")
    tv.page.wait_for_selector("#card-check:not([hidden])")
    w.check("tax card", "refused (several problems)")
    w.visit("/tv/taxes/bill/%s/account" % OVERDUE, "tax virtual account")
    w.visit("/tv/taxes/bill/%s/phone" % OVERDUE, "tax pay by phone")
    w.visit("/tv/taxes/bill/%s/receipt" % OVERDUE, "tax receipt to")
    w.visit("/tv/taxes/history", "tax history")
    w.visit("/tv/taxes/bill/0000", "tax bill", "unknown bill")
    w.visit("/tv/taxes/result/nosuchorder", "tax result", "unknown order")
    # A completed payment: the due bill paid by card, by keys
    go(tv, w.server + "/tv/taxes/bill/%s/card" % DUE)
    for field, digits in (("#card-number", "4111111111111111"), ("#card-expiry", "1230"),
                          ("#card-birth", "480312"), ("#card-pw", "12")):
        tv.page.focus(field)
        for d in digits:
            tv.press(d)
    tv.page.focus("#card-pay")
    with tv.page.expect_navigation(url="**/tv/taxes/result/**"):
        tv.press("OK")
    ready(tv)
    w.check("tax result", "paid by card")


@pytest.mark.parametrize("size,lang", COMBOS)
def test_every_screen_in_every_state(own_backend, server, demo, browser, size, lang):  # noqa: F811
    tv = TvDriver.open(browser)
    audit = ScreenAudit(tv, size, lang, shots=FULL)
    w = Walk(tv, server, audit)
    try:
        tv.page.goto(server + "/tv/simulator")  # pairs this box to the first demo household
        set_size_and_lang(tv, server, size, lang)
        # Empty
        w.visit("/tv/", "home")
        if size == "xlarge":  # two tiles to a row: down from 증명서 발급 is 지역 소식
            tv.press("DOWN")
            assert tv.focused_id() == "tile-news"
            tv.press("UP")
        press_nav(tv, "4", "/tv/requests/")
        w.check("my requests", "empty", parent="/tv/")
        w.visit("/tv/news/", "news list", "empty", parent="/tv/")
        w.visit("/tv/settings/", "settings", parent="/tv/")
        for _ in range(4):
            if tv.focused_id() != "unpair-open":
                tv.press("DOWN")
        assert tv.focused_id() == "unpair-open"
        tv.press("OK")
        w.check("settings", "unpair dialog")
        w.visit("/tv/settings/help", "help", parent="/tv/settings/")
        if size != "normal":  # the key table pages at 크게 / 아주 크게
            w.visit("/tv/settings/help?page=2", "help", "second page", parent="/tv/settings/")
        w.visit("/tv/settings/practice", "typing practice", parent="/tv/settings/")
        w.visit("/tv/no-such-screen", "error", "not found (404)", parent="/tv/")
        w.visit("/tv/settings/lang", "error", "wrong method (405)")

        # One item; a request of 20 events; a failed one; a long list
        one = add_request(demo, 3, "one")
        w.visit("/tv/requests/", "my requests", "one item")
        long_one = add_request(demo, 20, "long")
        w.visit("/tv/requests/" + long_one, "request", "20 events", parent="/tv/requests/")
        w.visit("/tv/requests/" + one, "request", "delivering")
        w.visit("/tv/requests/" + add_failed(demo), "request", "failed, other method offered")
        for i in range(33):
            add_request(demo, 2, "many-%d" % i, status=("delivered", "failed", "submitted")[i % 3])
        w.visit("/tv/requests/", "my requests", "long list, first page")
        w.visit("/tv/requests/?page=99", "my requests", "long list, last page")  # past the end: the last page
        w.visit("/tv/requests/NOSUCH", "request", "unknown (404)")
        add_request(demo, 4, "repeat", status="delivered", resident=True)
        w.visit("/tv/requests/", "my requests", "a delivered certificate offered again")
        assert tv.page.query_selector(".btn.repeat") is not None, "no repeat offer"

        # News, seeded
        news_demo.seed(demo)
        w.visit("/tv/news/", "news list", "demo news")
        press_nav(tv, "OK", "/tv/news/")
        w.check("news article", parent="/tv/news/")

        certificate_screens(w, demo)
        tax_screens(w)

        # The back end down
        own_backend.stop()
        w.visit("/tv/taxes/", "tax bills", "back end down")
        w.visit("/tv/certificates/resident-copy/", "cert person", "back end down")
        # Unpaired (the box keeps its language and size): pairing, and its help
        go(tv, server + "/tv/settings/")
        for _ in range(4):
            if tv.focused_id() != "unpair-open":
                tv.press("DOWN")
        tv.press("OK")
        tv.press("LEFT") if tv.focused_id() == "unpair-no" else None
        assert tv.focused_id() == "unpair-yes", tv.focused_id()
        press_nav(tv, "OK", "/tv/pair")
        w.check("pairing", "unpaired box")
        press_nav(tv, "OK", "/tv/settings/help")
        w.check("help", "from pairing", parent="/tv/pair")

    finally:
        audit.save()
        tv.close()
    problems = findings(audit.records, KNOWN)
    assert not problems, "%d findings:\n%s" % (len(problems), "\n".join(problems))


@pytest.mark.skipif(not FULL, reason="needs every size x language: make audit")
def test_every_known_issue_is_still_found():
    """The known-issues list only shrinks: an entry that matches no finding of
    this run (every size x language, just written) must go."""
    records = []
    for combo in ("%s-%s" % c for c in COMBOS):
        records += json.loads((OUT / ("%s.json" % combo)).read_text(encoding="utf-8"))
    stale = [key for key in KNOWN
             if not any(items and known_reason({key: "x"}, r, check)
                        for r in records for check, items in r["findings"].items())]
    assert stale == [], "fixed (remove from KNOWN): %s" % stale
