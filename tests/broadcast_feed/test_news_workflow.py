"""Workflow rules: roles, states, scheduled publish and expiry through the
periodic task, revisions, audit entries, login lockout, the ticker push,
the demo seed and the database CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from feed_testlib import HOSTILE, SAMPLES

from broadcast_feed import demo, push, store, tasks, workflow
from broadcast_feed.models import (
    DRAFT,
    PUBLISHED,
    SUBMITTED,
    T_EXPIRED,
    T_PENDING,
    T_PUBLISHED,
    UNPUBLISHED,
)
from broadcast_feed.workflow import Actor, BadState, LoginFailed, NotAllowed, WorkflowError
from services.models import utcnow
from tests.support.procs import ROOT

EDITOR = Actor(1, "ed", "editor")
APPROVER = Actor(2, "ap", "approver")
ADMIN = Actor(3, "ad", "admin")


@pytest.fixture
def item_id(runtime):
    with runtime.session() as s:
        src = store.ensure_source(s, "구청", "rss")
        source_id = src.id
    result = tasks.ingest_into(runtime, source_id, data=(SAMPLES / "mapo_press_rss.xml").read_bytes())
    assert result.status == "ok" and result.report.new == 12
    with runtime.session() as s:
        return store.list_items(s, limit=1)[0].id


def state(rt, item_id):
    with rt.session() as s:
        return store.get_item(s, item_id).state


def actions(rt, item_id):
    with rt.session() as s:
        return [(e.actor, e.action) for e in reversed(store.audit_entries(s, object_type="item",
                                                                          object_id=item_id))]


def test_editor_drafts_and_submits_but_cannot_publish(runtime, item_id):
    workflow.edit_item(runtime, EDITOR, item_id, title="고친 제목", summary="요약",
                       body="첫 문단\n\n둘째 문단", category="복지", note="오타")
    assert state(runtime, item_id) == DRAFT
    workflow.submit_item(runtime, EDITOR, item_id)
    assert state(runtime, item_id) == SUBMITTED
    with pytest.raises(NotAllowed):
        workflow.publish_item(runtime, EDITOR, item_id)
    with pytest.raises(NotAllowed):
        workflow.unpublish_item(runtime, EDITOR, item_id)
    assert workflow.publish_item(runtime, APPROVER, item_id) == PUBLISHED
    with pytest.raises(NotAllowed):  # a correction of a live item needs an approver
        workflow.edit_item(runtime, EDITOR, item_id, title="x", summary="", body="", category="")
    workflow.edit_item(runtime, APPROVER, item_id, title="정정한 제목", summary="요약",
                       body="정정", category="복지", note="정정")
    assert state(runtime, item_id) == PUBLISHED
    workflow.unpublish_item(runtime, APPROVER, item_id)
    assert state(runtime, item_id) == UNPUBLISHED
    with runtime.session() as s:
        revs = store.revisions(s, item_id)
        assert [r.title for r in revs[:2]] == ["정정한 제목", "고친 제목"]
        assert [r.author for r in revs] == ["ap", "ed", "feed"]
    assert actions(runtime, item_id) == [("feed", "ingest"), ("ed", "edit"), ("ed", "submit"),
                                         ("ap", "publish"), ("ap", "edit"), ("ap", "unpublish")]


def test_bad_states_are_refused(runtime, item_id):
    with pytest.raises(BadState):
        workflow.publish_item(runtime, APPROVER, item_id)  # not submitted yet
    workflow.submit_item(runtime, EDITOR, item_id)
    with pytest.raises(BadState):
        workflow.submit_item(runtime, EDITOR, item_id)
    with pytest.raises(WorkflowError):
        workflow.edit_item(runtime, EDITOR, item_id, title="  ", summary="", body="", category="")


def test_scheduled_publish_and_expiry_by_the_periodic_task(runtime, item_id):
    now = utcnow()
    workflow.submit_item(runtime, EDITOR, item_id)
    got = workflow.publish_item(runtime, APPROVER, item_id, publish_at=now + timedelta(minutes=10),
                                expires_at=now + timedelta(hours=1), now=now)
    assert got == SUBMITTED
    tasks.news_tick(runtime)
    assert state(runtime, item_id) == SUBMITTED
    workflow.run_schedule(runtime, now + timedelta(minutes=11))
    assert state(runtime, item_id) == PUBLISHED
    with runtime.session() as s:
        assert item_id in [i.id for i in store.published_items(s, now + timedelta(minutes=12))[0]]
        assert item_id not in [i.id for i in store.published_items(s, now + timedelta(hours=2))[0]]
    workflow.run_schedule(runtime, now + timedelta(hours=2))
    assert state(runtime, item_id) == UNPUBLISHED
    assert [a for a in actions(runtime, item_id) if a[0] == "schedule"] == [
        ("schedule", "publish"), ("schedule", "expire")]
    with pytest.raises(WorkflowError):
        workflow.publish_item(runtime, APPROVER, item_id, expires_at=now - timedelta(minutes=1))


def next_message(pubsub, seconds=2.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        msg = pubsub.get_message(timeout=0.2)
        if msg and msg["type"] == "message":
            return json.loads(msg["data"])
    raise AssertionError("no ticker message within %.1f s" % seconds)


def test_ticker_written_pushed_and_expired(runtime):
    pubsub = runtime.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(push.CHANNEL)
    with pytest.raises(NotAllowed):
        workflow.write_ticker(runtime, EDITOR, "경보")
    now = utcnow()
    tid = workflow.write_ticker(runtime, APPROVER, "  강풍 경보:  외출을 삼가세요 ", minutes=5, now=now)
    payload = next_message(pubsub)
    assert [m["text"] for m in payload["messages"]] == ["강풍 경보: 외출을 삼가세요"]
    workflow.run_schedule(runtime, now + timedelta(minutes=6))
    with runtime.session() as s:
        assert store.get_ticker(s, tid).state == T_EXPIRED
    assert next_message(pubsub)["messages"] == []
    pubsub.close()


def test_held_cap_ticker_approved(runtime, monkeypatch):
    monkeypatch.setattr(runtime.config, "NEWS_CAP_AUTOPUBLISH", False)
    with runtime.session() as s:
        source_id = store.ensure_source(s, "경보", "cap").id
    from broadcast_feed.samples import demo_documents

    cap = dict(demo_documents())["mapo_cold_wave_cap.xml"]
    tasks.ingest_into(runtime, source_id, data=cap)
    with runtime.session() as s:
        (t,) = store.list_tickers(s)
        tid, st = t.id, t.state
    assert st == T_PENDING and push.ticker_texts(runtime) == []
    workflow.approve_ticker(runtime, APPROVER, tid)
    with runtime.session() as s:
        assert store.get_ticker(s, tid).state == T_PUBLISHED
    assert "한파" in push.ticker_texts(runtime)[0]


def test_login_lockout_after_five_failures(runtime):
    op_id = workflow.create_operator(runtime, ADMIN, "kim", "correct-horse-1", "editor")
    with pytest.raises(NotAllowed):
        workflow.create_operator(runtime, APPROVER, "lee", "correct-horse-1", "editor")
    with pytest.raises(WorkflowError):
        workflow.create_operator(runtime, ADMIN, "park", "short", "editor")
    assert workflow.authenticate(runtime, "KIM", "correct-horse-1").id == op_id
    now = utcnow()
    for _ in range(5):
        with pytest.raises(LoginFailed):
            workflow.authenticate(runtime, "kim", "wrong", now=now)
    with pytest.raises(LoginFailed, match="잠겼"):
        workflow.authenticate(runtime, "kim", "correct-horse-1", now=now)
    # throttled per account-and-address: the same account from another address still logs in
    assert workflow.authenticate(runtime, "kim", "correct-horse-1", now=now,
                                 address="127.0.0.9").role == "editor"
    with runtime.session() as s:
        op = store.get_operator(s, op_id)
        assert op.password_hash != "correct-horse-1" and op.password_hash.startswith(("scrypt", "pbkdf2"))


def test_hostile_upload_is_refused_and_shown_on_the_source(runtime):
    result = tasks.upload_document(runtime, ADMIN, "업로드",
                                      (HOSTILE / "billion_laughs.xml").read_bytes())
    assert result.status == "refused" and result.reason
    with runtime.session() as s:
        src = store.source_by_name(s, "업로드")
        assert src.status == "refused" and src.last_reason == result.reason
        assert store.list_items(s) == []


def test_demo_seed_is_idempotent_and_publishes_press_releases(runtime):
    logins = demo.seed(runtime)
    assert {role for _, _, role in logins} == {"editor", "approver", "admin"}
    demo.seed(runtime)
    with runtime.session() as s:
        rows, total = store.published_items(s, utcnow())
        assert total == 12
        assert len(store.list_sources(s)) == 3
        assert len(store.list_operators(s)) == 3
    assert any("한파" in t for t in push.ticker_texts(runtime))
    user, password, _ = logins[1]
    assert workflow.authenticate(runtime, user, password).role == "approver"


def test_demo_operators_refused_in_production(runtime, monkeypatch):
    monkeypatch.setattr(runtime.config, "ENV", "production")
    with pytest.raises(WorkflowError):
        workflow.ensure_demo_operators(runtime)


def test_cli_ingests_into_the_database(runtime, tmp_path):
    env = dict(__import__("os").environ)
    out = subprocess.run([sys.executable, "-m", "broadcast_feed", "ingest", "--db",
                          str(SAMPLES / "mapo_community_atom.xml"), "--source", "동네"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "4 new" in out.stdout
    out = subprocess.run([sys.executable, "-m", "broadcast_feed", "ingest", "--db",
                          str(SAMPLES / "mapo_community_atom.xml"), "--source", "동네"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "0 new, 0 updated, 4 skipped" in out.stdout
    out = subprocess.run([sys.executable, "-m", "broadcast_feed", "ingest", "--db",
                          str(HOSTILE / "xxe_local_file.xml"), "--source", "나쁜"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.startswith("refused:")
    with runtime.session() as s:
        assert store.source_by_name(s, "나쁜").status == "refused"
