"""The Flask application: the app factory. It registers every feature's
blueprint the same way and wires the app-wide parts (i18n, caching, the TV
template helpers, errors, remote_nav); adapters are built by the runtime."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, g, request, session

from broadcast_feed.console import views as console_views
from broadcast_feed.console import votes as console_votes  # noqa: F401  (주민 참여 routes on the console)
from remote_nav.integration import init_app as remote_nav_init
from services.bridge.protocol import schema
from services.core.config import Config, load_config
from services.core.logs import request_id_var, setup_logging
from services.core.runtime import Runtime, set_runtime
from services.korean import korean_datetime
from tvapp import bodylimits, caching, errors, frontpeer, i18n, pageheaders, tv
from tvapp.certificates import views as certificates_views
from tvapp.extensions import babel, csrf
from tvapp.gateway import views as gateway_views
from tvapp.health import views as health_views
from tvapp.home import views as home_views
from tvapp.mobile import views as mobile_views
from tvapp.news import views as news_views
from tvapp.participation import views as participation_views
from tvapp.phone import views as phone_views
from tvapp.taxes import views as taxes_views
from tvapp.tv import ui
from tvapp.tv import views as tv_views
from tvapp.tv.device import sync_front_cookies
from tvapp.verify import views as verify_views

log = logging.getLogger(__name__)

# Every feature the same way: a package whose __init__ holds its blueprint and
# whose views module its routes; the factory imports the views and registers.
FEATURES = (health_views, home_views, verify_views, tv_views, mobile_views, gateway_views, phone_views,
            certificates_views, taxes_views, news_views, participation_views, console_views)

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

    app.add_template_filter(korean_datetime, "kst")  # 2026년 11월 21일 14:05
    i18n.init_app(app)
    caching.init_app(app)  # validators, 304s, Cache-Control (the one caching module)
    ui.init_app(app)  # the TV screens' template helpers
    errors.init_app(app)  # calm screens, the console's page, JSON for machines
    # TV templates are annotated for remote_nav once, when they load; in debug each screen is checked.
    remote_nav_init(app, annotate_html=False, templates=tv.is_screen_template, when=tv.is_screen_request)
    app.after_request(sync_front_cookies)
    for views in FEATURES:
        app.register_blueprint(views.bp)
    pageheaders.init_app(app)  # CSP and X-Frame-Options; after every template folder is known
    if config.PROXY_HOPS > 0:  # behind the front (tvapp.front): the client's address, for rate limits
        # believed only for requests over the front's unix socket (tvapp.frontpeer)
        app.wsgi_app = frontpeer.FrontOnlyProxyFix(app.wsgi_app, config.PROXY_HOPS)
    return app
