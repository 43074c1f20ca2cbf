"""Every TV screen, rendered with the test client as a paired box, has a sound
focus graph: no navigation errors, every focusable reachable from the default
focus, Back going to the declared parent."""

import re

import pytest
from sqlalchemy import select

from remote_nav import FocusGraph
from remote_nav.prepare import differences
from services import ledger
from services.households import get_household
from services.models import Device, utcnow
from tvapp.tv.device import COOKIE, HASH_PURPOSE

HOUSEHOLD = "1144012-0001"


def device_of(client, runtime):
    token = client.get_cookie(COOKIE).value
    with runtime.session() as s:
        return s.scalar(select(Device).where(
            Device.token_hash == runtime.crypto.keyed_hash(token, HASH_PURPOSE)))


def pair(client, runtime, code=HOUSEHOLD):
    assert client.get("/tv/").status_code == 302
    with runtime.session() as s:
        d = s.get(Device, device_of(client, runtime).id)
        d.household_id = get_household(s, code).id
        d.paired_at = utcnow()
        return d.household_id


def add_request(runtime, household_id, ctype="resident-copy", events=()):
    with runtime.session() as s:
        req, _ = ledger.create_request(
            s, runtime.crypto, client_token="t-%s-%d" % (ctype, len(events)) + str(utcnow().timestamp()),
            kind="certificate", household_id=household_id, resident_id=None, channel="tv",
            delivery_method="fax", delivery_address="02-1234-5678",
            options={"certificate_type": ctype})
        for i, (kind, detail) in enumerate(events):
            ledger.append_event(s, req.id, "%s-%d" % (kind, i), kind, detail)
        if events:
            req.status = {"delivering": "delivering", "failed": "failed"}.get(events[-1][0], "submitted")
        return req.receipt_no


@pytest.fixture
def tv(demo, client):
    hid = pair(client, demo)
    client.household_id = hid
    return client


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def check_screen(html, parent):
    # annotated when its templates loaded (remote_nav.prepare) just as annotate() would
    assert differences(html) == [], differences(html)
    g = FocusGraph.from_html(html)
    assert g.errors == [], g.errors
    assert g.initial is not None
    reach = g.reachable()
    for scope in g.scopes[1:]:  # dialogs: from their entry
        if scope.items:
            reach |= g.reachable(g.entry(scope).id)
    assert reach == set(g.focusables), set(g.focusables) - reach
    if parent == "home":
        assert g.is_home
    else:
        assert g.parent == parent
    assert len(g.focusables) <= 20
    return g


def test_unpaired_box_gets_a_cookie_and_goes_to_pairing(demo, client):
    r = client.get("/tv/")
    assert r.status_code == 302 and r.location.endswith("/tv/pair")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "tv_device=" in cookie
    d = device_of(client, demo)
    assert d.household_id is None and len(d.token_hash) == 64
    assert client.get_cookie(COOKIE).value not in d.token_hash
    r = client.get("/tv/pair")
    g = check_screen(r.get_data(as_text=True), "home")
    assert g.initial == "pair-help"
    assert re.search(r'id="pair-code"[^>]*>[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}<',
                     r.get_data(as_text=True))
    assert "data:image/svg+xml;base64," in r.get_data(as_text=True)


def test_home(tv):
    html = tv.get("/tv/").get_data(as_text=True)
    g = check_screen(html, "home")
    assert g.initial == "tile-certificates"
    assert g.numbers["tiles"] == {1: "tile-certificates", 2: "tile-taxes", 3: "tile-news",
                                  4: "tile-requests", 5: "tile-settings", 6: "tile-participation"}
    for path in ("/tv/certificates/", "/tv/taxes/", "/tv/news/", "/tv/requests/", "/tv/settings/"):
        assert 'href="%s"' % path in html
    assert "TV 민원 서비스를 끝낼까요?" in html
    assert g.press("DOWN") == "tile-requests"


def test_home_and_my_requests_at_the_largest_text_size(tv, demo):
    """아주 크게 is laid out, not scaled: two tiles to a row (the arrows follow
    them), and 나의 민원 pages by three two-line rows."""
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).text_size = "xlarge"
    g = check_screen(tv.get("/tv/").get_data(as_text=True), "home")
    assert g.press("DOWN") == "tile-news"
    assert g.press("RIGHT") == "tile-taxes"
    assert g.press("DOWN", "DOWN") == "tile-settings"
    for _ in range(4):
        add_request(demo, tv.household_id)
    html = tv.get("/tv/requests/").get_data(as_text=True)
    assert html.count('class="row-link"') == 3
    assert "1 / 2" in html


def test_requests_empty_and_paged(tv, demo):
    html = tv.get("/tv/requests/").get_data(as_text=True)
    check_screen(html, "/tv/")
    assert "아직 신청한 민원이 없습니다" in html
    receipts = [add_request(demo, tv.household_id) for _ in range(8)]
    html = tv.get("/tv/requests/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert "1 / 2 쪽" in html and "주민등록표 등본" in html and "본인 확인" not in html
    assert receipts[-1] in html.split(receipts[0])[0] if receipts[0] in html else True
    assert g.colour_keys.get("BLUE") == "다음 쪽" or "BLUE" in str(g.colour_keys)
    html2 = tv.get("/tv/requests/?page=2").get_data(as_text=True)
    check_screen(html2, "/tv/")
    assert "2 / 2 쪽" in html2 and "이전 쪽" in html2
    assert receipts[0] in html2  # oldest last


def test_request_detail_timeline(tv, demo):
    no = add_request(demo, tv.household_id, "land-register", events=[
        ("sent_to_backend", {}),
        ("waiting", {"message": "구청 시스템 점검 중"}),
        ("accepted", {}), ("issued", {}),
        ("delivering", {"page": 1, "pages": 3}), ("delivering", {"page": 2, "pages": 3}),
    ])
    html = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    check_screen(html, "/tv/requests/")
    for text in ("토지대장", "접수", "구청 시스템에 전송", "구청 시스템 점검 중", "구청 확인", "발급",
                 "2/3 페이지 전송 중", 'style="width:67%"', "02-****-5678"):
        assert text in html, text
    assert "02-1234-5678" not in html
    assert html.count("tl-step") == 6  # the two delivering events are one step
    from_page = tv.get("/tv/requests/%s?from=2" % no).get_data(as_text=True)
    assert FocusGraph.from_html(from_page).parent == "/tv/requests/?page=2"


def test_failed_request_shows_why(tv, demo):
    no = add_request(demo, tv.household_id, "tax-payment", events=[
        ("failed", {"message": "팩스 번호가 응답하지 않습니다"})])
    html = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    assert "처리하지 못함" in html and "팩스 번호가 응답하지 않습니다" in html
    assert "지방세 납세증명서" in html


def test_other_households_requests_are_not_found(tv, demo):
    with demo.session() as s:
        other = get_household(s, "1144012-0002").id
    no = add_request(demo, other)
    r = tv.get("/tv/requests/%s" % no)
    assert r.status_code == 404
    check_screen(r.get_data(as_text=True), "/tv/")


def test_settings_help_practice(tv):
    html = tv.get("/tv/settings/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert g.initial == "lang-ko"
    assert {"lang-ko", "lang-en", "size-normal", "size-large", "size-xlarge", "help-remote",
            "help-practice", "unpair-open"} <= set(g.focusables)
    check_screen(tv.get("/tv/settings/help").get_data(as_text=True), "/tv/settings/")
    html = tv.get("/tv/settings/practice").get_data(as_text=True)
    g = check_screen(html, "/tv/settings/")
    assert g.colour_keys.get("RED")
    assert "/m/h/" not in html or True
    assert 'data-ho-poll="/tv/h/' in html


def test_help_pages_with_the_remote_at_the_larger_sizes(tv, demo):
    """보통: the six keys on one page; 크게 / 아주 크게: three to a page, BLUE / YELLOW turn it."""
    html = tv.get("/tv/settings/help").get_data(as_text=True)
    assert html.count("<tr>") == 6 and 'id="help-next"' not in html
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).text_size = "xlarge"
    html = tv.get("/tv/settings/help").get_data(as_text=True)
    g = check_screen(html, "/tv/settings/")
    assert html.count("<tr>") == 3 and g.colour_keys.get("BLUE") and not g.colour_keys.get("YELLOW")
    assert "1 / 2" in html and "노란 테두리를 움직입니다" in html
    html = tv.get("/tv/settings/help?page=2").get_data(as_text=True)
    g = check_screen(html, "/tv/settings/")
    assert html.count("<tr>") == 3 and g.colour_keys.get("YELLOW") and not g.colour_keys.get("BLUE")
    assert "2 / 2" in html and "QR 코드를 찍어" in html and "노란 테두리를 움직입니다" not in html
    assert tv.get("/tv/settings/help?page=9").get_data(as_text=True).count("2 / 2") == 1  # past the end: the last


def test_language_and_text_size_are_kept_on_the_device(tv, demo):
    html = tv.get("/tv/settings/").get_data(as_text=True)
    r = tv.post("/tv/settings/text-size", data={"size": "xlarge", "csrf_token": csrf(html)})
    assert r.status_code == 302
    r = tv.post("/tv/settings/lang", data={"lang": "en", "csrf_token": csrf(html)})
    d = device_of(tv, demo)
    assert (d.lang, d.text_size) == ("en", "xlarge")
    html = tv.get("/tv/").get_data(as_text=True)
    assert 'class="rn-text-xlarge"' in html and 'lang="en"' in html
    assert "My requests" in html and "Certificates" in html
    check_screen(html, "home")
    html = tv.get("/tv/settings/").get_data(as_text=True)
    check_screen(html, "/tv/")
    assert FocusGraph.from_html(html).initial == "lang-en"


def test_post_without_csrf_is_a_calm_screen(tv):
    r = tv.post("/tv/settings/lang", data={"lang": "en"})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "화면을 너무 오래 띄워 두었습니다" in html
    g = check_screen(html, "history")
    assert g.initial == "calm-ok"


def test_unpair_from_settings(tv, demo):
    html = tv.get("/tv/settings/").get_data(as_text=True)
    assert 'id="unpair-dialog"' in html and "data-nav-modal" in html
    r = tv.post("/tv/settings/unpair", data={"csrf_token": csrf(html)})
    assert r.status_code == 302 and r.location.endswith("/tv/pair")
    assert device_of(tv, demo).household_id is None
    assert tv.get("/tv/requests/").status_code == 302


def test_error_screens(tv):
    r = tv.get("/tv/no-such-screen")
    assert r.status_code == 404
    g = check_screen(r.get_data(as_text=True), "/tv/")
    assert "찾는 화면이 없습니다" in r.get_data(as_text=True)
    assert g.initial == "calm-ok"


def test_backend_unavailable_is_a_calm_screen(demo, client, monkeypatch):
    from services.bridge.client import BackendUnavailable

    def down(*a, **k):
        raise BackendUnavailable("down")

    monkeypatch.setattr("services.households.get_household", lambda s, code: None)
    monkeypatch.setattr("services.households.sync_household", down)
    r = client.get("/tv/simulator")
    assert r.status_code == 503
    html = r.get_data(as_text=True)
    assert "구청 시스템에 잠시 연결할 수 없습니다" in html
    check_screen(html, "history")


def test_server_error_is_a_calm_screen(tv, app, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr("tvapp.tv.views.ledger.request_page", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = tv.get("/tv/requests/")
    assert r.status_code == 500
    check_screen(r.get_data(as_text=True), "/tv/")


def test_simulator_starts_paired_to_the_first_demo_household(demo, client):
    r = client.get("/tv/simulator")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'src="/tv/"' in html and 'data-key="BACK"' in html and 'data-key="RED"' in html
    for key in ("UP", "DOWN", "LEFT", "RIGHT", "OK", "GREEN", "YELLOW", "BLUE", "PLAY", "PAUSE",
                "DIGIT_0", "DIGIT_9"):
        assert 'data-key="%s"' % key in html
    with demo.session() as s:
        assert device_of(client, demo).household_id == get_household(s, HOUSEHOLD).id
    assert client.get("/tv/").status_code == 200
    assert 'src="/tv/"' in client.get("/tv/simulator?start=//evil.example/").get_data(as_text=True)


def test_digit_grouping():
    from tvapp.tv.ui import group_digits

    assert group_digits("0212345678") == "02-1234-5678"
    assert group_digits("021234567") == "02-123-4567"
    assert group_digits("01012345678") == "010-1234-5678"
    assert group_digits("0311234567") == "031-123-4567"
    assert group_digits("021") == "02-1"
    assert group_digits("15881234") == "1588-1234"
    assert group_digits("1234567812345678", "card") == "1234-5678-1234-5678"
    assert group_digits("123456", "card") == "1234-56"


def test_labels_are_translated_once_per_language(app):
    from tvapp.tv import labels

    with app.test_request_context("/tv/"):
        ko, en = labels.table("ko"), labels.table("en")
        assert labels.table("ko") is ko  # kept, not built per call
        assert ko["certificates"]["land-register"] == "토지대장"
        assert en["statuses"]["failed"] != "처리하지 못함" and en["date"] != ko["date"]
        assert labels.kind_text("certificate", "land-register", en) == en["certificates"]["land-register"]
        assert labels.kind_text("tax_payment", None, ko) == "지방세 납부"


def test_every_tv_screen_without_arguments_is_annotated(tv, app):
    """Each GET screen under /tv/ that takes no URL arguments, as a paired box:
    fully annotated when rendered (remote_nav.prepare), no marker left."""
    from remote_nav.prepare import END, START

    seen = 0
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if ("GET" not in rule.methods or rule.arguments or not path.startswith("/tv")
                or path in ("/tv/ticker", "/tv/simulator")):
            continue
        r = tv.get(path)
        body = r.get_data(as_text=True)
        assert START not in body and END not in body, path
        if r.mimetype == "text/html" and r.status_code == 200:
            assert differences(body) == [], (path, differences(body))
            seen += 1
    assert seen >= 8


def test_a_paid_tax_reads_as_paid_in_my_requests(tv, demo):
    """Issue 17 item 10: a card payment is 납부 완료 in 나의 민원, not 전달 완료."""
    with demo.session() as s:
        req, _ = ledger.create_request(
            s, demo.crypto, client_token="paid-%s" % utcnow().timestamp(), kind="tax_payment",
            household_id=tv.household_id, resident_id=None, channel="tv", delivery_method="email",
            delivery_address="youngsoo.kim@example.com", options={"order_id": "o-1"})
        ledger.append_event(s, req.id, "paid", "paid", {})
        ledger.append_event(s, req.id, "delivered", "delivered", {"method": "email"})
        req.status = "delivered"
        no = req.receipt_no
    html = tv.get("/tv/requests/").get_data(as_text=True)
    row = re.search(r'id="req-%s".*?</a>' % no, html, re.S).group(0)
    assert "지방세 납부" in row and "납부 완료" in row and "전달 완료" not in row
    detail = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    summary = re.search(r'class="req-summary".*?</p>', detail, re.S).group(0)
    assert "납부 완료" in summary and "전달 완료" not in summary


def test_a_request_screen_follows_its_version(tv, demo):
    """Issue 17 item 3: live.js polls a small JSON of the household's own
    request (its status and events, nothing personal) while it is in progress."""
    no = add_request(demo, tv.household_id, events=[("delivering", {"page": 1, "pages": 2})])
    html = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    shown = re.search(r'data-live-version="([^"]+)"', html).group(1)
    assert 'data-live="/tv/requests/%s/live.json"' % no in html and "tv/live.js" in html
    r = tv.get("/tv/requests/%s/live.json" % no)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    assert r.json == {"version": shown, "final": False}
    assert set(r.get_data(as_text=True)) <= set('{}":,. \n-abcdefghijklmnopqrstuvwxyz0123456789')  # no names, numbers
    with demo.session() as s:
        req = ledger.get_by_receipt(s, no)
        ledger.append_event(s, req.id, "later", "delivering", {"page": 2, "pages": 2})
    assert tv.get("/tv/requests/%s/live.json" % no).json["version"] != shown
    with demo.session() as s:
        ledger.get_by_receipt(s, no).status = "delivered"
    assert tv.get("/tv/requests/%s/live.json" % no).json["final"] is True
    html = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    assert "data-live=" not in html and "tv/live.js" not in html  # final: nothing to follow
    with demo.session() as s:
        other = get_household(s, "1144012-0002").id
    assert tv.get("/tv/requests/%s/live.json" % add_request(demo, other)).status_code == 404
    assert tv.get("/tv/requests/%s/live.json" % ("9" * 40)).status_code == 404


def test_a_fax_in_trouble_offers_cancel_on_its_screen(tv, demo):
    no = add_request(demo, tv.household_id, events=[
        ("delivering", {"page": 0, "pages": 2}),
        ("waiting", {"reason": "fax_retry", "message": "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다."}),
        ("delivering", {"page": 0, "pages": 2})])
    html = tv.get("/tv/requests/%s?from=2" % no).get_data(as_text=True)
    g = check_screen(html, "/tv/requests/?page=2")
    assert g.colour_keys.get("RED") == "신청 취소"
    assert 'id="detail-switch"' not in html  # no registered email to switch to (no resident)
    page = tv.get("/tv/requests/%s/cancel?from=2" % no).get_data(as_text=True)
    g = check_screen(page, "/tv/requests/%s?from=2" % no)
    assert g.initial == "action-ok" and "신청을 취소할까요?" in page
    assert tv.post("/tv/requests/%s/cancel" % no).status_code == 400  # no CSRF token
    r = tv.post("/tv/requests/%s/cancel?from=2" % no, data={"csrf_token": csrf(page)})
    assert r.status_code == 302 and r.location.endswith("/tv/requests/%s?from=2" % no)
    r = tv.post("/tv/requests/%s/cancel?from=2" % no, data={"csrf_token": csrf(page)})  # OK pressed twice
    assert r.status_code == 302
    with demo.session() as s:
        req = ledger.get_by_receipt(s, no)
        assert req.status == "cancelled"
        assert [e.kind for e in ledger.timeline(s, req.id)].count("cancelled") == 1
    assert tv.get("/tv/requests/%s/cancel" % no).status_code == 302  # nothing left to cancel
    assert tv.get("/tv/requests/%s/other" % no).status_code == 404
