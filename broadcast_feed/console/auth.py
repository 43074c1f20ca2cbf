"""Console sessions: the operator id in the signed session cookie, an idle
limit (NEWS_SESSION_MINUTES, 30 by default) and an absolute limit of 12 h.
``g.actor`` is the logged-in ``workflow.Actor`` for every console view."""

from __future__ import annotations

import logging
import secrets
import time

from flask import current_app, flash, g, redirect, request, session, url_for
from redis.exceptions import RedisError

from broadcast_feed import workflow
from broadcast_feed.console import bp

log = logging.getLogger(__name__)

ABSOLUTE_SECONDS = 12 * 3600
OPEN_ENDPOINTS = ("console.login", "console.static")


def runtime():
    return current_app.extensions["runtime"]


def start(actor: workflow.Actor) -> None:
    session.clear()
    now = int(time.time())
    session.update(op_id=actor.id, op_started=now, op_seen=now, op_sid=secrets.token_urlsafe(16))
    session.permanent = False


def _ended_key(sid: str) -> str:
    return "console:ended:%s" % sid


def end() -> None:
    """Log out. The session lives in a signed cookie, so a copy taken while it
    was valid would still be valid: its id goes on a list of ended sessions."""
    sid = session.get("op_sid")
    if sid:
        try:
            runtime().redis.set(_ended_key(sid), 1, ex=ABSOLUTE_SECONDS)
        except (RedisError, RuntimeError):
            log.warning("console logout not recorded (Redis unreachable)")
    for key in ("op_id", "op_started", "op_seen", "op_sid"):
        session.pop(key, None)


def _ended(sid: str | None) -> bool:
    if not sid:
        return True  # a session from before session ids: log in again
    try:
        return bool(runtime().redis.exists(_ended_key(sid)))
    except (RedisError, RuntimeError):  # cannot tell a logged-out cookie from a live one: fail closed
        log.warning("console session refused: Redis cannot confirm it")
        return True


@bp.before_request
def _require_login():
    g.actor = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    now = int(time.time())
    op_id = session.get("op_id")
    idle = workflow.settings(runtime().config)["session_minutes"] * 60
    if op_id and (now - session.get("op_seen", 0) > idle
                  or now - session.get("op_started", 0) > ABSOLUTE_SECONDS):
        end()
        flash("오래 쓰지 않아 로그아웃되었습니다. 다시 로그인하세요.", "info")
        op_id = None
    if op_id and _ended(session.get("op_sid")):
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
