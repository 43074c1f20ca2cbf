"""Console sessions: the operator id in the signed session cookie, an idle
limit (NEWS_SESSION_MINUTES, 30 by default) and an absolute limit of 12 h.
``g.actor`` is the logged-in ``workflow.Actor`` for every console view."""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, request, session, url_for

from broadcast_feed import workflow
from broadcast_feed.console import bp

ABSOLUTE_SECONDS = 12 * 3600
OPEN_ENDPOINTS = ("console.login", "console.static")


def runtime():
    return current_app.extensions["runtime"]


def start(actor: workflow.Actor) -> None:
    session.clear()
    now = int(time.time())
    session.update(op_id=actor.id, op_started=now, op_seen=now)
    session.permanent = False


def end() -> None:
    for key in ("op_id", "op_started", "op_seen"):
        session.pop(key, None)


@bp.before_request
def _require_login():
    g.actor = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    now = int(time.time())
    op_id = session.get("op_id")
    idle = workflow.settings()["session_minutes"] * 60
    if op_id and (now - session.get("op_seen", 0) > idle
                  or now - session.get("op_started", 0) > ABSOLUTE_SECONDS):
        end()
        flash("오래 쓰지 않아 로그아웃되었습니다. 다시 로그인하세요.", "info")
        op_id = None
    actor = workflow.current_actor(runtime(), op_id) if op_id else None
    if actor is None:
        end()
        return redirect(url_for("console.login", next=request.path))
    session["op_seen"] = now
    g.actor = actor
    return None


@bp.app_template_global("console_can")
def console_can(what: str) -> bool:
    actor = g.get("actor")
    return bool(actor and actor.can(what))
