"""Errors, answered as each audience needs them.

- TV screens (``/tv/``) get a calm full screen that says what happened and
  what to press next (Back always works); phone pages (``/m/``) a simple page.
- The operators' console (``/console/``) gets its own error page.
- Machine endpoints (``/gateway/``, health, ``*.json``, or a client that
  asks for JSON) get JSON: ``{"error": ..., "message": ...}``.
- Anything else keeps Werkzeug's plain answer.

Errors our code raises on purpose derive from ``services.core.errors.AppError``
and carry their status and a sentence for people. To show a calm screen from
a view: ``return tv_error("not_found", 404)``, or ``calm(...)`` inside a flow.
"""

from __future__ import annotations

import logging

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext, refresh
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from services.bridge.client import BackendUnavailable
from services.core.errors import DEFAULT_MESSAGE, AppError
from tvapp.tv.device import load_device

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
    "slow": (_l("잠시 늦어지고 있습니다"),
             _l("연결이 늦어 이 화면을 열지 못했습니다. 입력하신 내용은 그대로 있습니다.")),
}
#: The slow screen after a form whose digits are never kept on the box (a card: ``g.typed_not_kept``).
SLOW_NOT_KEPT = _l("연결이 늦어 이 화면을 열지 못했습니다. 카드 정보는 안전을 위해 남기지 않으니 다시 입력해 주세요.")
RETRY_TEXT = _l("확인 버튼을 누르면 다시 해 봅니다.")  # Back: the legend says it
RETRY_LABEL = _l("다시 해 보기")


def _know_the_box() -> None:
    """An error screen is in the box's language and text size, like every
    other: read the box (never create one) when the view did not."""
    if request.path.startswith("/tv"):
        had = g.get("device")
        try:
            load_device(create=False)
        except Exception:  # noqa: BLE001  (the database may be why we are here)
            log.info("error screen without the box's settings")
        if had is None and g.get("device") is not None:
            refresh()  # the locale was chosen before the box was known


def tv_error(what: str, status: int):
    title, text = ERRORS[what]
    if request.path.startswith("/m/"):
        return render_template("mobile/error.html", title=title, text=text), status
    _know_the_box()
    back = "history" if what in ("expired_form", "backend") else "/tv/"
    return render_template("tv/error.html", title=title, text=text, back=back, status=status), status


def _screen_to_retry() -> str:
    """Where "다시 해 보기" goes: this screen again, or for a form sent (a POST)
    the screen it was sent from (its own address, or the one above: .../send ->
    ...); what was typed there comes back with it (tv.js keeps it)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    adapter = current_app.url_map.bind("localhost")
    path = request.path
    while path.startswith("/tv/") and path != "/tv/":
        for candidate in (path, path.rstrip("/") + "/"):
            try:
                adapter.match(candidate, method="GET")
                return candidate
            except RequestRedirect:
                continue
            except (NotFound, MethodNotAllowed):
                pass
        path = path.rstrip("/").rsplit("/", 1)[0] or "/tv/"
    return "/tv/"


def slow_screen():
    """Redis did not answer in time (or is down) where a screen needs it (a
    flow's state, a code): a calm screen that says so, with OK to try again
    and Back to the screen before; nothing typed or asked for is lost."""
    _know_the_box()
    title, text = ERRORS["slow"]
    if g.get("typed_not_kept"):
        text = SLOW_NOT_KEPT
    return render_template("tv/error.html", title=title, text=text, back="history", status=503,
                           next_text=RETRY_TEXT, ok_href=_screen_to_retry(), ok_label=RETRY_LABEL), 503


def calm(area: str, title: str, text: str, next_text: str, href: str, label: str, status: int = 200):
    """A calm screen in a feature's flow (a refusal, something missing): what
    happened, what to press next, and Back to ``href``. The Korean texts are
    msgids (English from the catalogue); ``area`` titles the screen."""
    area, title, text, next_text, label = (gettext(t) if t else t for t in (area, title, text, next_text, label))
    return render_template("tv/calm.html", area=area, title=title, text=text, next_text=next_text, href=href,
                           label=label), status


def _audience() -> str:
    path = request.path
    if path.startswith(("/tv", "/m/")):
        return "screen"
    if path.startswith("/console"):
        return "console"
    if (path.startswith(("/gateway/", "/healthz", "/livez")) or path.endswith(".json")
            or request.accept_mimetypes.best == "application/json"):
        return "json"
    return "page"


SCREEN_FOR_STATUS = {404: "not_found", 405: "method"}


def _answer(status: int, message: str, screen: str, code: str):
    who = _audience()
    if who == "screen":
        return tv_error(screen, status)
    if who == "console":
        return render_template("console/error.html", message=message), status
    if who == "json":
        return jsonify(error=code, message=message), status
    return None


def init_app(app) -> None:
    @app.errorhandler(HTTPException)
    def _http(e):
        status = e.code or 500
        screen = SCREEN_FOR_STATUS.get(status, "server" if status >= 500 else "method")
        found = _answer(status, str(ERRORS[screen][0]), screen, (e.name or "error").lower().replace(" ", "_"))
        return found if found is not None else e

    @app.errorhandler(CSRFError)
    def _csrf(e):
        found = _answer(400, str(ERRORS["expired_form"][0]), "expired_form", "csrf")
        return found if found is not None else e

    @app.errorhandler(AppError)
    def _app_error(e):
        log.info("%s on %s: %s", type(e).__name__, request.path, e.user_message)
        status = e.status_code
        screen = "backend" if isinstance(e, BackendUnavailable) else (
            "server" if status >= 500 else SCREEN_FOR_STATUS.get(status, "method"))
        if _audience() == "screen" and not request.path.startswith("/m/"):
            _know_the_box()
            title, text = ERRORS[screen]
            said = e.user_message if e.user_message != DEFAULT_MESSAGE else text
            return render_template("tv/error.html", title=title, text=said, back="history",
                                   status=status), status
        found = _answer(status, e.user_message, screen, type(e).__name__)
        return found if found is not None else (e.user_message, status)

    @app.errorhandler(RedisError)
    def _redis(e):
        log.warning("Redis did not answer on %s: %s", request.path, type(e).__name__)
        if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
            return jsonify(error="busy", message=str(ERRORS["slow"][0])), 503  # a screen's poll: it tries again
        if _audience() == "screen" and not request.path.startswith("/m/"):
            return slow_screen()
        found = _answer(503, str(ERRORS["slow"][0]), "server", "busy")
        return found if found is not None else (str(ERRORS["slow"][0]), 503)

    @app.errorhandler(500)
    def _500(e):
        found = _answer(500, str(ERRORS["server"][0]), "server", "internal_error")
        if found is not None:
            return found
        return e if isinstance(e, HTTPException) else InternalServerError()
