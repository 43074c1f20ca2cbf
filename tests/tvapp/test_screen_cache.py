"""HTTP caching of the TV screens (tvapp.caching): shared screens carry a
validator of their bytes and are revalidated with 304s; what changes
them (a news item published, a ticker running out, a box's language) changes
their validators; no household ever gets another's name or pages; personal
screens are ``private, no-cache``; static files are versioned and immutable."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_tax_screens import pay
from test_tv_screens import add_request, pair

from broadcast_feed import demo as news_demo
from broadcast_feed import store, workflow
from broadcast_feed.models import NewsItem, TickerMessage
from services.bridge.client import BackendUnavailable
from services.models import utcnow
from services.taxes import bills
from services.taxes.models import TaxPayment

APPROVER = workflow.Actor(2, "ap", "approver")
SHARED = ("/tv/", "/tv/news/", "/tv/certificates/")


@pytest.fixture
def boxes(demo, app):
    """Three boxes: two paired to 김영수's household, one to 박철민's."""
    news_demo.seed(demo)
    a, a2, b = app.test_client(), app.test_client(), app.test_client()
    pair(a, demo, "1144012-0001")
    pair(a2, demo, "1144012-0001")
    pair(b, demo, "1144012-0002")
    return a, a2, b


def text(r):
    return r.get_data(as_text=True)


def without_clock(html):
    return re.sub(r'data-now="\d+">\d\d:\d\d<', "", html)


def test_shared_screens_carry_validators_and_revalidate_with_a_304(boxes, app):
    a = boxes[0]
    for path in SHARED:
        r = a.get(path)
        assert r.status_code == 200, path
        assert r.headers["ETag"].startswith('W/"'), path
        assert r.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in r.headers["Vary"]
        again = a.get(path, headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == r.headers["ETag"]
        assert again.headers["Cache-Control"] == "private, no-cache"
        other = a.get(path, headers={"If-None-Match": 'W/"not-this-one"'})
        assert other.status_code == 200 and "tvmark" not in text(other)


def test_no_household_gets_another_households_name_or_validator(boxes):
    a, _, b = boxes
    for path in SHARED:
        ra, rb = a.get(path), b.get(path)
        assert "김*수 님 댁" in text(ra) and "박*민" not in text(ra)
        assert "박*민 님 댁" in text(rb) and "김*수" not in text(rb)
        assert ra.headers["ETag"] != rb.headers["ETag"]
        # 박철민's box presenting 김영수's validator gets its own page, not a 304
        r = b.get(path, headers={"If-None-Match": ra.headers["ETag"]})
        assert r.status_code == 200 and "박*민 님 댁" in text(r)
        assert "tvmark" not in text(ra) + text(rb)


def test_the_clock_is_filled_per_response(boxes):
    a = boxes[0]
    first = text(a.get("/tv/"))
    time.sleep(0.01)
    second = text(a.get("/tv/"))
    now = [int(m) for m in re.findall(r'data-now="(\d+)"', first + second)]
    assert len(now) == 2 and now[1] > now[0] and abs(now[1] / 1000 - time.time()) < 5
    assert re.search(r'id="tv-clock" data-now="\d+">\d\d:\d\d</div>', second)
    assert without_clock(first) == without_clock(second)


def test_publishing_a_news_item_changes_the_screens(boxes, demo):
    a = boxes[0]
    r = a.get("/tv/news/")
    with demo.session() as s:
        item = NewsItem(source_id=store.list_sources(s)[0].id, key="cache-test", state="submitted",
                        revision=1, title="캐시 시험용 새 소식", summary="요약", body="본문",
                        category="", fingerprint="x")
        s.add(item)
        s.flush()
        item_id = item.id
    assert a.get("/tv/news/", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304  # not live yet
    workflow.publish_item(demo, APPROVER, item_id)
    r2 = a.get("/tv/news/", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and "캐시 시험용 새 소식" in text(r2)
    assert r2.headers["ETag"] != r.headers["ETag"]
    workflow.unpublish_item(demo, APPROVER, item_id)
    r3 = a.get("/tv/news/", headers={"If-None-Match": r2.headers["ETag"]})
    assert r3.status_code == 200 and "캐시 시험용 새 소식" not in text(r3)


def test_a_ticker_running_out_ends_the_cached_screen(boxes, demo):
    a = boxes[0]
    with demo.session() as s:
        s.add(TickerMessage(text="곧 끝나는 자막", severity="Severe", state="published", created_by="t",
                            approved_by="t", published_at=utcnow(),
                            expires_at=utcnow() + timedelta(seconds=1.5)))
    r = a.get("/tv/")
    assert "곧 끝나는 자막" in text(r)
    assert "곧 끝나는 자막" in text(a.get("/tv/certificates/"))
    time.sleep(1.6)  # no commit: only the clock says it is over
    r2 = a.get("/tv/", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and "곧 끝나는 자막" not in text(r2)
    assert "곧 끝나는 자막" not in text(a.get("/tv/requests/"))  # the personal screens' ticker too


def test_language_and_text_size_are_their_own_screens(boxes):
    a, a2, _ = boxes
    r = a.get("/tv/")
    settings = text(a.get("/tv/settings/"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', settings).group(1)
    assert a.post("/tv/settings/lang", data={"lang": "en", "csrf_token": token}).status_code == 302
    r2 = a.get("/tv/", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and '<html lang="en"' in text(r2)
    assert '<html lang="ko"' in text(a2.get("/tv/"))  # the same household's other box
    assert a.post("/tv/settings/text-size", data={"size": "xlarge", "csrf_token": token}).status_code == 302
    r3 = a.get("/tv/", headers={"If-None-Match": r2.headers["ETag"]})
    assert r3.status_code == 200 and "rn-text-xlarge" in text(r3)
    assert "rn-text-normal" in text(a2.get("/tv/"))


def test_a_settings_change_is_never_answered_with_a_304(boxes):
    a = boxes[0]
    r = a.get("/tv/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(a.get("/tv/settings/"))).group(1)
    a.post("/tv/settings/lang", data={"lang": "en", "csrf_token": token})
    r2 = a.get("/tv/", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 200 and '<html lang="en"' in text(r2)


def test_unpairing_is_seen_at_once(boxes, demo):
    a = boxes[0]
    assert a.get("/tv/").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(a.get("/tv/settings/"))).group(1)
    assert a.post("/tv/settings/unpair", data={"csrf_token": token}).status_code == 302
    r = a.get("/tv/")
    assert r.status_code == 302 and r.location.endswith("/tv/pair")


def test_personal_screens_are_private_and_never_shared(boxes, demo):
    a, _, b = boxes
    receipt = add_request(demo, _household_id(demo, "1144012-0001"))
    for path in ("/tv/requests/", "/tv/requests/%s" % receipt, "/tv/settings/", "/tv/taxes/",
                 "/tv/certificates/resident-copy/"):
        r = a.get(path)
        assert r.status_code == 200, path
        assert r.headers["Cache-Control"] == "private, no-cache", path
        assert "Cookie" in r.headers["Vary"], path
        # household screens are validated per household (test_household_validators); the rest not at all
        assert ("ETag" in r.headers) == path.startswith(("/tv/requests/", "/tv/taxes/", "/tv/certificates/")), path
    assert receipt in text(a.get("/tv/requests/"))
    assert receipt not in text(b.get("/tv/requests/"))
    assert b.get("/tv/requests/%s" % receipt).status_code == 404


def _household_id(rt, code):
    from services.households import get_household

    with rt.session() as s:
        return get_household(s, code).id


def test_static_files_are_versioned_and_immutable(boxes):
    a = boxes[0]
    html = text(a.get("/tv/"))
    urls = re.findall(r'(?:href|src)="(/(?:static|remote_nav/static)/[^"]+)"', html)
    assert len(urls) >= 3
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{10}$", url), url
        r = a.get(url)
        assert r.status_code == 200
        assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
        r.close()
    stale = a.get(urls[0].split("?")[0] + "?v=0000000000")
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    stale.close()


def test_without_redis_the_screens_still_render(boxes, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    from services.core.runtime import Runtime

    a = boxes[0]

    def down(self):
        raise RedisDown("down")

    monkeypatch.setattr(Runtime, "redis", property(down))
    r = a.get("/tv/")
    assert r.status_code == 200 and "김*수 님 댁" in text(r)
    mine = a.get("/tv/requests/")
    assert mine.status_code == 200 and "ETag" not in mine.headers  # no counters: no validator


def test_bill_screens_ask_the_back_end_once_and_paying_asks_again(boxes, demo, monkeypatch):
    """The lists, a bill and its card screen show the copy the back end gave
    (kept ``bills.CACHE_SECONDS``); pressing OK asks the back end again before
    any charge."""
    a = boxes[0]
    calls = []
    real = type(demo.bridge).tax_bills
    away = []

    def counting(self, code):
        calls.append(code)
        if away:
            raise BackendUnavailable("test: the back end is away")
        return real(self, code)

    monkeypatch.setattr(type(demo.bridge), "tax_bills", counting)
    for _ in range(3):
        assert a.get("/tv/taxes/").status_code == 200
        assert a.get("/tv/taxes/history").status_code == 200
    assert calls == ["1144012-0001"]
    bills.forget(demo, "1144012-0001")
    a.get("/tv/taxes/")
    assert len(calls) == 2
    a.get("/tv/taxes/bill/1144012611260000011")
    assert len(calls) == 2
    card = a.get("/tv/taxes/bill/1144012611260000011/card")
    assert card.status_code == 200 and "254,800원" in text(card)
    assert len(calls) == 2  # the card screen shows the copy its bill screen showed
    order_id = re.search(r'action="/tv/taxes/pay/([^/]+)/card"', text(card)).group(1)
    away.append(True)  # OK pressed: the back end is asked before any charge (and is away: nothing charged)
    assert pay(a, text(card), order_id).status_code == 302
    assert len(calls) == 3
    with demo.session() as s:  # nothing was charged; the order may be tried again
        order = s.scalar(select(TaxPayment).where(TaxPayment.order_id == order_id))
        assert (order.status, order.reason, order.payment_key) == ("ready", "backend_unavailable", None)
