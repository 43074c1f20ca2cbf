"""Annotation prepared once per template (remote_nav.prepare): the rendered
page is what annotate() renders, with no HTML parsed per response."""

import logging
from pathlib import Path

import pytest

jinja2 = pytest.importorskip("jinja2")

from remote_nav import FocusGraph, annotate  # noqa: E402
from remote_nav.prepare import (  # noqa: E402
    END,
    START,
    TemplateMarkError,
    differences,
    jinja_parts,
    mark_source,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"

MACROS = """{% macro rows(items, id) -%}
<ul id="{{ id }}" data-nav-container data-nav-menu>
  {%- for item in items %}<li>{{ caller(item) }}</li>{% endfor %}
</ul>
{%- endmacro %}"""

PAGE = """<!doctype html>
{% import "macros.html" as ui %}
<html><body data-nav-parent="/" {% if colours %}data-nav-colors="RED"{% endif %}>
<h1>{{ title }}</h1>
{% call(item) ui.rows(items, "list") %}<a href="/r/{{ item }}" class="{{ 'x' if item > 2 else 'y' }}">{{ item }} &amp; co</a>{% endcall %}
<div data-nav-container data-nav-layout="row">
  {% if more %}<a href="/more" data-nav-key="BLUE">다음 쪽</a>{% endif %}
  <button type="button"{% if off %} disabled{% endif %}>끝</button>
  <input type="hidden" name="t" value="1"><input name="q" value="a > b">
</div>
<div id="dlg" data-nav-modal hidden><button id="yes">예</button><button data-nav-default>아니요</button></div>
<script>if (a < b && c > d) { x('<a href="/no">'); }</script>
</body></html>"""


def env(templates):
    loader_class, template_class = jinja_parts()
    e = jinja2.Environment(loader=loader_class(jinja2.DictLoader(templates), lambda n: True),
                           autoescape=True)
    e.template_class = template_class
    return e


@pytest.mark.parametrize("items,more,off", [([1, 2, 3], True, False), ([5], False, True), ([], True, True)])
def test_rendered_page_is_annotated_as_annotate_would(items, more, off):
    out = env({"page.html": PAGE, "macros.html": MACROS}).get_template("page.html").render(
        items=items, more=more, off=off, colours=False, title="<b>")
    assert START not in out and END not in out
    assert differences(out) == []
    assert 'data-nav-annotated="1"' in out
    want = FocusGraph.from_html(annotate(out))
    got = FocusGraph.from_html(out)
    assert got.edges == want.edges and got.initial == want.initial
    assert ("BLUE" in str(got.colour_keys)) == more
    assert "&lt;b&gt;" in out and "a &gt; b" in out and "x('<a href=\"/no\">')" in out


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_fixture_screens_as_templates(name):
    source = (FIXTURES / name).read_text(encoding="utf-8")
    out = env({name: source}).get_template(name).render()
    assert differences(out) == [], name
    assert FocusGraph.from_html(out).edges == FocusGraph.from_html(annotate(source)).edges


def test_an_unannotated_page_shows_differences():
    assert differences("<html><body data-nav-home><a href='/a'>a</a><a href='/b'>b</a></body></html>")


def test_markers_go_only_where_navigation_may_be():
    marked = mark_source('<p class="x">t</p><div data-nav-container><span>s</span><a href="#">a</a></div>'
                         '<img src="x" tabindex="0"><br/><!-- <a href="/old">old</a> -->')
    assert marked == ('<p class="x">t</p><div data-nav-container' + START + '><span>s</span><a href="#"'
                      + START + '>a' + END + '</a>' + END + '</div><img src="x" tabindex="0"' + START
                      + '><br/><!-- <a href="/old">old</a> -->')


def test_a_marked_tag_needs_its_end_tag_in_the_same_file():
    with pytest.raises(TemplateMarkError, match="no end tag for <div>"):
        mark_source("{% block x %}<div data-nav-container>{% endblock %}", "bad.html")


def test_flask_templates_and_debug_check(caplog):
    flask = pytest.importorskip("flask")
    from remote_nav.integration import init_app

    app = flask.Flask(__name__)
    app.jinja_loader  # noqa: B018 - the app's own loader is wrapped
    init_app(app, annotate_html=False, templates=lambda name: name.endswith(".html"), check=True)
    app.jinja_env.loader.loader = jinja2.DictLoader({"tv.html": PAGE, "macros.html": MACROS})

    @app.route("/tv/")
    def page():
        return flask.render_template("tv.html", items=[1, 2], more=True, off=False)

    @app.route("/tv/bare")
    def bare():
        return "<html><body data-nav-home><a href='/a'>a</a><a href='/b'>b</a></body></html>"

    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="remote_nav.integration"):
        body = client.get("/tv/").get_data(as_text=True)
        assert differences(body) == [] and "not annotated" not in caplog.text
        client.get("/tv/bare")
    assert "not annotated" in caplog.text


def test_pages_of_one_shape_reuse_the_changes_with_their_own_ids():
    from remote_nav import prepare

    page = env({"page.html": PAGE.replace('<a href="/r/{{ item }}"', '<a id="r{{ item }}" href="/r/{{ item }}"'),
                "macros.html": MACROS}).get_template("page.html")
    prepare._SHAPES.clear()
    first = page.render(items=[1, 2, 3], more=True, off=False)
    assert len(prepare._SHAPES) == 1
    second = page.render(items=[7, 8, 9], more=True, off=False)  # same shape, other ids
    assert len(prepare._SHAPES) == 1
    assert differences(first) == [] and differences(second) == []
    assert FocusGraph.from_html(second).target("r7", "DOWN") == "r8" and 'data-nav-down="r8"' in second


def test_a_marked_tag_is_read_once_but_a_field_s_value_is_not_kept():
    """The pass keeps how a marked start tag's text reads (its attributes),
    never a text with a field's value (what a resident typed); the page comes
    out the same every time."""
    from remote_nav import prepare

    prepare._PARSED.clear()
    template = env({"page.html": PAGE, "macros.html": MACROS}).get_template("page.html")
    first = template.render(items=[1, 2], more=True, off=False, colours=False, title="t")
    kept = dict(prepare._PARSED)
    assert kept and not any("value=" in text for text in kept)
    assert any(text.startswith("<button") for text in kept)
    again = template.render(items=[1, 2], more=True, off=False, colours=False, title="t")
    assert again == first and differences(again) == []
    assert prepare._PARSED.keys() == kept.keys()
