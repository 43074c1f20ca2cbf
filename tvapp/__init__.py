"""The Flask application: app factory. The only place that wires concrete
adapters and registers blueprints."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, request, session

from services.bridge.protocol import schema
from services.core.config import Config, load_config
from services.core.logs import request_id_var, setup_logging
from services.core.runtime import Runtime, set_runtime
from services.korean import korean_datetime
from tvapp import bodylimits, pageheaders
from tvapp.extensions import babel, csrf

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")


def _locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "ko"


def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    schema()  # SchemaUnavailable: this web worker exits with the reason (gunicorn's master is restarted)
    app = Flask(__name__)
    app.config.update(config.as_flask())
    app.config.update(
        BABEL_DEFAULT_LOCALE="ko",
        BABEL_DEFAULT_TIMEZONE="Asia/Seoul",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.ENV == "production",  # as the tv_device cookie
        WTF_CSRF_TIME_LIMIT=None,
        # Small bodies; each request's own limit is set by tvapp.bodylimits.
        MAX_CONTENT_LENGTH=config.MAX_BODY_BYTES,
    )
    if not app.testing:
        setup_logging(config.LOG_LEVEL, config.LOG_FORMAT)
    runtime = Runtime(config)
    set_runtime(runtime)
    app.extensions["runtime"] = runtime

    babel.init_app(app, locale_selector=_locale)

    bodylimits.init_app(app)  # before CSRF, which reads the form
    csrf.init_app(app)

    @app.before_request
    def _request_id():
        rid = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:12]
        g.request_id = rid
        request_id_var.set(rid)

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Request-Id", g.get("request_id", "-"))
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    from tvapp.health import bp as health_bp
    from tvapp.home import bp as home_bp
    from tvapp.verify import bp as verify_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(verify_bp)
    app.add_template_filter(korean_datetime, "kst")  # 2026년 11월 21일 14:05

    from tvapp import caching, i18n, mobile, tv

    i18n.init_app(app)
    caching.init_app(app)  # validators, 304s, Cache-Control (the one caching module)
    tv.init_app(app)
    mobile.init_app(app)
    __import__("tvapp.gateway").gateway.init_app(app)  # SMS gateways and the phone simulator

    from tvapp.certificates import bp as certs_bp
    from tvapp.fax_callback import bp as fax_callback_bp

    app.register_blueprint(certs_bp)
    app.register_blueprint(fax_callback_bp)
    __import__("tvapp.taxes").taxes.init_app(app)  # 지방세 on the TV and the phone payment page

    from broadcast_feed.console import views as console_views
    from tvapp import news

    app.register_blueprint(console_views.bp)  # /console/: the operators' news console
    news.init_app(app)  # /tv/news/ and the urgent ticker
    pageheaders.init_app(app)  # CSP and X-Frame-Options; after every template folder is known
    if config.PROXY_HOPS > 0:  # behind the front (tvapp.front): the client's address, for rate limits
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.PROXY_HOPS, x_proto=config.PROXY_HOPS)
    return app
