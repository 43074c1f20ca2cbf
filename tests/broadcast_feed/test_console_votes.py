"""주민 참여 on the console: an editor creates a vote, an approver approves,
opens, closes and publishes it; an officer enters paper counts; every step
is audited; roles, CSRF and no-store hold as for news."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from broadcast_feed import demo as news_demo
from broadcast_feed import workflow
from broadcast_feed.models import TickerMessage
from services.korean import now_kst
from services.models import Resident, Vote, VoteAudit, VotePaperCount
from services.participation import ballots


@pytest.fixture
def seeded(demo):
    runtime = demo
    news_demo.seed(runtime)
    return runtime


def token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def logged_in(app, user):
    c = app.test_client()
    password = dict((u, p) for u, p, _ in workflow.DEMO_OPERATORS)[user]
    r = c.post("/console/login", data={"username": user, "password": password,
                                       "csrf_token": token(c, "/console/login")})
    assert r.status_code == 303
    return c


def new_vote_form(c, **kw):
    start = now_kst() - timedelta(minutes=5)
    data = {"csrf_token": token(c, "/console/votes/new"), "kind": "approval", "title": "2027년 주민참여예산",
            "description": "우리 동네에 먼저 할 사업을 골라 주세요", "max_choices": "2",
            "electorate": "residents", "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), "show_running": "1",
            "option_1": "망원동 어린이 놀이터", "option_1_desc": "낡은 놀이기구 교체",
            "option_2": "성산동 경로당 냉난방", "option_3": "도화동 가로등 LED"}
    data.update(kw)
    return data


def test_a_vote_from_draft_to_published(app, seeded):
    ed, ap = logged_in(app, "editor"), logged_in(app, "approver")
    assert "주민 참여" in ed.get("/console/votes").get_data(as_text=True)
    r = ed.post("/console/votes/new", data=new_vote_form(ed))
    assert r.status_code == 303
    page = r.location
    vid = int(page.rstrip("/").rsplit("/", 1)[1])
    html = ed.get(page).get_data(as_text=True)
    assert "작성 중" in html and "승인자의 승인을 기다립니다" in html and 'id="vote-approve"' not in html
    assert ed.get(page).headers["Cache-Control"] == "no-store"
    # An editor cannot approve, even by posting.
    r = ed.post(page + "/approve", data={"csrf_token": token(ed, page)})
    assert r.status_code == 403
    r = ap.post(page + "/approve", data={"csrf_token": token(ap, page)})
    assert r.status_code == 303
    assert "투표 중" in ap.get(page).get_data(as_text=True)  # its opening time has passed
    with seeded.session() as s:
        v = s.get(Vote, vid)
        assert [o.title for o in v.options] == ["망원동 어린이 놀이터", "성산동 경로당 냉난방", "도화동 가로등 LED"]
        ballots.cast(s, seeded.crypto, v, _adult_id(s), [1, 3])
    r = ap.post(page + "/announce", data={"csrf_token": token(ap, page)})
    assert r.status_code == 303
    with seeded.session() as s:
        assert any("투표 %d" % vid in t.text for t in s.scalars(select(TickerMessage)))
    r = ed.post(page + "/paper", data={"csrf_token": token(ed, page), "booth": "망원1동 주민센터",
                                       "count_1": "5", "count_2": "2", "count_3": "0"})
    assert r.status_code == 303
    ap.post(page + "/close", data={"csrf_token": token(ap, page)})
    r = ap.post(page + "/publish", data={"csrf_token": token(ap, page)})
    assert r.status_code == 303
    html = ap.get(page).get_data(as_text=True)
    assert "결과 공개" in html and "투표함 1장" in html
    assert "선거인 8명 <span id=\"eligible-source\">(주민등록 명부)" in html  # the back end's count
    with seeded.session() as s:
        v = s.get(Vote, vid)
        assert v.result["total"] == {"1": 6, "2": 2, "3": 1}
        assert v.result["digest"] in html
        acts = [(a.actor, a.action) for a in s.scalars(select(VoteAudit).where(VoteAudit.vote_id == vid))]
        assert acts == [("editor", "create"), ("editor", "refused"), ("approver", "approve"), ("system", "open"),
                        ("approver", "announce"), ("editor", "paper"), ("approver", "close"),
                        ("approver", "publish")]
        assert s.scalar(select(VotePaperCount.count).where(VotePaperCount.number == 1)) == 5


def _adult_id(s):
    return s.scalar(select(Resident.id).where(Resident.ref == "R1001"))


def test_a_bad_vote_is_refused_with_a_reason(app, seeded):
    ed = logged_in(app, "editor")
    r = ed.post("/console/votes/new", data=new_vote_form(ed, option_2="", option_3=""))
    assert r.status_code == 303 and r.location.endswith("/console/votes/new")
    assert "2개에서 9개" in ed.get("/console/votes").get_data(as_text=True)
    r = ed.post("/console/votes/new", data=new_vote_form(ed, kind="knapsack", budget="1000"))
    assert "비용" in ed.get("/console/votes").get_data(as_text=True)
    with seeded.session() as s:
        assert s.scalar(select(Vote.id)) is None


def test_vote_steps_need_the_csrf_token(app, seeded):
    ed = logged_in(app, "editor")
    data = new_vote_form(ed)
    del data["csrf_token"]
    assert ed.post("/console/votes/new", data=data).status_code == 400


def test_four_eyes_and_the_general_audit_page(app, seeded):
    """An approver's own draft needs another approver (the refusal is audited);
    every vote step and paper entry is on the console's audit page beside news."""
    ap, ad = logged_in(app, "approver"), logged_in(app, "admin")
    r = ap.post("/console/votes/new", data=new_vote_form(ap))
    page = r.location
    vid = int(page.rstrip("/").rsplit("/", 1)[1])
    html = ap.get(page).get_data(as_text=True)
    assert 'id="vote-own-draft"' in html and 'id="vote-approve"' not in html
    r = ap.post(page + "/approve", data={"csrf_token": token(ap, page)})
    assert r.status_code == 403 and "자기가 만든 투표는 승인할 수 없습니다" in r.get_data(as_text=True)
    assert 'id="vote-approve"' in ad.get(page).get_data(as_text=True)
    assert ad.post(page + "/approve", data={"csrf_token": token(ad, page)}).status_code == 303
    r = ap.post(page + "/paper", data={"csrf_token": token(ap, page), "booth": "서교동 주민센터",
                                       "count_1": "4", "count_2": "0", "count_3": "1"})
    assert r.status_code == 303
    with seeded.session() as s:
        v = s.get(Vote, vid)
        assert (v.created_by, v.approved_by) == ("approver", "admin")
        acts = [(a.actor, a.action, a.detail.get("step")) for a in
                s.scalars(select(VoteAudit).where(VoteAudit.vote_id == vid).order_by(VoteAudit.id))]
    assert acts[:4] == [("approver", "create", None), ("approver", "refused", "approve"),
                        ("admin", "approve", None), ("system", "open", None)]
    assert acts[-1] == ("approver", "paper", None)
    html = ad.get("/console/audit").get_data(as_text=True)
    rows = re.findall(r"<tr><td>.*?</tr>", html, re.S)
    mine = [r for r in rows if 'href="/console/votes/%d"' % vid in r]
    assert [re.findall(r"<td>(.*?)</td>", r, re.S)[2] for r in mine] == [
        "vote_paper", "vote_open", "vote_approve", "vote_refused", "vote_create"]
    assert "서교동 주민센터" in mine[0] and "created_by=approver" in mine[2]
    assert any(">기사 " in r or "ticker" in r or "source" in r for r in rows)  # beside the news steps
