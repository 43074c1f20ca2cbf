"""Issue 17's screen audit: every TV screen in its states, in real Chromium at
1280x720, moved through with the remote where that is how a resident gets
there, measured by ``tests.support.screen_audit`` (focus, reach with the
arrows, Back, overlapping / cut / unsafe text, covered controls, text size,
axe-core's WCAG A/AA rules and 7:1 contrast, Hangul left in English).

`make test` runs the fast subset: Korean at 보통 and 아주 크게. `make audit`
(``TV_AUDIT=full``) runs every size x language and saves a picture of each
screen and state under test-artifacts/audit/ with a contact sheet, index.html.

One seeded world per size x language; the states are made in order (empty,
one item, a long list, a request of 20 events, refusals, locks, Redis slow
and down, the back end down last).

What the walk visits (screen: states; "-" the screen as it first comes), in
every combination:

- home: -, with the ticker and Redis slow / down
- pairing: unpaired box, its code killed on the phone (5 wrong tries) and
  expired (the box polls and shows a new code), too many codes for one
  address (429), Redis down (503); help: -, 2nd page (크게/아주 크게), from
  pairing; settings: -, unpair dialog; typing practice: -
- error: not found (404), wrong method (405)
- certificates: catalogue -; person -, back end down, Redis slow / down (503:
  the calm "잠시 늦어지고 있습니다"); options -; identity: before the code,
  code sent, wrong code, code expired, empty code, sent a moment ago, sent for
  another TV, locked; delivery -, Redis slow / down; fax: -, Redis slow, refused
  number (422), Redis down and Redis slow as the number is sent (503; the
  number typed comes back); email: -, empty new address; confirm: -, Redis
  slow / down, flow expired; done: -, unknown receipt (404)
- 나의 민원: empty, one item, 30+ (first and last page), a delivered one
  offered again, Redis slow / down; a request: 20 events, delivering, failed
  (other method offered), a busy fax (cancel / email offered) and its cancel
  and switch screens, unknown (404), Redis slow / down
- taxes: bills -, none at all, 34 (first, a middle and the last page), back
  end down, Redis slow / down; bill overdue, due, unknown, back end down;
  card empty, refused (several problems), Redis slow / down, Redis slow as
  결제하기 is pressed (503: 다시 해 보기 leads to the card screen, empty: card
  digits are never kept); virtual account, pay by phone, receipt to; history
  -, empty, 31 paid (first and last page); result unknown order, paid, card
  declined at the provider (the sandbox's insufficient-funds card), pending at
  the provider (its answer later than the app waits: the sandbox's
  ``delay_confirm`` fault) (34 and 31 bills, and none: the reference back
  end's test hook ``POST /admin/households/<code>/bills``, the household's own
  put back after)
- news: list empty, one item, 12 items (first and last page), 37 items (first
  and last page), a category chosen (by keys), Redis slow / down; article -,
  unknown (404)
- 주민 참여: list empty, one vote, 12 (first and last page); vote open,
  Redis slow / down, closed; who -, voted already, nobody here may vote, back
  end down; identity before the code, code sent, wrong code, code expired,
  locked (too many wrong codes: the calm screen); ballot: a question (nothing
  / one chosen; Redis slow / down, the choice kept), a budget (nothing chosen,
  all spent, over budget refused); confirm -, voted already (the receipt
  asked), budget; done: receipt, changed; check: found, not a whole code, no
  such ballot, too many checks; results published; refusals: not eligible,
  closed, unknown (404)

Not walked yet (each is covered by its own test where named):

- pairing: the phone's pages (/m/pair: not TV screens; tests/security/
  test_pair_enumeration.py, tests/tvapp/test_mobile_pairing.py)
- 주민 참여: running results, a household electorate
- Redis down as a form is sent, but for the fax number's (Redis slow is
  walked as 결제하기 is pressed; tests/tvapp/test_redis_trouble.py)
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import redis
import requests
from sqlalchemy import select

from broadcast_feed import demo as news_demo
from broadcast_feed import store as news_store
from broadcast_feed.models import PUBLISHED, NewsItem
from remote_nav.driver import TvDriver
from services import ledger, pairing
from services.core.runtime import get_runtime
from services.households import get_household
from services.models import Device, Resident, utcnow
from services.participation import screens, votes
from services.taxes import bills as bills_mod
from tests.support.screen_audit import ScreenAudit, findings, known_reason
from tests.tvapp.browser.test_certificate_browser import code_for
from tests.tvapp.browser.test_participation_browser import APPROVER, EDITOR, budget_vote
from tests.tvapp.browser.test_tax_browser import DUE, OVERDUE, own_backend  # noqa: F401  (fixture)
from tests.tvapp.browser.test_tv_browser import go, press_nav, ready
from tvapp.participation.views import FLOW as VOTE_FLOW

pytestmark = pytest.mark.browser

FULL = os.environ.get("TV_AUDIT") == "full"
COMBOS = ([(s, lang) for lang in ("ko", "en") for s in ("normal", "large", "xlarge")] if FULL
          else [("normal", "ko"), ("xlarge", "ko")])
HOUSEHOLD = "1144012-0001"
PHONE = "010-0000-0003"  # 김민준's
CLOSED = "redis://127.0.0.1:9/0"  # Redis down: nothing listens on the discard port

#: Findings not fixed yet, by (screen, check, when): "when" is "*", a size,
#: a language or "size-lang" (see tests.support.screen_audit.known_reason).
#: Each says why. Anything else the audit finds fails the test. Keep it short.
KNOWN: dict[tuple[str, str, str], str] = {
}


#: This run's records of each combination walked to its end (test_every_known_issue_is_still_found).
WALKED: dict[str, list[dict]] = {}


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


def add_busy_fax(rt):
    """A fax the fax server is trying again (busy): its screen offers to cancel or switch to email."""
    with rt.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        rid = s.scalar(select(Resident.id).where(Resident.ref == "R1003"))  # 김민준, who has an email address
        req, _ = ledger.create_request(
            s, rt.crypto, client_token="busy-%s" % utcnow().timestamp(), kind="certificate", household_id=hid,
            resident_id=rid, channel="tv", delivery_method="fax", delivery_address="02-1234-0000",
            options={"certificate_type": "resident-copy"})
        ledger.append_event(s, req.id, "busy-0", "waiting",
                            {"reason": "fax_retry", "message": "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다."})
        req.status = "delivering"
        return req.receipt_no


def publish_news(rt, prefix, n):
    """``n`` press releases published now (the newest first), beside whatever is published."""
    now = utcnow()
    with rt.session() as s:
        src = news_store.ensure_source(s, "감사 보도자료", "rss").id
        for i in range(n):
            key = "%s-%d" % (prefix, i)
            s.add(NewsItem(source_id=src, key=key, title="망원동 골목 환경 정비 %d차 주민 설명회를 엽니다" % (i + 1),
                           body="본문입니다. " * 30, category="행정", state=PUBLISHED, went_live_at=now,
                           published_at=now + timedelta(minutes=n - i), fingerprint=key))


def many_bills(n_unpaid, n_paid):
    """Bills for the back end's test hook: ``n_unpaid`` due or overdue, ``n_paid`` paid."""
    today = utcnow().date()
    out = []
    for i in range(n_unpaid + n_paid):
        due = today + timedelta(days=(i % 40) - 15) if i < n_unpaid else today - timedelta(days=10 + i)
        out.append({"ref": "A-%04d" % i, "payer_ref": "R1001", "tax_item": ("자동차세", "주민세", "재산세")[i % 3],
                    "epay_no": "11440129%011d" % i, "tax_year": today.year, "subject": "감사용 고지서 %d" % (i + 1),
                    "amount": 10_000 + 1_000 * i, "due_date": due.isoformat(),
                    "paid_at": (due - timedelta(days=3)).isoformat() if i >= n_unpaid else None})
    return out


def tax_list_states(w):
    """The household with no bills at all, then with 34 to pay and 31 paid (the back end's
    test hook replaces them; the household's own come back after)."""
    url = w.backend.url + "/admin/households/%s/bills" % HOUSEHOLD

    def bills(given):
        r = requests.post(url, json={"bills": given}, timeout=10)
        r.raise_for_status()
        bills_mod.forget(w.rt, HOUSEHOLD)
        return r.json()["bills"]

    had = bills([])
    try:
        w.visit("/tv/taxes/", "tax bills", "no bills at all", parent="/tv/")
        w.visit("/tv/taxes/history", "tax history", "empty")
        bills(many_bills(34, 31))
        w.visit("/tv/taxes/", "tax bills", "34 bills, first page", parent="/tv/")
        assert w.tv.page.query_selector("#bills-pager") is not None, "34 bills do not page"
        w.visit("/tv/taxes/?page=2", "tax bills", "34 bills, a middle page")
        w.visit("/tv/taxes/?page=99", "tax bills", "34 bills, last page")
        w.visit("/tv/taxes/history", "tax history", "31 paid, first page")
        w.visit("/tv/taxes/history?page=99", "tax history", "31 paid, last page")
        pending_payment(w, many_bills(1, 0)[0]["epay_no"])
    finally:
        bills(had)


def pending_payment(w, epay_no):
    """A card payment pending at the provider: it answers after the app gave up (the order is looked
    up later): the result says it is being checked."""
    tv = w.tv
    w.monkeypatch.setattr(w.rt.config, "PAYMENT_TIMEOUT", 1.0)
    get_runtime().__dict__.pop("payments", None)  # the app's provider is built again with it (an adapter)
    faults = w.backend.url + "/pay/v1/admin/faults"
    requests.post(faults, json={"delay_confirm": 3}, timeout=5).raise_for_status()
    try:
        go(tv, w.server + "/tv/taxes/bill/%s/card" % epay_no)
        type_card(tv)
        with tv.page.expect_navigation(url="**/tv/taxes/result/**"):
            tv.press("OK")
        ready(tv)
        assert tv.page.query_selector("#result.result-unknown") is not None, "not pending at the provider"
        w.check("tax result", "pending at the provider")
    finally:
        requests.post(faults, json={}, timeout=10).raise_for_status()
        w.monkeypatch.setattr(w.rt.config, "PAYMENT_TIMEOUT", 5.0)
        get_runtime().__dict__.pop("payments", None)


def pairing_states(w):
    """The pairing screen (the box unpaired) as its code dies on the phone (5 wrong tries), as it
    expires, and when its address was given too many codes (a box seen over a day ago counts again)."""
    tv, rt = w.tv, w.rt
    with rt.session() as s:
        device_id = s.scalar(select(Device.id).order_by(Device.id.desc()))
    for state in ("code killed after 5 wrong tries: a new code", "code expired: a new code"):
        go(tv, w.server + "/tv/pair")
        old = tv.page.inner_text("#pair-code").strip()
        if state.startswith("code killed"):
            for _ in range(pairing.MAX_FAILURES):
                pairing.fail(rt.redis, old)
        else:  # what its 10 minutes do
            dc = rt.redis.get("pair:box:%d" % device_id).decode()
            rt.redis.delete("pair:dc:%s" % dc, "pair:uc:%s" % pairing.normalize(old), "pair:box:%d" % device_id)
        with tv.page.expect_navigation(timeout=(pairing.INTERVAL + 10) * 1000):  # the box's next poll
            pass
        ready(tv)
        assert tv.page.inner_text("#pair-code").strip() not in ("", old), "no new code"
        w.check("pairing", state)
    rt.redis.delete("pair:box:%d" % device_id, "pair:seen:%d" % device_id)
    for _ in range(pairing.CODES_PER_ADDRESS + 1):  # new boxes at the same address (no cookie: a new box each)
        if requests.get(w.server + "/tv/pair", timeout=10).status_code == 429:
            break
    go(tv, w.server + "/tv/pair")
    w.check("pairing", "too many codes for this address (429)")
    assert tv.page.query_selector("#pair-code") is None and tv.focused_id() == "calm-ok"


# ------------------------------------------------------------------ moving
class Walk:
    """The audit's walk: each screen measured, Back pressed where asked."""

    def __init__(self, tv, server, audit, rt=None, monkeypatch=None, redis_url=None, backend=None):
        self.tv, self.server, self.audit = tv, server, audit
        self.rt, self.monkeypatch, self.redis_url, self.backend = rt, monkeypatch, redis_url, backend

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


@contextlib.contextmanager
def redis_down(w):
    """The app's Redis refuses connections (its address a closed port) until the block ends."""
    real = w.rt.config.REDIS_URL
    w.monkeypatch.setattr(w.rt.config, "REDIS_URL", CLOSED)
    try:
        yield
    finally:
        w.monkeypatch.setattr(w.rt.config, "REDIS_URL", real)


#: Redis slow: every command waits for SLOW_PAUSE_MS (CLIENT PAUSE of the real Redis), longer than
#: the app's REDIS_TIMEOUT (shortened here from 5 s so that a walk stays short; a page's two or three
#: commands each give up after it, all within the pause).
SLOW_TIMEOUT, SLOW_PAUSE_MS = 0.25, 1200


def redis_slow_visit(w, url, screen, pauser):
    """Load ``url`` while Redis answers nothing for SLOW_PAUSE_MS, measure it, wait the pause out."""
    go(w.tv, w.server + url)  # the pool's connections made (a new one would wait out the pause)
    with paused(pauser):
        return w.visit(url, screen, "Redis slow")


@contextlib.contextmanager
def paused(pauser):
    """Redis answers nothing for SLOW_PAUSE_MS from now; the block's end waits the pause out."""
    pauser.execute_command("CLIENT", "PAUSE", SLOW_PAUSE_MS, "ALL")
    until = time.monotonic() + SLOW_PAUSE_MS / 1000
    try:
        yield
    finally:
        time.sleep(max(0.0, until - time.monotonic()) + 0.05)


@contextlib.contextmanager
def redis_slow(w):
    """The app gives up on Redis after SLOW_TIMEOUT in the block; yields the connection that pauses it."""
    w.monkeypatch.setattr(w.rt.config, "REDIS_TIMEOUT", SLOW_TIMEOUT)
    w.monkeypatch.setattr(w.rt.config, "REDIS_CONNECT_TIMEOUT", SLOW_TIMEOUT)
    pauser = redis.Redis.from_url(w.redis_url)
    try:
        yield pauser
    finally:
        pauser.close()
        w.monkeypatch.setattr(w.rt.config, "REDIS_TIMEOUT", 5.0)
        w.monkeypatch.setattr(w.rt.config, "REDIS_CONNECT_TIMEOUT", 2.0)


def calm_or_screen(tv, screen):
    """With Redis slow a flow's screen comes, or the calm 503 with 다시 해 보기 focused."""
    if tv.page.query_selector("#calm-ok") is not None:
        assert tv.focused_id() == "calm-ok", "%s: the calm screen's button is not focused" % screen
        return True
    assert tv.focused_id(), "%s came with Redis slow but nothing is focused" % screen
    return False


def slow_flow_visit(w, url, screen):
    """A flow's screen with Redis slow: the calm 503 or the screen itself, navigable; then the screen again."""
    with redis_slow(w) as pauser:
        redis_slow_visit(w, url, screen, pauser)
        calm_or_screen(w.tv, screen)
    go(w.tv, w.server + url)


def down_flow_visit(w, url, screen):
    """A flow's screen with Redis down (refusing connections): the calm 503 or the screen, navigable; then
    the screen again, Redis back."""
    with redis_down(w):
        w.visit(url, screen, "Redis down")
        calm_or_screen(w.tv, screen)
    go(w.tv, w.server + url)


def redis_trouble_screens(w, receipt):
    """The main screens with Redis slow (paused past the app's timeout), then down
    (refusing connections): the screens that only read what Redis keeps for speed
    still come; one that needs a flow's state says calmly that it is taking a moment."""
    tv = w.tv
    w.monkeypatch.setattr(w.rt.config, "REDIS_TIMEOUT", SLOW_TIMEOUT)
    w.monkeypatch.setattr(w.rt.config, "REDIS_CONNECT_TIMEOUT", SLOW_TIMEOUT)
    pauser = redis.Redis.from_url(w.redis_url)
    try:
        screens = (("/tv/", "home"), ("/tv/requests/", "my requests"), ("/tv/requests/" + receipt, "request"),
                   ("/tv/taxes/", "tax bills"), ("/tv/news/", "news list"))
        for url, screen in screens:
            redis_slow_visit(w, url, screen, pauser)
            assert tv.page.query_selector("#calm-ok") is None, "%s did not come with Redis slow" % screen
        redis_slow_visit(w, "/tv/certificates/resident-copy/", "cert person", pauser)
        assert tv.focused_id() == "calm-ok", "no calm screen for a flow with Redis slow"
        with redis_down(w):
            for url, screen in screens:
                w.visit(url, screen, "Redis down")
                assert tv.page.query_selector("#calm-ok") is None, "%s did not come with Redis down" % screen
            w.visit("/tv/certificates/resident-copy/", "cert person", "Redis down (503)")
            press_nav(tv, "OK", "/tv/certificates/resident-copy/")  # 다시 해 보기: still down, still calm
            assert tv.focused_id() == "calm-ok"
        press_nav(tv, "OK", "/tv/certificates/resident-copy/")  # Redis back: the screen comes
        assert tv.page.query_selector("#calm-ok") is None
    finally:
        pauser.close()
        w.monkeypatch.setattr(w.rt.config, "REDIS_TIMEOUT", 5.0)
        w.monkeypatch.setattr(w.rt.config, "REDIS_CONNECT_TIMEOUT", 2.0)


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
    slow_flow_visit(w, "/tv/certificates/delivery", "cert delivery")
    down_flow_visit(w, "/tv/certificates/delivery", "cert delivery")
    press_nav(tv, "1", "/tv/certificates/delivery/fax")  # 다른 팩스 번호로 (OK takes the registered mail)
    w.check("cert fax", parent="/tv/certificates/delivery")
    slow_flow_visit(w, "/tv/certificates/delivery/fax", "cert fax")
    for d in "0601234567":
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery/fax")
    w.check("cert fax", "refused number (422)")
    # Redis down as the number is sent: a calm screen, and the number comes back with 다시 해 보기
    for d in "0212345678":
        tv.press(d)
    tv.press("DOWN")
    with redis_down(w):
        press_nav(tv, "OK", "/tv/certificates/delivery/fax")
        w.check("cert fax", "Redis down as the number is sent (503)", parent=None)
        assert tv.page.query_selector("#calm-ok") is not None and tv.focused_id() == "calm-ok"
    press_nav(tv, "OK", "/tv/certificates/delivery/fax")  # 다시 해 보기, Redis back
    assert tv.page.input_value("input[name=fax]") == "0212345678", "the typed number was lost"
    # Redis slow as the number is sent: the calm screen (and the number back with 다시 해 보기), or the next one
    tv.page.focus("input[name=fax]")
    tv.press("DOWN")
    with redis_slow(w) as pauser, paused(pauser):
        with tv.page.expect_navigation():
            tv.press("OK")
        ready(tv)
        w.check("cert fax", "Redis slow as the number is sent")
        calm = calm_or_screen(tv, "cert fax")
    if calm:
        press_nav(tv, "OK", "/tv/certificates/delivery/fax")
        assert tv.page.input_value("input[name=fax]") == "0212345678", "the typed number was lost (Redis slow)"
    go(tv, server + "/tv/certificates/delivery/email")
    w.check("cert email", parent="/tv/certificates/delivery")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/certificates/delivery/email")
    w.check("cert email", "empty new address")
    go(tv, server + "/tv/certificates/delivery/email")
    press_nav(tv, "OK", "/tv/certificates/confirm")
    tv.page.wait_for_function("() => document.getElementById('preview').complete")
    w.check("cert confirm")
    slow_flow_visit(w, "/tv/certificates/confirm", "cert confirm")
    down_flow_visit(w, "/tv/certificates/confirm", "cert confirm")
    tv.page.wait_for_function("() => document.getElementById('preview').complete")
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
    slow_flow_visit(w, "/tv/taxes/bill/%s/card" % OVERDUE, "tax card")
    down_flow_visit(w, "/tv/taxes/bill/%s/card" % OVERDUE, "tax card")
    # Declined at the provider (the sandbox's insufficient-funds card): nothing charged, another card asked
    type_card(tv, "4000000000000002")
    with tv.page.expect_navigation(url="**/tv/taxes/result/**"):
        tv.press("OK")
    ready(tv)
    w.check("tax result", "card declined at the provider")
    w.visit("/tv/taxes/bill/%s/account" % OVERDUE, "tax virtual account")
    w.visit("/tv/taxes/bill/%s/phone" % OVERDUE, "tax pay by phone")
    w.visit("/tv/taxes/bill/%s/receipt" % OVERDUE, "tax receipt to")
    w.visit("/tv/taxes/history", "tax history")
    w.visit("/tv/taxes/bill/0000", "tax bill", "unknown bill")
    w.visit("/tv/taxes/result/nosuchorder", "tax result", "unknown order")
    # A completed payment: the due bill paid by card, by keys
    go(tv, w.server + "/tv/taxes/bill/%s/card" % DUE)
    type_card(tv)
    # Redis slow as 결제하기 is pressed: the calm screen, or the result (nothing charged twice)
    tv.page.focus("#card-pay")
    with redis_slow(w) as pauser, paused(pauser):
        with tv.page.expect_navigation():
            tv.press("OK")
        ready(tv)
        calm = calm_or_screen(tv, "tax card")
        if calm:
            w.check("tax card", "Redis slow as 결제하기 is pressed")
    if calm:  # 다시 해 보기: the card screen again, empty (card digits are never kept on the box)
        press_nav(tv, "OK", "/tv/taxes/bill/%s/card" % DUE)
        assert tv.page.input_value("#card-number-value") == ""
        type_card(tv)
        with tv.page.expect_navigation(url="**/tv/taxes/result/**"):
            tv.press("OK")
        ready(tv)
    assert "/tv/taxes/result/" in tv.page.url, tv.page.url
    w.check("tax result", "paid by card")


def type_card(tv, number="4111111111111111"):
    for field, digits in (("#card-number", number), ("#card-expiry", "1230"),
                          ("#card-birth", "480312"), ("#card-pw", "12")):
        tv.page.focus(field)
        for d in digits:
            tv.press(d)
    tv.page.focus("#card-pay")


def question_vote(rt, title, min_age=14) -> int:
    """A question of three answers, open a week, made and approved as on the
    console (four eyes: the editor drafts, the approver approves)."""
    now = utcnow()
    with rt.session() as s:
        v = votes.create_vote(
            s, EDITOR, kind="question", title=title, min_age=min_age,
            options=[votes.OptionInput(t) for t in ("찬성합니다", "반대합니다", "잘 모르겠습니다")],
            opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7),
            district=rt.config.PARTICIPATION_DISTRICT,
            description="망원동 주민센터 앞 빈터에 주민 쉼터와 작은 도서관을 함께 짓는 안입니다.")
        votes.approve(s, APPROVER, v.id)
        return v.id


def vote_flow(rt, vote_id, **state):
    """The box's vote flow as the who and code screens leave it (김민준 verified)."""
    with rt.session() as s:
        device_id = s.scalar(select(Device.id).order_by(Device.id.desc()))
        rid = s.scalar(select(Resident.id).where(Resident.ref == "R1003"))
    rt.redis.set(VOTE_FLOW.key(device_id), rt.crypto.encrypt(json.dumps(
        dict({"vote_id": vote_id, "resident_id": rid, "id": "audit-%d" % vote_id, "chosen": [], "verified": True,
              "voted": False}, **state))))


def participation_screens(w, demo):
    """주민 참여 (votes made, approved, closed and published by the console's
    services): the list with one vote, a question voted by keys with the SMS
    code, the receipt checked, the vote changed with it, a budget ballot over
    its budget, a vote nobody here may vote in, a long list, a closed vote,
    published results, an unknown vote."""
    tv, server = w.tv, w.server
    qid = question_vote(demo, "망원동 주민 쉼터와 작은 도서관을 함께 지을까요?")
    go(tv, server + "/tv/")
    press_nav(tv, "6", "/tv/participation/")
    w.check("participation list", "one vote", parent="/tv/")
    press_nav(tv, "OK", "/tv/participation/%d/" % qid)
    w.check("participation vote", "open question", parent="/tv/participation/")
    slow_flow_visit(w, "/tv/participation/%d/" % qid, "participation vote")
    down_flow_visit(w, "/tv/participation/%d/" % qid, "participation vote")
    press_nav(tv, "OK", "/tv/participation/%d/who" % qid)
    w.check("participation who", parent="/tv/participation/%d/" % qid)
    tv.press("DOWN")
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/identity" % qid)
    w.check("participation identity", "before the code")
    press_nav(tv, "OK", "/tv/participation/%d/identity" % qid)
    w.check("participation identity", "code sent")
    code = code_for(demo, PHONE)
    for d in "%06d" % ((int(code) + 1) % 1_000_000):
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/identity" % qid)
    w.check("participation identity", "wrong code")
    assert tv.focused_id() == "code"
    tv.press("RED")  # 모두 지우기
    for d in code:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/ballot" % qid)
    w.check("participation ballot", "question, nothing chosen")
    press_nav(tv, "2", "/tv/participation/%d/ballot" % qid)
    w.check("participation ballot", "question, one chosen")
    slow_flow_visit(w, "/tv/participation/%d/ballot" % qid, "participation ballot")
    assert tv.page.query_selector("button.pv-opt[aria-pressed=true]") is not None, \
        "the choice was lost (Redis slow)"
    down_flow_visit(w, "/tv/participation/%d/ballot" % qid, "participation ballot")
    assert tv.page.query_selector("button.pv-opt[aria-pressed=true]") is not None, \
        "the choice was lost (Redis down)"
    press_nav(tv, "GREEN", "/tv/participation/%d/confirm" % qid)
    w.check("participation confirm", parent="/tv/participation/%d/ballot" % qid)
    press_nav(tv, "OK", "/tv/participation/%d/done" % qid)
    w.check("participation done", "receipt")
    receipt = "".join(ch for ch in tv.page.inner_text("#receipt") if ch.isdigit())
    assert len(receipt) == 12, receipt
    go(tv, server + "/tv/participation/%d/check" % qid)
    for d in "1234":
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/check" % qid)
    w.check("participation check", "not a whole receipt code")
    go(tv, server + "/tv/participation/%d/check" % qid)
    for d in "%012d" % ((int(receipt) + 1) % 10 ** 12):
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/check" % qid)
    assert tv.page.query_selector("#check-none") is not None
    w.check("participation check", "no such ballot")
    go(tv, server + "/tv/participation/%d/check" % qid)
    tv.press("RED")
    for d in receipt:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/check" % qid)
    assert tv.page.query_selector("#check-found") is not None
    w.check("participation check", "ballot found", parent="/tv/participation/%d/" % qid)
    w.visit("/tv/participation/%d/who" % qid, "participation who", "voted already")
    # Voting again: refused without the receipt, changed with it
    vote_flow(demo, qid, chosen=[1], voted=True)
    w.visit("/tv/participation/%d/confirm?e=already" % qid, "participation confirm", "voted already: the receipt asked")
    assert tv.focused_id() == "receipt"
    for d in receipt:
        tv.press(d)
    tv.press("DOWN")
    assert tv.focused_id() == "confirm-ok", tv.focused_id()
    press_nav(tv, "OK", "/tv/participation/%d/done" % qid)
    w.check("participation done", "vote changed")
    # A budget ballot: nine projects, 1억 원
    bid = budget_vote(demo)
    vote_flow(demo, bid)
    w.visit("/tv/participation/%d/ballot" % bid, "participation ballot", "budget, nothing chosen")
    press_nav(tv, "9", "/tv/participation/%d/ballot" % bid)
    press_nav(tv, "1", "/tv/participation/%d/ballot" % bid)
    w.check("participation ballot", "budget, all spent")
    tv.press("RIGHT")
    press_nav(tv, "OK", "/tv/participation/%d/ballot" % bid)
    assert tv.page.query_selector("#ballot-error") is not None
    w.check("participation ballot", "over budget (refused)")
    press_nav(tv, "GREEN", "/tv/participation/%d/confirm" % bid)
    w.check("participation confirm", "budget ballot")
    # Nobody in the household may vote (80 and over only)
    oid = question_vote(demo, "80세 이상 어르신 무료 급식 요일을 늘릴까요?", min_age=80)
    w.visit("/tv/participation/%d/who" % oid, "participation who", "nobody here may vote")
    press_nav(tv, "OK", "/tv/participation/%d/who" % oid)
    w.check("participation refusal", "not eligible", parent="/tv/participation/%d/who" % oid)
    # A long list
    for i in range(10):
        question_vote(demo, "%d번째 주민 의견 묻기: 골목길 일방통행 지정" % (i + 1))
    w.visit("/tv/participation/", "participation list", "long list, first page")
    w.visit("/tv/participation/?page=99", "participation list", "long list, last page")
    # Closed, then published; an unknown vote
    with demo.session() as s:
        votes.enter_paper(s, APPROVER, qid, "망원1동 주민센터", {1: 12, 2: 5, 3: 2})
        votes.close_now(s, APPROVER, qid)
    w.visit("/tv/participation/%d/" % qid, "participation vote", "closed")
    w.visit("/tv/participation/%d/who" % qid, "participation refusal", "closed")
    with demo.session() as s:
        votes.publish(s, demo.crypto, APPROVER, qid)
    w.visit("/tv/participation/%d/results" % qid, "participation results", "published",
            parent="/tv/participation/")
    w.visit("/tv/participation/99999/", "participation refusal", "unknown vote (404)")
    # Too many receipt checks from this box in a minute (the budget ballot's, still open)
    with demo.session() as s:
        device_id = s.scalar(select(Device.id).order_by(Device.id.desc()))
    while screens.receipt_check_allowed(demo, "box:%d" % device_id):
        pass
    go(tv, server + "/tv/participation/%d/check" % bid)
    for d in receipt:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/check" % bid)
    assert tv.page.query_selector("#check-limited") is not None
    w.check("participation check", "too many checks")
    # The code expired (the flow's code forgotten, as the check does), then locked after too many
    # wrong codes (김민준 again, not verified yet)
    vote_flow(demo, bid, verified=False)
    w.visit("/tv/participation/%d/identity?m=expired" % bid, "participation identity", "code expired")
    assert tv.focused_id() == "code-send", tv.focused_id()
    go(tv, server + "/tv/participation/%d/identity" % bid)
    if tv.focused_id() == "code-send":
        press_nav(tv, "OK", "/tv/participation/%d/identity" % bid)
    wrong = "%06d" % ((int(code_for(demo, PHONE)) + 1) % 1_000_000)
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
    w.check("participation identity", "locked (too many tries)")
    return bid


@pytest.mark.parametrize("size,lang", COMBOS)
def test_every_screen_in_every_state(own_backend, server, demo, browser, monkeypatch, redis_url,  # noqa: F811
                                     size, lang):
    tv = TvDriver.open(browser)
    audit = ScreenAudit(tv, size, lang, shots=FULL or bool(os.environ.get("TV_AUDIT_SHOTS")))
    w = Walk(tv, server, audit, demo, monkeypatch, redis_url, own_backend)
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
        w.visit("/tv/participation/", "participation list", "empty", parent="/tv/")
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
        busy = add_busy_fax(demo)
        w.visit("/tv/requests/" + busy, "request", "fax busy: cancel or email offered")
        w.visit("/tv/requests/%s/cancel" % busy, "request action", "cancel asked", parent="/tv/requests/" + busy)
        w.visit("/tv/requests/%s/switch" % busy, "request action", "email instead asked",
                parent="/tv/requests/" + busy)
        for i in range(33):
            add_request(demo, 2, "many-%d" % i, status=("delivered", "failed", "submitted")[i % 3])
        w.visit("/tv/requests/", "my requests", "long list, first page")
        w.visit("/tv/requests/?page=99", "my requests", "long list, last page")  # past the end: the last page
        w.visit("/tv/requests/NOSUCH", "request", "unknown (404)")
        add_request(demo, 4, "repeat", status="delivered", resident=True)
        w.visit("/tv/requests/", "my requests", "a delivered certificate offered again")
        assert tv.page.query_selector(".btn.repeat") is not None, "no repeat offer"

        # News: one item, the demo news, a long list
        publish_news(demo, "one", 1)
        w.visit("/tv/news/", "news list", "one item", parent="/tv/")
        news_demo.seed(demo)
        w.visit("/tv/news/", "news list", "demo news")
        press_nav(tv, "OK", "/tv/news/")
        w.check("news article", parent="/tv/news/")
        w.visit("/tv/news/?page=99", "news list", "demo news, last page")  # past the end: the last page
        w.visit("/tv/news/999999", "news article", "unknown (404)")
        publish_news(demo, "many", 24)
        w.visit("/tv/news/", "news list", "37 items, first page")
        w.visit("/tv/news/?page=99", "news list", "37 items, last page")
        go(tv, server + "/tv/news/")  # a category chosen by keys: up to the row, right to the first
        for _ in range(3):
            if (tv.focused_id() or "").startswith("cat-"):
                break
            tv.press("UP")
        tv.press("RIGHT")
        assert tv.focused_id() == "cat-1", tv.focused_id()
        with tv.page.expect_navigation(url="**cat=**"):
            tv.press("OK")
        ready(tv)
        w.check("news list", "a category chosen", parent="/tv/")

        certificate_screens(w, demo)
        tax_screens(w)
        tax_list_states(w)
        open_vote = participation_screens(w, demo)
        redis_trouble_screens(w, one)

        # The back end down
        own_backend.stop()
        w.visit("/tv/taxes/", "tax bills", "back end down")
        w.visit("/tv/certificates/resident-copy/", "cert person", "back end down")
        w.visit("/tv/taxes/bill/%s" % DUE, "tax bill", "back end down")
        w.visit("/tv/participation/%d/who" % open_vote, "participation who", "back end down (the mirror decides)")
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
        pairing_states(w)
        with redis_down(w):
            w.visit("/tv/pair", "pairing", "Redis down (503)")

    finally:
        audit.save()
        tv.close()
    WALKED[audit.combo] = audit.records  # walked to its end: the known list is checked against it
    problems = findings(audit.records, KNOWN)
    assert not problems, "%d findings:\n%s" % (len(problems), "\n".join(problems))


def checked_here(key: tuple[str, str, str]) -> bool:
    """Whether this run can tell that a KNOWN entry is stale: under ``make audit``
    every entry; in the fast subset those for every combination ("*") or for
    one of its own (normal-ko, xlarge-ko): an entry for a size, a language or
    another combination may be found only where the fast subset does not look."""
    return FULL or key[2] in ("*", *("%s-%s" % c for c in COMBOS))


def stale_entries(known: dict, records: list[dict]) -> list[tuple[str, str, str]]:
    """The entries of ``known`` this run checks that match none of its findings."""
    return [key for key in known if checked_here(key)
            and not any(items and known_reason({key: "x"}, r, check)
                        for r in records for check, items in r["findings"].items())]


def test_every_known_issue_is_still_found():
    """The known-issues list only shrinks: an entry that matches no finding of
    this run's walks (just made, every combination of this run) must go. In the
    fast subset (`make test`) this checks the entries for every combination or
    for normal-ko / xlarge-ko; `make audit` checks them all."""
    missing = ["%s-%s" % c for c in COMBOS if "%s-%s" % c not in WALKED]
    if missing:
        pytest.skip("the walks of %s did not run to their end in this run" % ", ".join(missing))
    records = [r for combo in WALKED.values() for r in combo]
    stale = stale_entries(KNOWN, records)
    assert stale == [], "fixed (remove from KNOWN): %s" % stale


def test_the_fast_subset_checks_the_entries_it_can():
    """Which KNOWN entries the fast subset holds to account (with a record
    that has a finding, an entry is not stale; without, it is)."""
    record = {"screen": "home", "state": "", "size": "normal", "lang": "ko",
              "findings": {"clipped": [{"el": "p"}], "small": []}}
    known = {("home", "clipped", "*"): "x", ("home", "small", "normal-ko"): "x",
             ("home", "small", "en"): "x", ("home", "small", "large"): "x"}
    expected = [("home", "small", "normal-ko")] + ([("home", "small", "en"), ("home", "small", "large")]
                                                   if FULL else [])
    assert stale_entries(known, [record]) == expected
