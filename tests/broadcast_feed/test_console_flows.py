"""Console flows with the Flask test client: login and lockout, session
expiry, draft, submit, approve, schedule, unpublish, roles, CSRF refusal,
the ticker, a refused hostile upload in the source status, preview."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from feed_testlib import HOSTILE

from broadcast_feed import demo as news_demo
from broadcast_feed import store, workflow
from broadcast_feed.text import SEOUL
from services.models import utcnow


@pytest.fixture
def seeded(runtime):
    news_demo.seed(runtime)
    return runtime


def token(client, path="/console/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, user, password=None):
    password = password or dict((u, p) for u, p, _ in workflow.DEMO_OPERATORS)[user]
    return client.post("/console/login", data={"username": user, "password": password,
                                               "csrf_token": token(client)})


def ingested_id(rt):
    with rt.session() as s:
        return store.list_items(s, "ingested")[0].id


def item_state(rt, item_id):
    with rt.session() as s:
        return store.get_item(s, item_id).state


def test_login_required_and_logout(app, seeded):
    c = app.test_client()
    r = c.get("/console/")
    assert r.status_code == 302 and "/console/login" in r.location
    r = login(c, "editor")
    assert r.status_code == 303 and r.location.endswith("/console/")
    html = c.get("/console/").get_data(as_text=True)
    assert "editor (편집자)" in html and "마포구" in html
    c.post("/console/logout", data={"csrf_token": token(c, "/console/")})
    assert c.get("/console/").status_code == 302


def test_lockout_after_five_failures(app, seeded):
    c = app.test_client()
    for _ in range(5):
        r = login(c, "editor", "wrong-password")
        assert r.status_code == 401 and "맞지 않습니다" in r.get_data(as_text=True)
    r = login(c, "editor")
    assert r.status_code == 401 and "잠겼습니다" in r.get_data(as_text=True)
    # throttled for this address only (issue 19): the account itself is not locked
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "127.0.0.5"
    assert login(admin, "admin").status_code == 303
    html = admin.get("/console/operators").get_data(as_text=True)
    assert "잠김" not in html
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "127.0.0.5"
    assert login(other, "editor").status_code == 303


def test_session_expires_when_idle(app, seeded, monkeypatch):
    monkeypatch.setattr(app.extensions["runtime"].config, "NEWS_SESSION_MINUTES", 1)
    c = app.test_client()
    login(c, "editor")
    assert c.get("/console/").status_code == 200
    with c.session_transaction() as sess:
        sess["op_seen"] = int(time.time()) - 120
    r = c.get("/console/")
    assert r.status_code == 302 and "/console/login" in r.location


def test_post_without_csrf_token_is_refused(app, seeded):
    c = app.test_client()
    login(c, "approver")
    item_id = ingested_id(seeded)
    r = c.post("/console/items/%d/submit" % item_id, data={})
    assert r.status_code == 400
    assert item_state(seeded, item_id) == "ingested"
    r = c.post("/console/login", data={"username": "editor", "password": "editor-demo-1234"})
    assert r.status_code == 400


def test_draft_submit_approve_unpublish(app, seeded):
    item_id = ingested_id(seeded)
    ed = app.test_client()
    login(ed, "editor")
    page = "/console/items/%d" % item_id
    html = ed.get(page).get_data(as_text=True)
    assert 'id="preview"' in html and 'id="publish"' not in html
    r = ed.post(page + "/edit", data={"title": "동네 소식 (고침)", "summary": "요약", "body": "문단 하나\n\n문단 둘",
                                      "category": "동네", "note": "제목 정리",
                                      "csrf_token": token(ed, page)})
    assert r.status_code == 303
    assert item_state(seeded, item_id) == "draft"
    ed.post(page + "/submit", data={"csrf_token": token(ed, page)})
    assert item_state(seeded, item_id) == "submitted"
    # an editor cannot publish, even by posting the form
    r = ed.post(page + "/publish", data={"csrf_token": token(ed, page)})
    assert r.status_code == 403 and item_state(seeded, item_id) == "submitted"

    ap = app.test_client()
    login(ap, "approver")
    r = ap.post(page + "/publish", data={"csrf_token": token(ap, page)})
    assert r.status_code == 303 and item_state(seeded, item_id) == "published"
    assert "게시했습니다" in ap.get(page).get_data(as_text=True)
    ap.post(page + "/unpublish", data={"csrf_token": token(ap, page)})
    assert item_state(seeded, item_id) == "unpublished"
    html = ap.get(page).get_data(as_text=True)
    assert "제목 정리" in html and "동네 소식 (고침)" in html
    with seeded.session() as s:
        acts = [(e.actor, e.action) for e in store.audit_entries(s, 50, "item", item_id)]
    assert ("editor", "edit") in acts and ("editor", "submit") in acts
    assert ("approver", "publish") in acts and ("approver", "unpublish") in acts
    assert "unpublish" in ap.get("/console/audit").get_data(as_text=True)


def test_schedule_with_expiry(app, seeded):
    item_id = ingested_id(seeded)
    workflow.submit_item(seeded, workflow.Actor(0, "ed", "editor"), item_id)
    ap = app.test_client()
    login(ap, "approver")
    page = "/console/items/%d" % item_id
    at = (utcnow() + timedelta(hours=1)).astimezone(SEOUL)
    until = at + timedelta(days=1)
    r = ap.post(page + "/publish", data={"publish_at": at.strftime("%Y-%m-%dT%H:%M"),
                                         "expires_at": until.strftime("%Y-%m-%dT%H:%M"),
                                         "csrf_token": token(ap, page)})
    assert r.status_code == 303
    html = ap.get(page).get_data(as_text=True)
    assert "예약했습니다" in html and "예약 게시" in html
    with seeded.session() as s:
        item = store.get_item(s, item_id)
        assert item.state == "submitted" and item.publish_at is not None and item.expires_at is not None
    workflow.run_schedule(seeded, utcnow() + timedelta(hours=1, minutes=1))
    assert item_state(seeded, item_id) == "published"
    # an expiry before the publication time is refused with a message
    r = ap.post(page + "/unpublish", data={"csrf_token": token(ap, page)})
    workflow.submit_item(seeded, workflow.Actor(0, "ed", "editor"), item_id)
    r = ap.post(page + "/publish", data={"expires_at": "2020-01-01T00:00", "csrf_token": token(ap, page)})
    assert "만료 시각" in ap.get(page).get_data(as_text=True)


def test_ticker_written_by_approver_only(app, seeded):
    ed = app.test_client()
    login(ed, "editor")
    assert 'id="ticker-form"' not in ed.get("/console/ticker").get_data(as_text=True)
    r = ed.post("/console/ticker", data={"text": "x", "csrf_token": token(ed, "/console/ticker")})
    assert r.status_code == 403
    ap = app.test_client()
    login(ap, "approver")
    r = ap.post("/console/ticker", data={"text": "수도 공사로 단수", "minutes": "30", "severity": "Severe",
                                         "csrf_token": token(ap, "/console/ticker")})
    assert r.status_code == 303
    texts = [m["text"] for m in app.test_client().get("/tv/ticker.json").get_json()["messages"]]
    assert "수도 공사로 단수" in texts


def test_hostile_upload_refused_and_shown(app, seeded):
    ad = app.test_client()
    login(ad, "admin")
    r = ad.post("/console/sources/upload", data={
        "name": "수상한 파일", "csrf_token": token(ad, "/console/sources"),
        "file": ((HOSTILE / "billion_laughs.xml").open("rb"), "laughs.xml")},
        content_type="multipart/form-data")
    assert r.status_code == 303
    html = ad.get("/console/sources").get_data(as_text=True)
    row = html.split("수상한 파일", 1)[1].split("</tr>", 1)[0]
    assert "거부함" in row and 'class="reason"' in row and "DTD" in row
    # editors do not manage sources
    ed = app.test_client()
    login(ed, "editor")
    assert ed.get("/console/sources").status_code == 403


def test_preview_is_the_tv_article(app, seeded):
    with seeded.session() as s:
        item_id = store.published_items(s, utcnow())[0][0].id
    ed = app.test_client()
    login(ed, "editor")
    html = ed.get("/console/items/%d/preview" % item_id).get_data(as_text=True)
    assert 'id="article-text"' in html and "tv/tv.css" in html and "news/news.css" in html
    assert "1 / " in html
