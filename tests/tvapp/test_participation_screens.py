"""주민 참여 on the TV with the test client, as a paired box: the list, who
votes, the SMS code, a budget ballot chosen by number, the receipt, checking
it, changing the vote with it, the results with turnout and a QR, in English
too; every screen's focus graph is sound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from remote_nav import FocusGraph
from services.models import Device, Resident, VoteBallot, utcnow
from services.participation import votes
from services.petitions import handle_mo
from services.sms import messages_for_phone
from tests.tvapp.test_tv_screens import check_screen, csrf, device_of, pair


@dataclass(frozen=True)
class Op:
    username: str
    role: str


APPROVER = Op("approver", "approver")
EDITOR = Op("editor", "editor")  # four eyes: the approver approves another's draft


@pytest.fixture
def tv(demo, client):
    client.household_id = pair(client, demo)
    return client


def open_vote(rt, kind="approval", **kw) -> int:
    now = utcnow()
    with rt.session() as s:
        v = votes.create_vote(
            s, EDITOR, kind=kind, title="2027년 주민참여예산", description="먼저 할 사업을 골라 주세요",
            options=[votes.OptionInput("망원동 어린이 놀이터", cost=3000), votes.OptionInput("경로당 냉난방", cost=2000),
                     votes.OptionInput("가로등 LED", cost=1500)],
            opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1),
            district=rt.config.PARTICIPATION_DISTRICT, **kw)
        votes.approve(s, APPROVER, v.id)
        return v.id


def code_for(rt, phone):
    with rt.session() as s:
        body = messages_for_phone(s, rt, phone)[0].body
    return re.search(r"인증번호 (\d{6})", body).group(1)


def post(client, path, data, page=None):
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data=dict(data, csrf_token=csrf(html)))


def resident_id(rt, ref):
    with rt.session() as s:
        return s.scalar(select(Resident.id).where(Resident.ref == ref))


def verify(tv, demo, vid, rid, phone):
    base = "/tv/participation/%d" % vid
    r = post(tv, base + "/who", {"resident_id": rid}, base + "/who")
    assert r.location.endswith(base + "/identity")
    html = tv.get(base + "/identity").get_data(as_text=True)
    check_screen(html, base + "/who")
    assert "010-****-0003" in html and "010-0000-0003" not in html
    post(tv, base + "/identity/send", {}, base + "/identity")
    r = post(tv, base + "/identity/check", {"code": code_for(demo, "010-0000-0003")}, base + "/identity")
    assert r.location.endswith(base + "/ballot")


def test_vote_with_the_remote_check_and_change(tv, demo):
    vid = open_vote(demo, kind="knapsack", budget=5000)
    base = "/tv/participation/%d" % vid
    html = tv.get("/tv/participation/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert g.numbers["votes"][1] == "vote-%d" % vid and "투표 중" in html
    r = tv.get(base + "/")
    assert r.headers["Cache-Control"] == "no-store"
    g = check_screen(r.get_data(as_text=True), "/tv/participation/")
    assert g.initial == "vote-start"
    html = tv.get(base + "/who").get_data(as_text=True)
    g = check_screen(html, base + "/")
    assert "김민준" in html and "투표할 수 있음" in html
    rid = resident_id(demo, "R1003")
    verify(tv, demo, vid, rid, "010-0000-0003")

    html = tv.get(base + "/ballot").get_data(as_text=True)
    g = check_screen(html, base + "/")
    assert g.numbers["options"] == {1: "opt-1", 2: "opt-2", 3: "opt-3"}
    assert "5,000원" in html  # the whole budget left
    post(tv, base + "/ballot", {"number": 1}, base + "/ballot")
    r = post(tv, base + "/ballot", {"number": 2}, base + "/ballot")  # 3,000 + 2,000: exactly the budget
    html = tv.get(r.location).get_data(as_text=True)
    assert 'id="opt-2"' in html and focus_initial(html) == "opt-2"
    assert re.search(r'id="budget-left">[^<]*<br><b>0원', html)
    r = post(tv, base + "/ballot", {"number": 3}, base + "/ballot")  # over budget: refused
    assert "e=over_budget" in r.location
    html = tv.get(r.location).get_data(as_text=True)
    assert "예산을 넘습니다" in html and 'aria-pressed="true"' in html
    post(tv, base + "/ballot", {"number": 2}, base + "/ballot")  # unchoose 2
    post(tv, base + "/ballot", {"number": 3}, base + "/ballot")
    html = tv.get(base + "/confirm").get_data(as_text=True)
    check_screen(html, base + "/ballot")
    shown = re.sub(r"<[^>]+>", "", html)  # the district's titles are marked lang="ko" on English screens
    assert "망원동 어린이 놀이터, 3. 가로등 LED" in shown and "4,500원 / 5,000원" in shown
    r = post(tv, base + "/confirm", {}, base + "/confirm")
    assert r.location.endswith(base + "/done")
    html = tv.get(base + "/done").get_data(as_text=True)
    check_screen(html, "/tv/participation/")
    assert "번호 없이는 투표를 바꿀 수 없습니다" in html
    receipt = re.search(r'id="receipt">([\d ]+)<', html).group(1).replace(" ", "")
    assert len(receipt) == 12
    assert tv.get(base + "/done").location.endswith(base + "/")  # shown once, then kept nowhere
    assert not demo.redis.exists("voteflow:%d" % device_of(tv, demo).id)  # nor who voted

    # Checking with the receipt (no identity needed: the receipt is the voter's).
    html = post(tv, base + "/check", {"receipt": receipt}, base + "/check").get_data(as_text=True)
    check_screen(html, base + "/")
    assert re.search(r'id="check-found">[^<]*1\. 망원동 어린이 놀이터, 3\. 가로등 LED', re.sub(r"<span[^>]*>|</span>", "", html))
    html = post(tv, base + "/check", {"receipt": "1" * 12}, base + "/check").get_data(as_text=True)
    assert 'id="check-none"' in html

    # A second vote is refused; with the receipt it changes the ballot.
    html = tv.get(base + "/who").get_data(as_text=True)
    assert "투표함 (바꾸기)" in html
    verify(tv, demo, vid, rid, "010-0000-0003")
    post(tv, base + "/ballot", {"number": 2}, base + "/ballot")
    html = tv.get(base + "/confirm").get_data(as_text=True)
    check_screen(html, base + "/ballot")
    assert 'id="receipt"' in html and "투표 바꾸기" in html
    # Without the receipt nothing can find the ballot: the screen says so plainly.
    assert re.search(r'id="lost-receipt">확인번호를 잃어버리셨다면 투표를 바꿀 수 없습니다. 처음 투표가 그대로', html)
    r = post(tv, base + "/confirm", {"receipt": "9" * 12}, base + "/confirm")
    assert "e=no_ballot" in r.location
    html = tv.get(r.location).get_data(as_text=True)
    assert 'id="confirm-error"' in html and 'id="lost-receipt"' in html
    r = post(tv, base + "/confirm", {"receipt": receipt}, base + "/confirm")
    assert r.location.endswith(base + "/done")
    html = tv.get(base + "/done").get_data(as_text=True)
    assert "투표를 바꿨습니다" in html
    new_receipt = re.search(r'id="receipt">([\d ]+)<', html).group(1).replace(" ", "")
    assert new_receipt != receipt
    with demo.session() as s:
        assert s.scalar(select(func.count()).select_from(VoteBallot)) == 1
    html = post(tv, base + "/check", {"receipt": new_receipt}, base + "/check").get_data(as_text=True)
    assert re.search(r'id="check-found">[^<]*2\. 경로당 냉난방', re.sub(r"<span[^>]*>|</span>", "", html))


def focus_initial(html):
    return FocusGraph.from_html(html).initial


def demo_client(tv):
    return tv.application.test_client()


def test_results_bar_chart_turnout_qr_and_english(tv, demo):
    vid = open_vote(demo, kind="question")
    base = "/tv/participation/%d" % vid
    rid = resident_id(demo, "R1003")
    verify(tv, demo, vid, rid, "010-0000-0003")
    post(tv, base + "/ballot", {"number": 2}, base + "/ballot")
    post(tv, base + "/confirm", {}, base + "/confirm")
    with demo.session() as s:
        votes.enter_paper(s, APPROVER, vid, "망원1동 주민센터", {1: 1, 2: 3, 3: 0})
        votes.close_now(s, APPROVER, vid)
        votes.publish(s, demo.crypto, APPROVER, vid)
    assert tv.get(base + "/").location.endswith(base + "/results")
    html = tv.get(base + "/results").get_data(as_text=True)
    g = check_screen(html, "/tv/participation/")
    assert g.initial == "results-ok"
    assert 'id="bar-2"' in html and 'style="width:100.0%"' in html and 'style="width:25.0%"' in html
    assert "4표" in html and "투표율" in html and re.search(r'id="paper-apart">종이 투표 4표<', html)
    assert 'data-qr="http' in html and "/m/votes/%d" % vid in html
    phone = demo_client(tv).get("/m/votes/%d" % vid)  # the QR's page: no TV cookie needed
    page = phone.get_data(as_text=True)
    assert phone.status_code == 200 and "투표 결과" in page and "4표" in page and "종이 3표 포함" in page
    assert re.search(r'id="turnout">.*TV·문자 1명 · <span id="paper-apart">종이 투표 4표</span>', page)
    with demo.session() as s:
        assert votes.get_vote(s, vid).result["digest"] in page
    assert demo_client(tv).get("/m/votes/999").status_code == 404
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).lang = "en"
    html = tv.get(base + "/results").get_data(as_text=True)
    assert "Results" in html and "Turnout" in html and "votes" in html
    assert re.search(r'id="paper-apart">4 on paper ballots<', html)
    html = tv.get("/tv/participation/").get_data(as_text=True)
    assert "Results" in html


def test_a_closed_or_unknown_vote_is_a_calm_screen(tv, demo):
    assert tv.get("/tv/participation/999/").status_code == 404
    html = tv.get("/tv/participation/").get_data(as_text=True)
    check_screen(html, "/tv/")
    assert "진행 중인 투표가 없습니다" in html


def test_running_totals_only_when_the_vote_shows_them(tv, demo):
    hidden, shown = open_vote(demo, kind="question"), open_vote(demo, kind="question", show_running=True)
    html = tv.get("/tv/participation/%d/" % hidden).get_data(as_text=True)
    assert 'id="vote-running"' not in html
    assert tv.get("/tv/participation/%d/results" % hidden).location.endswith("/tv/participation/%d/" % hidden)
    html = tv.get("/tv/participation/%d/" % shown).get_data(as_text=True)
    assert 'id="vote-running"' in html
    html = tv.get("/tv/participation/%d/results" % shown).get_data(as_text=True)
    check_screen(html, "/tv/participation/")
    assert "중간 결과" in html and "투표 중입니다" in html and 'id="bar-3"' in html


def test_many_votes_are_paged(tv, demo):
    ids = [open_vote(demo, kind="question") for _ in range(7)]
    html = tv.get("/tv/participation/").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert g.initial == "vote-%d" % ids[-1]  # newest first
    assert len(g.numbers["votes"]) == 5 and "1 / 2 쪽" in html and 'id="votes-next"' in html
    html = tv.get("/tv/participation/?page=2").get_data(as_text=True)
    g = check_screen(html, "/tv/")
    assert set(g.numbers["votes"].values()) == {"vote-%d" % ids[1], "vote-%d" % ids[0]}


def test_receipt_checks_are_limited_per_box(tv, demo):
    base = "/tv/participation/%d" % open_vote(demo, kind="question")
    html = tv.get(base + "/check").get_data(as_text=True)
    for i in range(10):
        r = tv.post(base + "/check", data={"receipt": "%012d" % i, "csrf_token": csrf(html)})
        assert 'id="check-none"' in r.get_data(as_text=True)
    r = tv.post(base + "/check", data={"receipt": "%012d" % 99, "csrf_token": csrf(html)})
    page = r.get_data(as_text=True)
    assert 'id="check-limited"' in page and 'id="check-none"' not in page


def test_the_voter_may_approve_by_replying_to_the_sms(tv, demo):
    vid = open_vote(demo, kind="question")
    base = "/tv/participation/%d" % vid
    post(tv, base + "/who", {"resident_id": resident_id(demo, "R1003")}, base + "/who")
    post(tv, base + "/identity/send", {}, base + "/identity")
    with demo.session() as s:
        sms_text = messages_for_phone(s, demo, "010-0000-0003")[0].body
    assert "TV의 투표 신청이 맞으면 5분 안에 1을 답장하세요" in sms_text
    html = tv.get(base + "/identity").get_data(as_text=True)
    check_screen(html, base + "/who")
    assert 'id="reply-note"' in html and 'data-live="%s/identity/status.json"' % base in html
    assert tv.get(base + "/identity/status.json").get_json() == {"done": False, "waiting": True, "next": None}
    assert "투표 신청을 승인했습니다" in handle_mo(demo, "010-0000-0003", "1").reply
    state = tv.get(base + "/identity/status.json").get_json()
    assert state["done"] and state["next"].endswith(base + "/identity")
    assert tv.get(base + "/identity").location.endswith(base + "/ballot")
    post(tv, base + "/ballot", {"number": 1}, base + "/ballot")
    assert post(tv, base + "/confirm", {}, base + "/confirm").location.endswith(base + "/done")


def test_the_ballot_pages_at_the_larger_text_sizes_and_keeps_the_choices(tv, demo):
    """At 아주 크게 two options a page (YELLOW / BLUE turn the pages); a number
    key's choice shows its option's page; what was chosen on page 1 stays chosen
    on the others, and on the confirm screen. 3 a page at 보통 fit on one page."""
    vid = open_vote(demo, kind="approval", max_choices=2)
    base = "/tv/participation/%d" % vid
    verify(tv, demo, vid, resident_id(demo, "R1003"), "010-0000-0003")
    html = tv.get(base + "/ballot").get_data(as_text=True)
    assert 'id="opt-3"' in html and 'id="ballot-pager"' not in html  # 보통: the three on one page
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).text_size = "xlarge"
    html = tv.get(base + "/ballot").get_data(as_text=True)
    g = check_screen(html, base + "/")
    assert g.numbers["options"] == {1: "opt-1", 2: "opt-2"} and 'id="opt-3"' not in html
    assert "1 / 2 쪽" in html and 'data-nav-key="BLUE"' in html and "ballot.js" in html
    r = post(tv, base + "/ballot", {"number": 1}, base + "/ballot")
    r = post(tv, base + "/ballot", {"number": 3}, r.location)  # the number key of an option on page 2
    assert r.location.endswith("at=3")
    html = tv.get(r.location).get_data(as_text=True)
    g = check_screen(html, base + "/")
    assert g.initial == "opt-3" and "2 / 2 쪽" in html and 'data-nav-key="YELLOW"' in html
    assert 'id="opt-1"' not in html and re.search(r'id="chosen-count">[^<]*<b>2 / 2</b>', html)
    html = tv.get(base + "/ballot?p=1").get_data(as_text=True)
    assert re.search(r'id="opt-1" aria-pressed="true"', html) and re.search(r'id="opt-2" aria-pressed="false"', html)
    html = tv.get(base + "/confirm").get_data(as_text=True)
    assert "1. 망원동 어린이 놀이터, 3. 가로등 LED" in html


def test_too_many_wrong_codes_lock_to_a_calm_screen_without_a_code_box(tv, demo):
    """The fifth wrong code locks the code for a pause: a calm screen says so and what to press,
    with no box left to type a code that cannot be taken; asking a new code meanwhile says the same."""
    vid = open_vote(demo, kind="question")
    base = "/tv/participation/%d" % vid
    post(tv, base + "/who", {"resident_id": resident_id(demo, "R1003")}, base + "/who")
    post(tv, base + "/identity/send", {}, base + "/identity")
    wrong = "%06d" % ((int(code_for(demo, "010-0000-0003")) + 1) % 1_000_000)
    for _ in range(4):
        r = post(tv, base + "/identity/check", {"code": wrong}, base + "/identity")
        assert "m=wrong" in r.location
    for path in ("/identity/check", "/identity/send"):
        r = post(tv, base + path, {"code": wrong}, base + "/identity")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "잠시 잠겼습니다" in html and "10분 뒤에" in html
        assert 'id="code"' not in html and 'id="calm-ok"' in html
        check_screen(html, "/tv/")
