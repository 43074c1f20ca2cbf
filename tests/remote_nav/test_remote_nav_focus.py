"""The focus model: targets computed from markup, checks, and annotate()."""

import pytest
from lxml import html as lxml_html

from remote_nav import FocusGraph, Key, annotate, check

U, D, L, R = Key.UP, Key.DOWN, Key.LEFT, Key.RIGHT


def codes(problems):
    return sorted({p.code for p in problems})


# ------------------------------------------------------------------ grid
def test_grid_moves(screen):
    g = FocusGraph.from_html(screen("grid.html"))
    assert g.initial == "t1"
    assert g.target("t1", R) == "t2"
    assert g.target("t3", R) is None  # screen edge: bump
    assert g.target("t1", D) == "t4"
    assert g.target("t3", D) == "t5"  # short last row: nearest column
    assert g.target("t4", U) == "t1"
    assert g.target("t1", U) is None
    assert g.target("t5", D) == "lang"  # leaves the grid for the next container
    assert g.target("size", U) == "t1"  # enters the grid at its default
    grid = g.focusables["t1"].parent
    assert g.edges["size"][U] == grid.id  # rendered as the container: memory applies
    assert g.press("RIGHT", "RIGHT", "DOWN") == "t5"
    assert g.problems == []


def test_grid_numbers_and_colours(screen):
    g = FocusGraph.from_html(screen("grid.html"))
    (menu,) = g.numbers.values()
    assert menu == {1: "t1", 2: "t2", 3: "t3", 4: "t4", 5: "t5"}
    assert g.colour_keys == {Key.BLUE: "Help"}
    assert g.is_home and g.parent is None


def test_explicit_grid_positions():
    g = FocusGraph.from_html(
        '<div data-nav-container data-nav-layout="grid" data-nav-columns="2">'
        '<a id="a" href="#" data-nav-row="1" data-nav-col="1">a</a>'
        '<a id="b" href="#" data-nav-row="0" data-nav-col="0">b</a></div>')
    assert g.target("b", D) == "a"
    assert g.target("a", L) is None


# ------------------------------------------------------------------ list with paging
def test_list_with_paging(screen):
    g = FocusGraph.from_html(screen("list.html"))
    assert g.initial == "i1"
    assert g.press(*["DOWN"] * 7) == "i8"
    assert g.target("i8", D) == "prev"
    assert g.target("prev", R) == "next"
    assert g.target("next", U) == "i1"  # entering the list: its default (runtime: memory)
    assert g.target("i1", L) is None and g.target("i1", R) is None
    assert g.colour_keys == {Key.RED: "Previous", Key.GREEN: "Next page"}
    assert g.parent == "grid.html"
    assert g.problems == []


# ------------------------------------------------------------------ dialog
def test_dialog_blocked_exits_and_modal(screen):
    g = FocusGraph.from_html(screen("dialog.html"))
    assert g.initial == "bill1"
    assert g.target("bill1", L) is None and g.target("bill1", R) is None
    assert g.target("pay", D) is None
    assert g.target("yes", R) == "no"
    assert g.target("no", U) is None and g.target("no", R) is None
    assert g.entry(g.containers["confirm"]).id == "no"
    assert "yes" not in g.reachable() and "yes" in g.reachable("no")
    assert g.problems == []


def test_modal_items_must_be_reachable_from_its_entry():
    g = FocusGraph.from_html(
        '<body data-nav-home><a href="#" id="x">x</a>'
        '<div data-nav-modal id="m" data-nav-layout="row">'
        '<button id="a">a</button><button id="b" data-nav-left="">b</button>'
        '<button id="c" data-nav-block="left">c</button></div></body>')
    assert g.reachable("a") == {"a", "b", "c"}
    g2 = FocusGraph.from_html(
        '<body data-nav-home><a href="#" id="x">x</a>'
        '<div data-nav-modal id="m" data-nav-layout="row">'
        '<button id="a" data-nav-right="">a</button><button id="b">b</button></div></body>')
    assert [(p.code, p.element) for p in g2.problems] == [("unreachable", "b")]


# ------------------------------------------------------------------ nested containers
def test_nested_containers(screen):
    g = FocusGraph.from_html(screen("nested.html"))
    assert g.initial == "a3"  # the default inside the content's first row
    assert g.target("s1", R) == "a3"
    assert g.edges["s1"][R] == "content"  # rendered as the container: memory applies
    assert g.target("a1", L) == "s1"  # leaves row, then content, moves in body
    assert g.target("a3", D) == "b1"  # rows have no default: first item
    assert g.target("b2", D) == "c1"
    assert g.target("c1", L) == "c2"  # horizontal wrap
    assert g.target("c2", R) == "c1"
    assert g.target("c1", D) is None
    assert g.target("s3", D) is None
    assert g.reachable() == set(g.focusables)
    assert g.problems == []


# ------------------------------------------------------------------ problems
def test_unreachable_and_leads_nowhere():
    p = check('<body data-nav-parent="/"><a href="#" id="a" data-nav-down="ghost">a</a>'
              '<a href="#" id="b" data-nav-up="">b</a></body>')
    assert ("leads-nowhere", "a") in [(x.code, x.element) for x in p]
    assert ("unreachable", "b") in [(x.code, x.element) for x in p]


def test_missing_back_declaration_and_colour_label():
    p = check('<body data-nav-colors="RED PURPLE"><a href="#">a</a></body>')
    assert codes(p) == ["bad-colour", "colour-label", "no-back"]


def test_duplicate_ids_bad_layout_and_grid_without_columns():
    p = check('<body data-nav-parent="history"><div data-nav-container data-nav-layout="grid">'
              '<a href="#" id="a">a</a><a href="#" id="a">b</a></div>'
              '<div data-nav-container data-nav-layout="zigzag"><a href="#">c</a></div></body>')
    assert codes(p) == ["bad-layout", "duplicate-id", "grid-columns"]


def test_long_menu_is_a_warning():
    links = "".join('<a href="#">%d</a>' % n for n in range(12))
    g = FocusGraph.from_html('<body data-nav-home><div data-nav-container data-nav-menu>'
                             + links + '</div></body>')
    assert [p.code for p in g.problems] == ["menu-too-long"]
    assert g.errors == []
    (menu,) = g.numbers.values()
    assert sorted(menu) == list(range(10))


def test_empty_screen_and_empty_container():
    g = FocusGraph.from_html('<body data-nav-home><div data-nav-container></div><p>hi</p></body>')
    assert g.initial is None and g.focusables == {}
    assert codes(g.problems) == ["no-focusable"]
    assert "rn-" not in annotate('<div data-nav-container><p>x</p></div>')


# ------------------------------------------------------------------ focusable rules
def test_what_is_focusable():
    g = FocusGraph.from_html(
        '<body data-nav-home><a id="a" href="#">a</a><a id="noref">x</a>'
        '<button id="b">b</button><button id="dis" disabled>d</button>'
        '<input id="i"><input id="h" type="hidden"><div id="d" data-nav-focusable>d</div>'
        '<div id="t" tabindex="0">t</div><a id="neg" href="#" tabindex="-1">n</a>'
        '<a id="skip" href="#" data-nav-skip>s</a></body>')
    assert list(g.focusables) == ["a", "b", "i", "d", "t"]


# ------------------------------------------------------------------ annotate
def test_annotate_renders_targets(screen):
    out = annotate(screen("grid.html"))
    doc = lxml_html.document_fromstring(out)
    t1 = doc.get_element_by_id("t1")
    assert t1.get("data-nav-right") == "t2" and t1.get("data-nav-down") == "t4"
    assert t1.get("data-nav-up") is None  # blocked: the runtime bumps
    assert t1.get("data-nav-number") == "1"
    body = doc.find("body")
    assert body.get("data-nav-initial") == "t1" and body.get("data-nav-annotated") == "1"
    grid = doc.find(".//ul")
    assert grid.get("data-nav-entry") == "t1" and grid.get("id")
    assert out.startswith("<!DOCTYPE html>")
    assert "Certificates" in out


def test_annotate_is_idempotent(screen):
    for name in ("grid.html", "list.html", "dialog.html", "nested.html"):
        once = annotate(screen(name))
        assert annotate(once) == once, name


def test_annotate_fragment_keeps_text_and_tails():
    out = annotate('Hello &amp; <b>bold</b> <a href="/x">x</a> tail <!-- c --> end')
    assert out.startswith("Hello &amp; <b>bold</b> <a href=\"/x\" id=\"rn-1\"")
    assert out.endswith("tail <!-- c --> end")


def test_annotate_fragment_with_screen_element():
    out = annotate('<section data-nav-screen data-nav-parent="/"><button>a</button>'
                   '<button>b</button></section>')
    sec = lxml_html.fragment_fromstring(out)
    assert sec.get("data-nav-initial") == "rn-1"
    assert sec.get("data-nav-annotated") == "1"


def test_annotate_hbbtv_xhtml_stays_xml():
    from lxml import etree

    page = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<!DOCTYPE html PUBLIC "-//HbbTV//1.1.1//EN" "http://www.hbbtv.org/dtd/HbbTV-1.1.1.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>'
            '<script type="text/javascript">if (1 < 2) {}</script></head>'
            '<body data-nav-home><div data-nav-container="" data-nav-layout="row">'
            '<a href="/a">a</a><br/><a href="/b">b</a></div></body></html>')
    out = annotate(page)
    assert out.startswith('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC')
    etree.fromstring(out.encode("utf-8"))  # well-formed XML
    assert 'data-nav-container=""' in out and 'data-nav-right="rn-2"' in out
    assert "<![CDATA[if (1 < 2) {}]]>" in out
    assert annotate(out) == out


def test_annotate_gives_divs_a_tabindex():
    out = annotate('<div data-nav-focusable>x</div>')
    assert 'tabindex="-1"' in out


def test_annotate_keeps_korean_text():
    out = annotate('<!doctype html><html><body data-nav-home><a href="/">증명서 발급</a></body></html>')
    assert "증명서 발급" in out


def test_explicit_block_survives_annotation():
    html = ('<body data-nav-home><div data-nav-container data-nav-layout="row">'
            '<a id="a" href="#">a</a><a id="b" href="#" data-nav-left="">b</a></div></body>')
    once = annotate(html)
    assert 'data-nav-left=""' in once and annotate(once) == once
    assert FocusGraph.from_html(once).target("b", L) is None


def test_author_override_wins():
    g = FocusGraph.from_html('<body data-nav-home><a id="a" href="#" data-nav-down="c">a</a>'
                             '<a id="b" href="#">b</a><a id="c" href="#">c</a></body>')
    assert g.target("a", D) == "c"


@pytest.mark.parametrize("name", ["grid.html", "list.html", "dialog.html", "nested.html"])
def test_every_fixture_screen_is_clean(screen, name):
    assert FocusGraph.from_html(screen(name)).problems == []
