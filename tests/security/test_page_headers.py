"""Issue 19 item 12: every answer carries a Content-Security-Policy and
X-Frame-Options; the inline code our templates do have is allowed by hash
(a page's rendered scripts are checked against its own header); console pages
are ``no-store`` (Back after logout shows nothing); the development pages are
not there in production."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from services.core.config import load_config
from services.models import Device
from tests.security.conftest import console_login, csrf_token
from tests.support.chaos import tv_client
from tvapp import create_app, pageheaders
from tvapp.tv.device import HASH_PURPOSE

PAGES = ("/tv/", "/tv/pair", "/console/login", "/verify/", "/no-such-page", "/livez", "/phone/")


def _allowed(resp) -> set[str]:
    csp = resp.headers["Content-Security-Policy"]
    script_src = [part for part in csp.split("; ") if part.startswith("script-src ")][0]
    return set(script_src.split()[1:])


@pytest.mark.parametrize("path", PAGES)
def test_every_answer_has_a_csp_and_frame_options(client, path):
    r = client.get(path)
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert r.headers.get("X-Frame-Options") == "SAMEORIGIN"


def test_the_inline_code_a_page_renders_is_allowed_by_its_own_header(runtime, demo):
    tv = tv_client(runtime)
    r = tv.get("/tv/settings/")
    html, allowed = r.get_data(as_text=True), _allowed(r)
    handlers = pageheaders.INLINE_HANDLER.findall(html)
    assert handlers, "the settings screen's dialog buttons"
    # A browser hashes an attribute's value as it reads it (entities decoded),
    # a script's text as written.
    for code in [html_lib.unescape(h) for h in handlers] + pageheaders.INLINE_SCRIPT.findall(html):
        assert pageheaders._hash(code) in allowed, code
    assert "'unsafe-hashes'" in allowed


def test_no_inline_script_is_built_by_a_template(app):
    """A script the template fills in could never match its hash: keep them literal."""
    env = app.jinja_env
    for name in env.list_templates(extensions=("html",)):
        source = env.loader.get_source(env, name)[0]
        for code in pageheaders.INLINE_SCRIPT.findall(source) + pageheaders.INLINE_HANDLER.findall(source):
            assert "{{" not in code and "{%" not in code, name
    scripts, handlers = pageheaders.inline_hashes(env)
    assert scripts and handlers


def test_console_pages_are_not_stored(app, seeded):
    c = console_login(app, "editor")
    for path in ("/console/", "/console/login"):
        assert c.get(path).headers["Cache-Control"] == "no-store", path
    token = csrf_token(c, "/console/")
    r = c.post("/console/logout", data={"csrf_token": token})
    assert r.headers["Cache-Control"] == "no-store"
    css = c.get("/console/static/console.css")
    assert css.headers.get("Cache-Control") != "no-store"


@pytest.fixture
def production_app(runtime, monkeypatch):
    for name, value in (("TVGOV_ENV", "production"), ("SECRET_KEY", "s" * 40), ("PII_KEY", "p" * 40),
                        ("REDIS_URL", runtime.config.REDIS_URL), ("BACKEND_URL", runtime.config.BACKEND_URL),
                        ("DATABASE_URL", runtime.config.DATABASE_URL)):
        monkeypatch.setenv(name, value)
    config = load_config()
    config.TESTING = True  # no logging set-up over the test's
    assert config.is_production and config.SMS_GATEWAY == "outbox"
    return create_app(config)


def test_the_development_pages_are_off_in_production(production_app, runtime, demo):
    c = production_app.test_client()
    c.environ_base["wsgi.url_scheme"] = "https"
    assert c.get("/phone/").status_code == 404
    assert c.get("/phone/010-0000-0001").status_code == 404
    r = c.get("/tv/simulator")
    assert r.status_code == 404
    token = c.get_cookie("tv_device")  # and the simulator paired no box
    if token is not None:
        with runtime.session() as s:
            d = s.scalar(select(Device).where(
                Device.token_hash == runtime.crypto.keyed_hash(token.value, HASH_PURPOSE)))
            assert d is None or d.household_id is None
    assert re.search("default-src 'self'", r.headers["Content-Security-Policy"])
