"""Console views: validate the form, call the workflow, render or redirect."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import abort, flash, g, redirect, render_template, request, url_for

from broadcast_feed import push, store, tasks, tvtext, workflow
from broadcast_feed.console import auth, bp
from broadcast_feed.models import ITEM_STATES, ROLES
from broadcast_feed.text import SEOUL
from services.models import utcnow
from services.participation import votes

log = logging.getLogger(__name__)

STATE_LABELS = {"ingested": "수신", "draft": "작성 중", "submitted": "승인 요청",
                "published": "게시 중", "unpublished": "게시 중단"}
TICKER_LABELS = {"pending": "승인 대기", "published": "방송 중", "expired": "종료", "ignored": "해당 없음"}
ROLE_LABELS = {"editor": "편집자", "approver": "승인자", "admin": "관리자"}


@bp.app_context_processor
def _labels():
    return {"state_labels": STATE_LABELS, "ticker_labels": TICKER_LABELS,
            "role_labels": ROLE_LABELS}


def rt():
    return auth.runtime()


def _when(value: str | None) -> datetime | None:
    """``datetime-local`` input (Korean time) -> aware datetime; empty -> None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SEOUL)
    except ValueError as exc:
        raise workflow.WorkflowError("날짜와 시각 형식이 올바르지 않습니다") from exc


def _do(action, ok: str, back: str):
    """Run a workflow action; flash the outcome; redirect (POST-redirect-GET)."""
    try:
        result = action()
    except workflow.NotAllowed as exc:
        log.info("console: operator %s refused: %s", g.actor.id, exc.message)
        return render_template("console/error.html", message=exc.message), 403
    except workflow.WorkflowError as exc:
        flash(exc.message, "error")
        return redirect(back, 303)
    flash(ok(result) if callable(ok) else ok, "ok")
    return redirect(back, 303)


# -- login -----------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html")
    try:
        actor = workflow.authenticate(rt(), request.form.get("username", ""),
                                      request.form.get("password", ""),
                                      address=request.remote_addr or "-")
    except workflow.LoginFailed as exc:
        return render_template("console/login.html", error=exc.message,
                               username=request.form.get("username", "")[:64]), exc.status_code
    auth.start(actor)
    target = request.args.get("next", "")
    if not target.startswith("/console/") or any(ch < " " or ch == "\x7f" for ch in target):
        target = url_for("console.items")  # only our own pages; no line break for the header
    return redirect(target, 303)


@bp.post("/logout")
def logout():
    auth.end()
    flash("로그아웃했습니다.", "ok")
    return redirect(url_for("console.login"), 303)


# -- items -----------------------------------------------------------------------

@bp.get("/")
def items():
    state = request.args.get("state") or None
    if state not in ITEM_STATES:
        state = None
    with rt().session() as s:
        rows = store.list_items(s, state, limit=200)
        counts = store.state_counts(s)
        sources = {src.id: src.name for src in store.list_sources(s)}
        pending = sum(1 for t in store.list_tickers(s) if t.state == "pending")
    return render_template("console/items.html", items=rows, counts=counts, state=state,
                           sources=sources, states=ITEM_STATES, pending_tickers=pending)


@bp.get("/items/<int:item_id>")
def item(item_id: int):
    with rt().session() as s:
        row = store.get_item(s, item_id) or abort(404)
        revs = store.revisions(s, item_id)
        log_rows = store.audit_entries(s, 50, "item", item_id)
        source = store.get_source(s, row.source_id)
    return render_template("console/item.html", item=row, revisions=revs, audit=log_rows,
                           source=source)


@bp.post("/items/<int:item_id>/edit")
def item_edit(item_id: int):
    f = request.form
    return _do(lambda: workflow.edit_item(rt(), g.actor, item_id, title=f.get("title", ""),
                                          summary=f.get("summary", ""), body=f.get("body", ""),
                                          category=f.get("category", ""), note=f.get("note", "")),
               "저장했습니다 (새 판).", url_for("console.item", item_id=item_id))


@bp.post("/items/<int:item_id>/submit")
def item_submit(item_id: int):
    return _do(lambda: workflow.submit_item(rt(), g.actor, item_id), "승인을 요청했습니다.",
               url_for("console.item", item_id=item_id))


@bp.post("/items/<int:item_id>/publish")
def item_publish(item_id: int):
    f = request.form
    return _do(lambda: workflow.publish_item(rt(), g.actor, item_id,
                                             publish_at=_when(f.get("publish_at")),
                                             expires_at=_when(f.get("expires_at"))),
               lambda state: "예약했습니다." if state == "submitted" else "게시했습니다. TV에 바로 나옵니다.",
               url_for("console.item", item_id=item_id))


@bp.post("/items/<int:item_id>/unpublish")
def item_unpublish(item_id: int):
    return _do(lambda: workflow.unpublish_item(rt(), g.actor, item_id), "게시를 중단했습니다.",
               url_for("console.item", item_id=item_id))


@bp.get("/items/<int:item_id>/preview")
def item_preview(item_id: int):
    """The article exactly as the TV renders it (shown in a 1280x720 frame)."""
    size = request.args.get("size", "normal")
    with rt().session() as s:
        row = store.get_item(s, item_id) or abort(404)
    ctx = tvtext.article_context(
        row, request.args.get("p", 1, type=int), size,
        lambda p: url_for("console.item_preview", item_id=item_id, p=p, size=size),
        url_for("console.item_preview", item_id=item_id, size=size))
    return render_template("news/article.html", tv_ticker=push.ticker_texts(rt()),
                           preview=True, **ctx)


# -- ticker ----------------------------------------------------------------------

@bp.get("/ticker")
def ticker():
    with rt().session() as s:
        rows = store.list_tickers(s, 100)
    return render_template("console/ticker.html", tickers=rows, now=utcnow(),
                           autopublish=workflow.settings(rt().config)["cap_autopublish"])


@bp.post("/ticker")
def ticker_write():
    f = request.form
    minutes = f.get("minutes", type=int) or workflow.TICKER_DEFAULT_MINUTES
    return _do(lambda: workflow.write_ticker(rt(), g.actor, f.get("text", ""), minutes=minutes,
                                             severity=f.get("severity", "Severe")),
               "자막을 내보냈습니다. 모든 TV에 곧 나타납니다.", url_for("console.ticker"))


@bp.post("/ticker/<int:ticker_id>/approve")
def ticker_approve(ticker_id: int):
    return _do(lambda: workflow.approve_ticker(rt(), g.actor, ticker_id), "경보 자막을 승인했습니다.",
               url_for("console.ticker"))


@bp.post("/ticker/<int:ticker_id>/withdraw")
def ticker_withdraw(ticker_id: int):
    return _do(lambda: workflow.withdraw_ticker(rt(), g.actor, ticker_id), "자막을 내렸습니다.",
               url_for("console.ticker"))


# -- sources ---------------------------------------------------------------------

@bp.get("/sources")
def sources():
    if not g.actor.can("sources"):
        return render_template("console/error.html", message="관리자만 볼 수 있습니다."), 403
    with rt().session() as s:
        rows = store.list_sources(s)
    return render_template("console/sources.html", sources=rows)


@bp.post("/sources")
def source_add():
    f = request.form
    return _do(lambda: workflow.add_source(rt(), g.actor, f.get("name", ""), f.get("kind", ""),
                                           f.get("url", "").strip(),
                                           f.get("poll_minutes", 30, type=int) or 30),
               "출처를 추가했습니다. 곧 가져옵니다.", url_for("console.sources"))


def _report(result) -> str:
    if result.status == "ok":
        return "가져왔습니다: %s" % result.line
    return "가져오지 못했습니다 (%s): %s" % (result.status, result.reason)


@bp.post("/sources/<int:source_id>/poll")
def source_poll(source_id: int):
    return _do(lambda: tasks.poll_source_now(rt(), g.actor, source_id), _report,
               url_for("console.sources"))


@bp.post("/sources/upload")
def source_upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("파일을 고르세요.", "error")
        return redirect(url_for("console.sources"), 303)
    name = request.form.get("name") or upload.filename
    return _do(lambda: tasks.upload_document(rt(), g.actor, name, upload), _report,
               url_for("console.sources"))


# -- operators and audit -----------------------------------------------------------

@bp.get("/operators")
def operators():
    if not g.actor.can("operators"):
        return render_template("console/error.html", message="관리자만 볼 수 있습니다."), 403
    with rt().session() as s:
        rows = store.list_operators(s)
    return render_template("console/operators.html", operators=rows, roles=ROLES, now=utcnow())


@bp.post("/operators")
def operator_add():
    f = request.form
    return _do(lambda: workflow.create_operator(rt(), g.actor, f.get("username", ""),
                                                f.get("password", ""), f.get("role", "")),
               "운영자를 만들었습니다.", url_for("console.operators"))


@bp.post("/operators/<int:operator_id>")
def operator_update(operator_id: int):
    what = request.form.get("action")
    kw = {"unlock": what == "unlock"}
    if what in ("enable", "disable"):
        kw["active"] = what == "enable"
    if what == "password":
        kw["password"] = request.form.get("password", "")
    return _do(lambda: workflow.set_operator(rt(), g.actor, operator_id, **kw), "바꿨습니다.",
               url_for("console.operators"))


@dataclass(frozen=True)
class _AuditRow:
    created_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    detail: dict


AUDIT_ROWS = 300


@bp.get("/audit")
def audit():
    """News, ticker, operator and source steps with every vote's steps (주민 참여), newest first."""
    with rt().session() as s:
        rows = [_AuditRow(e.created_at, e.actor, e.action, e.object_type, e.object_id, e.detail or {})
                for e in store.audit_entries(s, AUDIT_ROWS)]
        rows += [_AuditRow(a.created_at, a.actor, "vote_" + a.action, "vote", a.vote_id, a.detail or {})
                 for a in votes.recent_audit(s, AUDIT_ROWS)]
    rows.sort(key=lambda r: r.created_at, reverse=True)
    return render_template("console/audit.html", entries=rows[:AUDIT_ROWS])
