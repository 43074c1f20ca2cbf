"""Issue 17 item 3: a fax in trouble's screen and its two questions (신청 취소,
메일로 받기) fit at 보통 and 아주 크게, in Korean and English: every button
inside the frame, no text under 30 px, nothing of theirs past the safe area."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services import ledger
from services.households import get_household
from services.models import Device, Resident, utcnow
from tests.tvapp.browser.test_request_timeline_browser import BUSY
from tests.tvapp.browser.test_tv_browser import HOUSEHOLD, go

pytestmark = pytest.mark.browser


def in_main(tv):
    """Safe-area problems of the screen's own part (the header and the legend are the base template's)."""
    main = tv.page.locator("#tv-main").bounding_box()
    return [b for b in tv.outside_safe_area()
            if main["y"] <= (b["top"] + b["bottom"]) / 2 <= main["y"] + main["height"]]


@pytest.mark.parametrize("size", ["normal", "xlarge"])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_trouble_screens_fit(server, demo, tv, artifacts, size, lang):
    with demo.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        res = s.scalar(select(Resident).where(Resident.ref == "R1003"))
        req, _ = ledger.create_request(
            s, demo.crypto, client_token="fit-%s" % utcnow().timestamp(), kind="certificate", household_id=hid,
            resident_id=res.id, channel="tv", delivery_method="fax", delivery_address="02-1234-0000",
            options={"certificate_type": "resident-copy"})
        ledger.append_event(s, req.id, "busy", "waiting", {"reason": "fax_retry", "message": BUSY})
        req.status = "delivering"
        no = req.receipt_no
    tv.page.goto(server + "/tv/simulator")
    with demo.session() as s:
        s.execute(update(Device).values(text_size=size, lang=lang))
    pages = {"detail": ("detail-back", "detail-cancel", "detail-switch"),
             "cancel": ("action-ok", "action-no"), "switch": ("action-ok", "action-no")}
    for name, buttons in pages.items():
        go(tv, server + "/tv/requests/%s%s" % (no, "" if name == "detail" else "/" + name))
        tv.screenshot(artifacts / ("trouble-%s-%s-%s.png" % (name, size, lang)))
        main = tv.page.locator("#tv-main").bounding_box()
        for button in buttons:
            box = tv.page.locator("#" + button).bounding_box()
            assert 64 <= box["x"] and box["x"] + box["width"] <= 1216, (name, button, box)
            assert box["y"] >= main["y"] and box["y"] + box["height"] <= main["y"] + main["height"], (name, button)
        assert tv.small_text(30) == [], (name, tv.small_text(30))
        if name != "detail":  # (the detail's own check, with its timeline box, is the timeline test's)
            assert in_main(tv) == [], (name, in_main(tv))
        if lang == "en":
            assert "메일" not in tv.page.inner_text("#tv-main") and "취소" not in tv.page.inner_text("#tv-main")


@pytest.mark.parametrize("size", ["normal", "xlarge"])
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_email_trouble_screens_fit_also_after_a_refused_number(server, demo, tv, artifacts, size, lang):
    with demo.session() as s:
        hid = get_household(s, HOUSEHOLD).id
        res = s.scalar(select(Resident).where(Resident.ref == "R1003"))
        req, _ = ledger.create_request(
            s, demo.crypto, client_token="fit-mail-%s" % utcnow().timestamp(), kind="certificate",
            household_id=hid, resident_id=res.id, channel="tv", delivery_method="email",
            delivery_address="minjun.kim@example.com", options={"certificate_type": "resident-copy"})
        ledger.append_event(s, req.id, "4xx", "waiting",
                            {"reason": "smtp_temporary", "message": "메일 서버가 잠시 받지 않아 곧 다시 보냅니다."})
        req.status, req.step_index = "issued", 2
        no = req.receipt_no
    tv.page.goto(server + "/tv/simulator")
    with demo.session() as s:
        s.execute(update(Device).values(text_size=size, lang=lang))
    go(tv, server + "/tv/requests/%s/switch" % no)
    assert tv.focused_id() == "fax"
    for d in "0607001234":
        tv.press(d)
    tv.press("DOWN")
    with tv.page.expect_navigation():
        tv.press("OK")
    tv.wait_ready()
    assert tv.page.locator("#action-error").count() == 1 and tv.focused_id() == "fax"
    tv.screenshot(artifacts / ("trouble-mail-refused-%s-%s.png" % (size, lang)))
    main = tv.page.locator("#tv-main").bounding_box()
    for button in ("fax", "action-ok", "action-no"):
        box = tv.page.locator("#" + button).bounding_box()
        assert box["y"] + box["height"] <= main["y"] + main["height"], (button, box)
    assert tv.small_text(30) == [] and in_main(tv) == [], (tv.small_text(30), in_main(tv))
