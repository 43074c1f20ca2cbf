"""주민 참여 with the remote in real Chromium at 1280x720: from the home tile
to a budget ballot of nine projects chosen with number keys and arrows, the
SMS code, the receipt; then the results as bars. At 보통 in Korean, at 크게
in English, at 아주 크게 in Korean and in English: no text under 30px, nothing outside the
safe area (but the header's title and the footer's Back hint at 아주 크게,
which every screen shares)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.models import Device, Resident, VoteBallot, utcnow
from services.participation import votes
from tests.tvapp.browser.test_certificate_browser import code_for
from tests.tvapp.browser.test_tv_browser import go, press_nav
from tvapp.participation.views import FLOW

pytestmark = pytest.mark.browser

PHONE = "010-0000-0003"  # 김민준's, the third of the household
PROJECTS = ["망원동 어린이 놀이터 새 놀이기구", "성산동 경로당 냉난방기 교체", "도화동 골목 가로등 LED",
            "망원시장 공영 자전거 거치대", "월드컵공원 산책로 쉼터", "성미산 숲길 안전 난간",
            "합정역 앞 횡단보도 그늘막", "마포 평생학습관 디지털 교실", "홍대 앞 공중화장실 개선"]


@dataclass(frozen=True)
class Op:
    username: str
    role: str


APPROVER = Op("approver", "approver")
EDITOR = Op("editor", "editor")  # four eyes: the approver approves another's draft


def budget_vote(rt) -> int:
    now = utcnow()
    with rt.session() as s:
        v = votes.create_vote(
            s, EDITOR, kind="knapsack", title="2027년 마포구 주민참여예산 - 우리 동네에 먼저 할 사업",
            options=[votes.OptionInput(t, cost=(i + 1) * 10_000_000) for i, t in enumerate(PROJECTS)],
            budget=100_000_000, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7),
            district=rt.config.PARTICIPATION_DISTRICT)
        votes.approve(s, APPROVER, v.id)
        return v.id


def laid_out(tv, what):
    """No text under 30px; nothing outside the safe area but the header's title and the
    footer's Back hint at 아주 크게 (tv/base.html's, as on every screen)."""
    assert tv.small_text(30) == [], (what, tv.small_text(30))
    footer = tv.page.locator(".tv-legend").bounding_box()["y"]
    out = [b for b in tv.outside_safe_area() if b["id"] != "screen-title" and b["top"] < footer - 1]
    assert out == [], (what, out)


@pytest.mark.parametrize("size,lang", [("normal", "ko"), ("large", "en"), ("xlarge", "ko"), ("xlarge", "en")])
def test_a_budget_ballot_with_the_remote(server, demo, tv, artifacts, size, lang):
    vid = budget_vote(demo)
    tv.page.goto(server + "/tv/simulator")  # pairs this box to 1144012-0001
    with demo.session() as s:
        s.execute(update(Device).values(text_size=size, lang=lang))
    go(tv, server + "/tv/")
    tile = tv.page.locator("#tile-participation").bounding_box()  # six tiles still fit
    assert tile["x"] + tile["width"] <= 1216 and tile["y"] + tile["height"] <= 684, tile
    press_nav(tv, "6", "/tv/participation/")  # the 참여 tile by its number
    assert tv.focused_id() == "vote-%d" % vid
    laid_out(tv, "list")
    press_nav(tv, "OK", "/tv/participation/%d/" % vid)
    assert tv.focused_id() == "vote-start"
    laid_out(tv, "vote")
    press_nav(tv, "OK", "/tv/participation/%d/who" % vid)
    tv.press("DOWN")
    tv.press("DOWN")
    laid_out(tv, "who")
    press_nav(tv, "OK", "/tv/participation/%d/identity" % vid)
    assert tv.focused_id() == "code-send"
    press_nav(tv, "OK", "/tv/participation/%d/identity" % vid)
    assert tv.focused_id() == "code"
    for d in code_for(demo, PHONE):
        tv.press(d)
    laid_out(tv, "identity")
    tv.press("DOWN")
    assert tv.focused_id() == "code-ok"
    press_nav(tv, "OK", "/tv/participation/%d/ballot" % vid)
    assert tv.focused_id() == "opt-1"
    laid_out(tv, "ballot")
    tv.screenshot(artifacts / ("vote-ballot-%s-%s.png" % (size, lang)))

    press_nav(tv, "9", "/tv/participation/%d/ballot" % vid)  # 9천만 원
    assert tv.focused_id() == "opt-9"
    assert tv.page.get_attribute("#opt-9", "aria-pressed") == "true"
    press_nav(tv, "1", "/tv/participation/%d/ballot" % vid)  # + 1천만 원: the whole budget
    tv.press("RIGHT")
    assert tv.focused_id() == "opt-2"
    press_nav(tv, "OK", "/tv/participation/%d/ballot" % vid)  # + 2천만 원: refused, over budget
    assert tv.page.is_visible("#ballot-error")
    assert tv.page.get_attribute("#opt-2", "aria-pressed") == "false"
    left = tv.page.inner_text("#budget-left")
    assert ("0원" in left) if lang == "ko" else ("KRW 0" in left), left
    laid_out(tv, "ballot-error")
    press_nav(tv, "GREEN", "/tv/participation/%d/confirm" % vid)
    assert tv.focused_id() == "confirm-ok"
    laid_out(tv, "confirm")
    press_nav(tv, "OK", "/tv/participation/%d/done" % vid)
    receipt = re.sub(r"\D", "", tv.page.inner_text("#receipt"))
    assert len(receipt) == 12
    laid_out(tv, "done")
    tv.screenshot(artifacts / ("vote-done-%s-%s.png" % (size, lang)))
    with demo.session() as s:
        assert s.scalars(select(VoteBallot.choices)).all() == ["1,9"]

    # The receipt checks the ballot, typed with the number keys.
    go(tv, server + "/tv/participation/%d/check" % vid)
    assert tv.focused_id() == "receipt"
    for d in receipt:
        tv.press(d)
    tv.press("DOWN")
    press_nav(tv, "OK", "/tv/participation/%d/check" % vid)
    assert PROJECTS[8] in tv.page.inner_text("#check-found")
    laid_out(tv, "check")

    # Voting again: the confirm screen asks for the receipt and says that without
    # it the vote cannot be changed (the box's flow as the who and code screens leave it).
    with demo.session() as s:
        device_id = s.scalar(select(Device.id).order_by(Device.id.desc()))
        rid = s.scalar(select(Resident.id).where(Resident.ref == "R1003"))
    demo.redis.set(FLOW.key(device_id), demo.crypto.encrypt(json.dumps(
        {"vote_id": vid, "resident_id": rid, "id": "again", "chosen": [2], "verified": True, "voted": True})))
    go(tv, server + "/tv/participation/%d/confirm" % vid)
    assert tv.page.is_visible("#receipt") and tv.page.is_visible("#lost-receipt")
    laid_out(tv, "confirm-change")
    tv.screenshot(artifacts / ("vote-change-%s-%s.png" % (size, lang)))
    go(tv, server + "/tv/participation/%d/confirm?e=no_ballot" % vid)  # a receipt that finds no ballot
    assert tv.page.is_visible("#confirm-error") and tv.page.is_visible("#lost-receipt")
    laid_out(tv, "confirm-no-ballot")

    with demo.session() as s:
        votes.enter_paper(s, APPROVER, vid, "망원1동 주민센터", {n: n for n in range(1, 10)})
        votes.close_now(s, APPROVER, vid)
        votes.publish(s, demo.crypto, APPROVER, vid)
    go(tv, server + "/tv/participation/")
    press_nav(tv, "1", "/tv/participation/%d/results" % vid)
    assert tv.focused_id() == "results-ok"
    laid_out(tv, "results")
    text = tv.page.inner_text("#tv-main")
    assert ("투표율" in text) if lang == "ko" else ("Turnout" in text), text
    tv.screenshot(artifacts / ("vote-results-%s-%s.png" % (size, lang)))
    # The nine bars a page at a time (4 at 보통, 3 at 크게 / 아주 크게), BLUE to the next
    per = 4 if size == "normal" else 3
    seen = []
    for page in range(1, -(-9 // per) + 1):
        if page > 1:
            press_nav(tv, "BLUE", "/tv/participation/%d/results?p=%d" % (vid, page))
            laid_out(tv, "results page %d" % page)
        rows = tv.page.locator(".pv-bar-row")
        seen += [rows.nth(i).get_attribute("id") for i in range(rows.count())]
    assert seen == ["bar-%d" % n for n in range(1, 10)], seen
    bar = tv.page.locator("#bar-9 .pv-bar i").bounding_box()
    assert bar["height"] >= 20 and bar["width"] > 0  # a bar seen from the sofa
    assert bar["y"] + bar["height"] <= tv.page.locator(".tv-legend").bounding_box()["y"]  # above the legend


def test_a_full_page_of_votes_fits_at_the_largest_text(server, demo, tv, artifacts):
    for _ in range(7):
        budget_vote(demo)
    tv.page.goto(server + "/tv/simulator")
    with demo.session() as s:
        s.execute(update(Device).values(text_size="xlarge", lang="en"))
    go(tv, server + "/tv/participation/")
    laid_out(tv, "list-full")
    tv.screenshot(artifacts / "vote-list-xlarge-en.png")
    press_nav(tv, "BLUE", "/tv/participation/?page=2")
    laid_out(tv, "list-page-2")
