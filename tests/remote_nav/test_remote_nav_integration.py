"""The optional Flask glue: static runtime, after_request annotation, template helpers."""

import logging

import pytest

flask = pytest.importorskip("flask")

from remote_nav.integration import init_app  # noqa: E402

PAGE = ('<!DOCTYPE html><html><body data-nav-home>'
        '<a href="/a" id="a">a</a><a href="/b" id="b">b</a>{{ remote_nav_script() }}</body></html>')


def make_app(**kwargs):
    app = flask.Flask(__name__)

    @app.route("/tv/")
    def home():
        return flask.render_template_string(PAGE)

    @app.route("/tv/bad")
    def bad():
        return '<html><body><a href="/x" data-nav-down="ghost">x</a></body></html>'

    @app.route("/api")
    def api():
        return {"html": "<a href='/x'>x</a>"}

    @app.route("/console")
    def console():
        return "<html><body><a href='/x'>x</a></body></html>"

    @app.route("/frag")
    def frag():
        return flask.render_template_string("{{ html | nav_annotate }}",
                                            html="<button>x</button><button>y</button>")

    init_app(app, **kwargs)
    return app


def test_html_responses_are_annotated():
    client = make_app().test_client()
    body = client.get("/tv/").get_data(as_text=True)
    assert 'id="a" data-nav-down="b"' in body
    assert '<script src="/remote_nav/static/remote_nav.js"></script>' in body
    assert client.get("/api").get_json() == {"html": "<a href='/x'>x</a>"}


def test_runtime_is_served():
    resp = make_app().test_client().get("/remote_nav/static/remote_nav.js")
    try:
        assert resp.status_code == 200 and b"RemoteNav" in resp.get_data()
    finally:
        resp.close()


def test_when_limits_annotation():
    client = make_app(when=lambda r: r.path.startswith("/tv")).test_client()
    assert "data-nav-annotated" not in client.get("/console").get_data(as_text=True)
    assert "data-nav-annotated" in client.get("/tv/").get_data(as_text=True)


def test_filter_annotates_fragments():
    body = make_app(annotate_html=False).test_client().get("/frag").get_data(as_text=True)
    assert body.startswith('<button id="rn-1" data-nav-down="rn-2">')


def test_check_logs_problems(caplog):
    client = make_app(check=True).test_client()
    with caplog.at_level(logging.WARNING, logger="remote_nav.integration"):
        client.get("/tv/bad")
    text = caplog.text
    assert "leads-nowhere" in text and "no-back" in text
