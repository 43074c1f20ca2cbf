"""Household screens (나의 민원, a request, the bills) validated without
rendering (tvapp.caching.household_screen): a box's copy gets a 304
while nothing it shows has changed, and a 200 with the new page the moment
anything has - a request's status, its timeline, a payment, the bills the back
end gives, the receipt choice, the box's language; never another household's
validator; a form screen's validator holds its session's CSRF token; the
server's time with every answer (``tv_now``)."""

from __future__ import annotations

import re

import pytest
from flask import template_rendered
from sqlalchemy import select

from services import ledger, pipeline
from services.core import versions
from services.models import Request
from services.taxes import bills as bills_mod
from services.taxes.models import TaxPayment
from tests.tvapp.test_tax_screens import DUE, OVERDUE, card_screen, pay, taxtv  # noqa: F401  (fixture)
from tests.tvapp.test_tv_screens import add_request, csrf, pair

HOUSEHOLD = "1144012-0001"


def text(r):
    return r.get_data(as_text=True)


_rendered: list = []


def _count(sender, template, context, **extra):
    _rendered.append(template.name)


template_rendered.connect(_count)


def renders(app):
    """Templates rendered so far (a 304 renders none)."""
    return len(_rendered)


def revalidate(box, path, r):
    return box.get(path, headers={"If-None-Match": r.headers["ETag"]})


def now_cookie(r) -> int:
    m = re.search(r"tv_now=(\d+); Path=/tv", ";".join(r.headers.getlist("Set-Cookie")))
    assert m, r.headers
    return int(m.group(1))


@pytest.fixture
def boxes(demo, app):
    a, b = app.test_client(), app.test_client()
    a.household_id = pair(a, demo, HOUSEHOLD)
    b.household_id = pair(b, demo, "1144012-0002")
    return a, b


def test_an_unchanged_screen_is_a_304_without_rendering(boxes, demo, app):
    a, _ = boxes
    receipt = add_request(demo, a.household_id)
    for path in ("/tv/requests/", "/tv/requests/%s" % receipt, "/tv/requests/?page=1"):
        r = a.get(path)
        assert r.status_code == 200 and r.headers["ETag"].startswith('W/"'), path
        assert r.headers["Cache-Control"] == "private, no-cache" and "Cookie" in r.headers["Vary"]
        first = now_cookie(r)
        before = renders(app)
        again = revalidate(a, path, r)
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["ETag"] == r.headers["ETag"]
        assert renders(app) == before, path  # answered from Redis alone
        assert now_cookie(again) >= first  # the clock of the kept copy is set right by tv.js
        other = a.get(path, headers={"If-None-Match": 'W/"not-this-one"'})
        assert other.status_code == 200 and receipt in text(other)


def test_a_status_change_or_a_new_step_is_seen_at_once(boxes, demo):
    a, _ = boxes
    receipt = add_request(demo, a.household_id)
    lst, detail = a.get("/tv/requests/"), a.get("/tv/requests/%s" % receipt)
    assert "접수" in text(lst)
    with demo.session() as s:  # the worker moves it on (pipeline.run counts each step it takes)
        req = s.query(Request).filter_by(receipt_no=receipt).one()
        req.status = "delivering"
        versions.household_changed(s, req.household_id)
    r = revalidate(a, "/tv/requests/", lst)
    assert r.status_code == 200 and r.headers["ETag"] != lst.headers["ETag"]
    assert "보내는 중" in text(r)
    detail2 = revalidate(a, "/tv/requests/%s" % receipt, detail)
    assert detail2.status_code == 200
    assert revalidate(a, "/tv/requests/%s" % receipt, detail2).status_code == 304
    with demo.session() as s:  # a timeline step alone (the request row untouched)
        req = s.query(Request).filter_by(receipt_no=receipt).one()
        ledger.append_event(s, req.id, "fax-try-1", "fax_attempt", {"attempt": 1})
    assert revalidate(a, "/tv/requests/%s" % receipt, detail2).status_code == 200


def test_no_household_gets_another_households_validator(boxes, demo):
    a, b = boxes
    ra = a.get("/tv/requests/")
    rb = b.get("/tv/requests/")
    assert ra.headers["ETag"] != rb.headers["ETag"]
    r = revalidate(b, "/tv/requests/", ra)
    assert r.status_code == 200 and "박*민 님 댁" in text(r) and "김*수" not in text(r)


def test_a_language_change_or_a_lost_counter_renders_again(boxes, demo):
    a, _ = boxes
    r = a.get("/tv/requests/")
    page = text(a.get("/tv/settings/"))
    assert a.post("/tv/settings/lang", data={"lang": "en", "csrf_token": csrf(page)}).status_code in (302, 303)
    en = revalidate(a, "/tv/requests/", r)
    assert en.status_code == 200 and 'lang="en"' in text(en)
    assert revalidate(a, "/tv/requests/", en).status_code == 304
    demo.redis.delete(versions.household_key(a.household_id))  # Redis lost it
    assert revalidate(a, "/tv/requests/", en).status_code == 200


def test_bills_screens_follow_payments_the_back_end_and_the_receipt_choice(taxtv, demo, app):  # noqa: F811
    tv = taxtv
    paths = ("/tv/taxes/", "/tv/taxes/bill/%s" % DUE, "/tv/taxes/history")
    first = {p: tv.get(p) for p in paths}
    for p, r in first.items():
        assert r.status_code == 200 and r.headers["ETag"].startswith('W/"'), p
        assert revalidate(tv, p, r).status_code == 304, p
    code = HOUSEHOLD

    # the cached bills run out; the back end is asked again and says the same: a 304, not rendered
    demo.redis.delete(bills_mod._cache_key(code), bills_mod.content_key(code))
    before = renders(app)
    assert revalidate(tv, "/tv/taxes/", first["/tv/taxes/"]).status_code == 304
    assert renders(app) == before and demo.redis.exists(bills_mod.content_key(code))

    # where the receipt goes (kept per box in Redis) shows on the bill's screen
    page = text(tv.get("/tv/taxes/bill/%s/receipt" % DUE))
    tv.post("/tv/taxes/bill/%s/receipt" % DUE, data=dict(use="fax", fax="0212345678", csrf_token=csrf(page)))
    r = revalidate(tv, "/tv/taxes/bill/%s" % DUE, first["/tv/taxes/bill/%s" % DUE])
    assert r.status_code == 200 and "영수증: 팩스 02-" in text(r)

    # a payment: the list loses the bill, the history gains it
    lst = tv.get("/tv/taxes/")
    page, order_id = card_screen(tv, OVERDUE)
    assert pay(tv, page, order_id).status_code == 302
    with demo.session() as s:  # the pipeline (run here) tells the back end and drops the cached bills
        rid = s.scalar(select(TaxPayment.request_id).where(TaxPayment.order_id == order_id))
    pipeline.process_request(rid)
    after = revalidate(tv, "/tv/taxes/", lst)
    assert after.status_code == 200 and "납부할 고지서 1건" in text(after)
    hist = revalidate(tv, "/tv/taxes/history", first["/tv/taxes/history"])
    assert hist.status_code == 200 and "주민세" in text(hist)


def test_without_redis_household_screens_render_without_validators(boxes, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    a, _ = boxes
    r = a.get("/tv/requests/")

    def down(*_a, **_k):
        raise RedisDown("test: Redis is down")

    monkeypatch.setattr("services.core.versions.read", down)
    monkeypatch.setattr(type(a.application.extensions["runtime"].redis), "mget", down)
    again = revalidate(a, "/tv/requests/", r)
    assert again.status_code == 200 and "ETag" not in again.headers


def test_form_screens_are_validated_with_their_session_s_token(boxes, demo, app):
    """The who screen of a certificate request has forms: it is validated all
    the same, with the session's CSRF token part of its validator: a box that
    lost its session cookie is given the page again, with a token that works,
    and another box's token never does. The box's choices (its request's
    flow) and the household's residents are part of the validator."""
    a, b = boxes
    path = "/tv/certificates/resident-copy/"
    r = a.get(path)
    assert r.status_code == 200 and r.headers["ETag"].startswith('W/"')
    before = renders(app)
    assert revalidate(a, path, r).status_code == 304 and renders(app) == before
    page = text(r)
    token = csrf(page)
    people = re.findall(r'name="resident_id" value="(\d+)"', page)
    assert len(people) >= 2

    a.delete_cookie("session")  # a lost session (or a new browser profile): the page is made again
    fresh = revalidate(a, path, r)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != r.headers["ETag"]
    token = csrf(text(fresh))
    r = fresh
    other = csrf(text(b.get(path)))
    refused = a.post(path + "who", data={"csrf_token": other, "resident_id": people[1]})
    assert refused.status_code == 400  # another box's token is not this box's
    chosen = a.post(path + "who", data={"csrf_token": token, "resident_id": people[1]})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/options")

    # the choice shows on the screen (its row has the focus): the kept copy is stale
    again = revalidate(a, path, r)
    assert again.status_code == 200 and again.headers["ETag"] != r.headers["ETag"]
    assert re.search(r'id="who-%s" data-nav-default' % people[1], text(again))
    assert revalidate(a, path, again).status_code == 304

    # the household's residents are what it lists
    from services.models import Resident

    with demo.session() as s:  # as services.households.upsert_household does
        person = s.get(Resident, int(people[0]))
        person.relation = "세대원(변경)"
        versions.household_changed(s, person.household_id)
    changed = revalidate(a, path, again)
    assert changed.status_code == 200 and "세대원(변경)" in text(changed)


def test_the_card_screen_is_validated_until_its_order_changes(taxtv, demo, app):  # noqa: F811
    tv = taxtv
    path = "/tv/taxes/bill/%s/card" % DUE
    r = tv.get(path)  # it opens the payment order (a new order changes no copy: nothing else shows it)
    assert r.status_code == 200 and r.headers["ETag"].startswith('W/"')
    before = renders(app)
    assert revalidate(tv, path, r).status_code == 304 and renders(app) == before

    # the phone screen makes the same order a phone payment: the card screen is rendered again
    assert tv.get("/tv/taxes/bill/%s/phone" % DUE).status_code == 200
    again = revalidate(tv, path, r)
    assert again.status_code == 200
    with demo.session() as s:
        assert s.scalar(select(TaxPayment.method).where(TaxPayment.epay_no == DUE)) == "card"

    # (that render changed the order back: its validator was stale as it was made)
    again = revalidate(tv, path, again)
    assert again.status_code == 200 and revalidate(tv, path, again).status_code == 304

    # paid with the kept copy's form: the card screen is not kept any more (the order is decided)
    order_id = re.search(r'action="/tv/taxes/pay/([^/]+)/card"', text(again)).group(1)
    assert pay(tv, text(again), order_id).status_code == 302
    after = revalidate(tv, path, again)
    assert after.status_code == 302 and "/tv/taxes/result/" in after.headers["Location"]


def test_a_box_paired_again_is_validated_for_its_new_household(boxes, demo, app):
    """A box now in another household is answered for that one."""
    from services.models import Device
    from tests.tvapp.test_tv_screens import device_of

    a, b = boxes
    r = a.get("/tv/requests/")
    assert revalidate(a, "/tv/requests/", r).status_code == 304
    theirs = add_request(demo, b.household_id)
    with demo.session() as s:
        s.get(Device, device_of(a, demo).id).household_id = b.household_id
    again = revalidate(a, "/tv/requests/", r)
    assert again.status_code == 200 and theirs in text(again)
    assert revalidate(a, "/tv/requests/", again).status_code == 304
    with demo.session() as s:  # their request moves on: seen at once
        req = s.query(Request).filter_by(receipt_no=theirs).one()
        req.status = "delivering"
        versions.household_changed(s, req.household_id)
    moved = revalidate(a, "/tv/requests/", again)
    assert moved.status_code == 200 and "보내는 중" in text(moved)
