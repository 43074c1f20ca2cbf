"""Calm full-screen errors for ``/tv/`` paths (and simple pages for ``/m/``).

Each says what happened and what to press next; Back always works (the
screen's parent is the TV home). Other paths keep Flask's default answers.
To show one from a view: ``return tv_error("not_found", 404)``.
"""

from __future__ import annotations

import logging

from flask import render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from services.bridge.client import BackendUnavailable

log = logging.getLogger(__name__)

ERRORS = {
    "not_found": (_l("찾는 화면이 없습니다"),
                  _l("주소가 바뀌었거나 없어진 화면입니다.")),
    "method": (_l("이 동작은 할 수 없습니다"),
               _l("화면에서 다시 골라 주세요.")),
    "expired_form": (_l("화면을 너무 오래 띄워 두었습니다"),
                     _l("안전을 위해 입력을 새로 받아야 합니다. 입력한 내용은 그대로 있습니다.")),
    "backend": (_l("구청 시스템에 잠시 연결할 수 없습니다"),
                _l("잠시 뒤에 다시 해 주세요. 접수한 민원은 사라지지 않습니다.")),
    "server": (_l("잠시 문제가 생겼습니다"),
               _l("불편을 드려 죄송합니다. 잠시 뒤에 다시 해 주세요.")),
}


def tv_error(what: str, status: int):
    title, text = ERRORS[what]
    if request.path.startswith("/m/"):
        return render_template("mobile/error.html", title=title, text=text), status
    back = "history" if what in ("expired_form", "backend") else "/tv/"
    return render_template("tv/error.html", title=title, text=text, back=back, status=status), status


def calm(area: str, title: str, text: str, next_text: str, href: str, label: str, status: int = 200):
    """A calm screen in a feature's flow (a refusal, something missing): what
    happened, what to press next, and Back to ``href``. The Korean texts are
    msgids (English from the catalogue); ``area`` titles the screen."""
    area, title, text, next_text, label = (gettext(t) if t else t for t in (area, title, text, next_text, label))
    return render_template("tv/calm.html", area=area, title=title, text=text, next_text=next_text, href=href,
                           label=label), status


def _ours() -> bool:
    return request.path.startswith("/tv") or request.path.startswith("/m/")


def init_app(app) -> None:
    @app.errorhandler(404)
    def _404(e):
        return tv_error("not_found", 404) if _ours() else e

    @app.errorhandler(405)
    def _405(e):
        return tv_error("method", 405) if _ours() else e

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return tv_error("expired_form", 400) if _ours() else e

    @app.errorhandler(BackendUnavailable)
    def _backend(e):
        log.warning("back end unavailable on %s: %s", request.path, e)
        if _ours():
            return tv_error("backend", 503)
        return InternalServerError()

    @app.errorhandler(500)
    def _500(e):
        if _ours():
            return tv_error("server", 500)
        return e if isinstance(e, HTTPException) else InternalServerError()
