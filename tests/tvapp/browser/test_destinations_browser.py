"""The screens of issue 21 (remembered destinations, the repeat offer, the
one-press 납세증명서) in real Chromium at 1280x720 at every text size: text
at least 30 px, nothing outside the title-safe area, every control within
the main area; screenshots go to test-artifacts/tv/."""

from __future__ import annotations

import json
import re

import pytest
import requests
from sqlalchemy import select

from services import destinations
from services.certificates import requests as certs
from services.households import get_household
from services.models import Destination, Device, Resident, utcnow
from tests.support.screen_audit import known_reason
from tests.tvapp.browser.test_screen_audit import KNOWN
from tests.tvapp.browser.test_tv_browser import check_screen, go, press_nav
from tests.tvapp.test_tv_screens import csrf

pytestmark = pytest.mark.browser

DUE = "1144012611260000011"
OVERDUE = "1144012608260000022"


@pytest.fixture
def own_backend(demo, private_backend, monkeypatch):
    monkeypatch.setattr(demo.config, "BACKEND_URL", private_backend.url)
    demo.__dict__.pop("bridge", None)
    yield private_backend
    demo.__dict__.pop("bridge", None)


def set_size(tv, server, size):
    go(tv, server + "/tv/settings/")
    tv.page.focus("#size-" + size)
    press_nav(tv, "OK", "/tv/settings/")
    assert tv.page.get_attribute("html", "class") == "rn-text-" + size


def look(tv, artifacts, name, size):
    """check_screen at 보통 and 크게; at 아주 크게 the shared header and legend
    are the screen audit's (issue 17), so only the screenshot and ``fits``."""
    if size == "xlarge":
        tv.screenshot(artifacts / ("%s.png" % name))
    else:
        check_screen(tv, artifacts, name)
    fits(tv)


def fits(tv):
    """Every control lies inside the main area (nothing pushed under the legend)."""
    bad = fits_all(tv)
    assert bad == [], bad


def fits_all(tv):
    """The ids of the controls that do not lie inside the main area."""
    return tv.page.evaluate("""() => {
      const main = document.getElementById('tv-main').getBoundingClientRect(), out = [];
      document.querySelectorAll('#tv-main a, #tv-main button, #tv-main [data-nav-focusable]').forEach((el) => {
        const r = el.getBoundingClientRect();
        if (r.width && (r.bottom > main.bottom + 1 || r.right > main.right + 1)) { out.push(el.id); }
      });
      return out; }""")


def test_new_screens_at_every_text_size(own_backend, server, demo, tv, artifacts):
    tv.page.goto(server + "/tv/simulator")
    with demo.session() as s:
        hid = get_household(s, "1144012-0001").id
        device = s.scalar(select(Device).where(Device.household_id == hid).order_by(Device.id.desc())).id
        youngsoo = s.scalar(select(Resident.id).where(Resident.ref == "R1001"))
        for n in ("031-123-4567", "02-2153-1234"):
            destinations.remember(s, demo.crypto, hid, n)
        s.add(Destination(household_id=hid, method="fax", number_enc=demo.crypto.encrypt("060-700-1234"),
                          number_hash=demo.crypto.keyed_hash("0607001234", "destination-fax"),
                          last_used_at=utcnow(), created_at=utcnow()))
        req, _ = certs.submit(s, demo, client_token="old", household_id=hid, resident_id=youngsoo,
                              cert_type="resident-copy", options={"full_rrn": "no"}, method="fax",
                              address="02-2153-1234")
        req.status = "delivered"
    bank = next(d.id for d in destinations.household_destinations(demo, hid) if d.number == "02-2153-1234")
    destinations.give_name(demo, destinations.start_naming(demo, hid, bank), "국민은행 마포지점 대출창구")

    # a paid bill (on the phone) for the result screen
    go(tv, server + "/tv/taxes/bill/%s/phone" % DUE)
    url = tv.page.get_attribute("img[data-qr]", "data-qr")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    phone = requests.Session()
    form = phone.get(server + path, timeout=10).text
    phone.post(server + path, data=dict(number="4111111111111111", expiry="1230", birth="480312", password2="12",
                                        csrf_token=csrf(form)), timeout=10).raise_for_status()
    tv.page.wait_for_url(re.compile(r"/tv/taxes/result/"), timeout=30000)
    result = tv.page.url

    flow = {"type": "resident-copy", "resident_id": youngsoo, "verified": True, "id": "size-test",
            "options": {"full_rrn": "no"}}
    for size in ("normal", "large", "xlarge"):
        set_size(tv, server, size)
        demo.redis.set("certflow:%d" % device, demo.crypto.encrypt(json.dumps(flow)), ex=600)
        go(tv, server + "/tv/certificates/delivery")
        assert tv.focused_id() == "dest-%d" % bank
        if size != "xlarge":  # (at 아주 크게 only the one used last is listed)
            assert "060-700-1234" in tv.page.inner_text("#saved") and "쓸 수 없음" in tv.page.inner_text("#saved")
        look(tv, artifacts, "dest-delivery-%s" % size, size)
        go(tv, server + "/tv/certificates/destinations/%d/name" % bank)
        look(tv, artifacts, "dest-name-%s" % size, size)
        go(tv, server + "/tv/requests/")
        assert tv.page.query_selector("#repeat a") is not None
        look(tv, artifacts, "dest-requests-%s" % size, size)
        go(tv, server + "/tv/taxes/bill/%s/receipt" % OVERDUE)
        assert "02-2153-1234" in tv.page.inner_text("#receipt-saved")
        look(tv, artifacts, "dest-tax-receipt-%s" % size, size)
        go(tv, result)
        assert tv.focused_id() == "result-cert-quick"
        look(tv, artifacts, "dest-tax-result-%s" % size, size)


@pytest.mark.parametrize("size", ["normal", "xlarge"])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_repeat_from_a_request_s_screen_says_where_it_goes(server, demo, tv, artifacts, size, lang):
    """Issue 21: a delivered request's screen offers 같은 증명서 다시 받기
    (BLUE); the identity screen then names the certificate and where it will
    go (the household's fax number in full, with its name) in one line above
    the columns, before and after the code is sent, and everything still fits."""
    tv.page.goto(server + "/tv/simulator")
    with demo.session() as s:
        hid = get_household(s, "1144012-0001").id
        youngsoo = s.scalar(select(Resident.id).where(Resident.ref == "R1001"))
        destinations.remember(s, demo.crypto, hid, "02-2153-1234")
        req, _ = certs.submit(s, demo, client_token="again-%s-%s" % (size, lang), household_id=hid,
                              resident_id=youngsoo, cert_type="resident-copy", options={"full_rrn": "no"},
                              method="fax", address="02-2153-1234")
        req.status = "delivered"
        receipt = req.receipt_no
        s.execute(Device.__table__.update().where(Device.household_id == hid).values(text_size=size, lang=lang))
    bank = next(d.id for d in destinations.household_destinations(demo, hid) if d.number == "02-2153-1234")
    destinations.give_name(demo, destinations.start_naming(demo, hid, bank), "국민은행 마포지점")
    go(tv, server + "/tv/requests/%s" % receipt)
    assert tv.page.get_attribute("html", "class") == "rn-text-" + size
    tv.screenshot(artifacts / ("repeat-detail-%s-%s.png" % (size, lang)))
    box = tv.page.locator("#detail-repeat").bounding_box()
    assert 64 <= box["x"] and box["x"] + box["width"] <= 1216, box
    fits(tv)
    press_nav(tv, "BLUE", "/tv/certificates/identity")
    for state in ("before", "sent"):
        tv.screenshot(artifacts / ("repeat-identity-%s-%s-%s.png" % (state, size, lang)))
        line = tv.page.locator("#preset-line")
        text = line.inner_text()
        assert "02-2153-1234 (국민은행 마포지점)" in text
        assert ("Resident registration" if lang == "en" else "주민등록표 등본") in text
        assert ("Fax" if lang == "en" else "팩스") in text
        height = tv.page.evaluate("() => { const p = document.getElementById('preset-line');"
                                  " return p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight); }")
        assert height < 1.5, (state, height)  # one line
        if state == "sent" and known_reason(KNOWN, {"screen": "cert identity", "size": size, "lang": lang},
                                            "covered"):
            # the SMS-reply note's own known finding (being shortened on another branch): 확인 under
            # the legend; this check is whole again once the audit no longer lists it
            assert not [b for b in fits_all(tv) if b != "code-ok"], fits_all(tv)
        else:
            fits(tv)
        assert tv.small_text(30) == [], tv.small_text(30)
        if state == "before":
            press_nav(tv, "OK", "/tv/certificates/identity")  # 인증번호 받기
            assert tv.page.query_selector("#code") is not None
