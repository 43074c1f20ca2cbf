"""Annotation prepared once per template, not by parsing every response.

When a Jinja template loads, :func:`mark_source` finds, once, the tags that
can matter to navigation (the ``<body>``, links, buttons, form fields, and any
tag whose source mentions ``data-nav-``, ``tabindex`` or ``autofocus``) and
puts an invisible marker at the end of each start tag and before the matching
end tag. Rendering copies the markers into the output; :func:`finish` (run by
:class:`NavTemplate` after the top-level render) reads only the marked tags
(their attributes as rendered, and their nesting from the markers' order),
builds the same :class:`~remote_nav.focus.FocusGraph` as :func:`annotate`,
rewrites the marked tags whose attributes changed and drops the markers. No
HTML parser runs at request time; the result is what :func:`annotate` would
render (``tests`` check it for every TV screen with :func:`differences`).

Limits (a test of every screen catches them): navigation attributes must be
written in the template (not produced whole by an expression such as
``<div {{ attrs }}>``), a marked tag's end tag must be in the same file, and
ids other than those on marked tags are not seen when naming unnamed items
(``rn-1`` ...: do not write such ids by hand).

Flask glue: ``remote_nav.integration.init_app(app, templates=...)``.
"""

from __future__ import annotations

import html as html_lib
import re

from . import markup as m
from .focus import FocusGraph
from .htmlio import Parsed, parse, screen_root

START = "\ue000"  # at the end of a marked start tag (private-use characters: never in content)
END = "\ue001"  # before a marked element's end tag
_MARKS = re.compile("[\ue000\ue001]")

NAV_TAGS = frozenset({"body", "a", "button", "input", "select", "textarea"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})
_NAV_WORDS = ("data-nav-", "tabindex", "autofocus")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_RAW = ("script", "style")


class TemplateMarkError(ValueError):
    """A template whose marked tags cannot be matched (fix the template)."""


# ---------------------------------------------------------------- at load time
def _skip_jinja(src: str, i: int) -> int:
    """If a Jinja construct starts at ``i``, the index just after it; else ``i``."""
    two = src[i:i + 2]
    close = {"{{": "}}", "{%": "%}", "{#": "#}"}.get(two)
    if close is None:
        return i
    end = src.find(close, i + 2)
    if end < 0:
        raise TemplateMarkError("unclosed %s at %d" % (two, i))
    return end + 2


def _tag_end(src: str, i: int) -> int:
    """Index of the ``>`` closing the start tag that begins at ``i``."""
    n, quote = len(src), None
    while i < n:
        j = _skip_jinja(src, i)
        if j != i:
            i = j
            continue
        c = src[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == ">":
            return i
        i += 1
    raise TemplateMarkError("unclosed tag")


_NEXT = re.compile(r"<|\{[{%#]")


def _tags(src: str):
    """(is_end, name, start, end_of_tag) for each tag outside Jinja constructs,
    HTML comments and raw text."""
    i, n = 0, len(src)
    while i < n:
        found = _NEXT.search(src, i)
        if not found:
            return
        pos = found.start()
        if src[pos] == "{":
            i = _skip_jinja(src, pos)
            continue
        if src.startswith("<!--", pos):  # tags in HTML comments are not elements
            end = src.find("-->", pos + 4)
            i = n if end < 0 else end + 3
            continue
        match = _TAG.match(src, pos)
        if not match:
            i = pos + 1
            continue
        closing, name = match.group(1) == "/", match.group(2).lower()
        gt = _tag_end(src, match.end())
        yield closing, name, pos, gt
        i = gt + 1
        if not closing and name in _RAW:
            end = re.compile(r"</%s\s*>" % name, re.I).search(src, i)
            i = end.start() if end else n


def _wanted(name: str, tag_src: str) -> bool:
    return name in NAV_TAGS or any(w in tag_src for w in _NAV_WORDS)


def mark_source(src: str, name: str = "") -> str:
    """The template source with markers on the tags that may matter to navigation."""
    tags = list(_tags(src))
    inserts: list[tuple[int, str]] = []
    for k, (closing, tag, lt, gt) in enumerate(tags):
        if closing or not _wanted(tag, src[lt:gt]):
            continue
        self_closing = src[gt - 1] == "/"
        inserts.append((gt - 1 if self_closing else gt, START))
        if tag in VOID or self_closing:
            continue
        depth = 0
        for closing2, tag2, lt2, _ in tags[k + 1:]:
            if tag2 != tag:
                continue
            if not closing2:
                depth += 1
            elif depth:
                depth -= 1
            else:
                inserts.append((lt2, END))
                break
        else:
            raise TemplateMarkError("%s: no end tag for <%s> at line %d" % (
                name or "template", tag, src.count("\n", 0, lt) + 1))
    out, last = [], 0
    for pos, mark in sorted(inserts):
        out.append(src[last:pos])
        out.append(mark)
        last = pos
    out.append(src[last:])
    return "".join(out)


# ---------------------------------------------------------------- after render
class _Attrib(dict):
    """Attributes of a light element; remembers that they changed."""

    changed = False

    def __setitem__(self, key, value):
        if self.get(key) != value:
            self.changed = True
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        self.changed = True
        dict.__delitem__(self, key)


class Light:
    """A marked element: just what :class:`FocusGraph` reads of an lxml element."""

    __slots__ = ("tag", "attrib", "children", "page", "lt", "start", "stop", "parent", "sig")

    def __init__(self, tag, attrib, page="", lt=0, start=0, parent=-1, sig=None):
        self.tag, self.attrib, self.children = tag, attrib, []
        self.page, self.lt, self.start, self.stop, self.parent = page, lt, start, None, parent
        self.sig = sig

    def get(self, key, default=None):
        return self.attrib.get(key, default)

    def set(self, key, value):
        self.attrib[key] = value

    def __iter__(self):
        return iter(self.children)

    def __len__(self):
        return len(self.children)

    def iter(self, *tags):
        if not tags or self.tag in tags:
            yield self
        for child in self.children:
            yield from child.iter(*tags)

    def find(self, path):  # only what htmlio.screen_root asks: ".//*[@data-nav-screen]"
        for el in self.iter():
            if el is not self and m.SCREEN in el.attrib:
                return el
        return None

    def text_content(self) -> str:
        if self.stop is None:
            return ""
        text = _MARKS.sub("", self.page[self.start:self.stop])
        return html_lib.unescape(re.sub(r"<[^>]*>", "", text))


def _start_tag(el: Light) -> str:
    parts = ["<", el.tag]
    for key, value in el.attrib.items():
        if value is None:
            parts.append(" " + key)
        else:
            parts.append(' %s="%s"' % (key, html_lib.escape(value)))
    return "".join(parts)


def _attributes(text: str) -> _Attrib:
    found = _Attrib()
    for name, dq, sq, bare in _ATTR.findall(text):
        name = name.lower()
        if name not in found:  # the first of duplicates wins, as in browsers
            value = dq or sq or bare
            dict.__setitem__(found, name, html_lib.unescape(value) if value else "")
    return found


def _signature(tag: str, a: dict) -> tuple:
    """What :func:`_shape` reads of a marked element's tag and attributes."""
    ident = a.get("id")
    return (tag, ident if ident and ident.startswith("rn-") else None,
            "href" in a, "disabled" in a, "autofocus" in a, a.get("tabindex"),
            a.get("type", "").lower() if tag == "input" else "",
            tuple(sorted((k, v) for k, v in a.items() if k.startswith("data-nav-") and k not in _NOT_READ)))


# A start tag's attributes as rendered -> (its attributes, its signature): most
# of a screen's marked tags render the same text every time (a button, the
# body), so each is read once; a tag whose text changes (an id with a receipt
# number) is read anew. Kept up to PARSED_KEPT texts; a field's value is not
# kept (``value=``: it may be what a resident typed).
_PARSED: dict = {}
PARSED_KEPT = 5000


def light_tree(page: str) -> tuple[Light, list[Light]]:
    """The marked elements of a rendered page, nested as in the page."""
    doc = Light("html", _Attrib(), page)
    stack, marked, index = [doc], [], {id(doc): -1}
    for match in _MARKS.finditer(page):
        pos = match.start()
        if match.group() == END:
            if len(stack) > 1:
                stack.pop().stop = pos
            continue
        lt = page.rfind("<", 0, pos)
        tag = _TAG.match(page, lt)
        key = page[lt:pos]
        found = _PARSED.get(key)
        if found is None:
            name = tag.group(2).lower()
            attrs = dict(_attributes(page[tag.end():pos]))
            found = (name, attrs, _signature(name, attrs))
            if "value=" not in key:  # what a box typed is not kept
                if len(_PARSED) >= PARSED_KEPT:
                    _PARSED.clear()
                _PARSED[key] = found
        el = Light(found[0], _Attrib(found[1]), page, lt, pos + 1, index[id(stack[-1])], found[2])
        stack[-1].children.append(el)
        index[id(el)] = len(marked)
        marked.append(el)
        if el.tag not in VOID and not page.startswith("/", pos + 1):
            stack.append(el)
    return doc, marked


# What annotate() writes depends only on the marked elements' nesting and the
# attributes it reads: pages of the same shape get the same changes (ids
# written as references to elements), computed once and then kept.
_NOT_READ = frozenset({m.PARENT, m.SETTLE, m.SCOPE, m.EXIT_TEXT, "data-nav-exit-yes", "data-nav-exit-no"})
_REFS = frozenset({"id", m.ENTRY, m.INITIAL, *m.TARGET.values()})
_SHAPES: dict = {}
SHAPES_KEPT = 2000


def _shape(marked: list[Light]) -> tuple:
    first: dict = {}
    shape = []
    for i, el in enumerate(marked):
        a = el.attrib
        ident = a.get("id")
        same = first.setdefault(ident, i) if ident is not None else -1
        text = el.text_content() if m.KEY in a and m.LABEL not in a else None
        shape.append((el.parent, same, text, el.sig or _signature(el.tag, a)))
    return tuple(shape)


def _changes(doc: Light, marked: list[Light], body: Light) -> list:
    """Annotate the light tree; returns its changes, with ids as element references."""
    before = [dict(el.attrib) for el in marked]
    FocusGraph(body, Parsed(doc, body.tag != "body")).render()
    where = {}
    for i, el in enumerate(marked):
        if el.attrib.get("id") is not None:
            where.setdefault(el.attrib["id"], i)
    changes = []
    for i, el in enumerate(marked):
        old, new = before[i], el.attrib
        if not new.changed:
            continue
        sets = tuple((k, where[v] if k in _REFS and v in where else None, v)
                     for k, v in new.items() if old.get(k) != v)
        gone = tuple(k for k in old if k not in new)
        changes.append((i, sets, gone))
    return changes


def _apply(marked: list[Light], changes: list) -> None:
    ids = [el.attrib.get("id") for el in marked]
    for i, sets, _ in changes:
        for k, _ref, v in sets:
            if k == "id":
                ids[i] = v
    for i, sets, gone in changes:
        attrib = marked[i].attrib
        for k, ref, v in sets:
            attrib[k] = ids[ref] if ref is not None else v
        for k in gone:
            del attrib[k]


def finish(page: str) -> str:
    """Annotate a rendered page from its markers, and drop them."""
    if START not in page:
        return page
    doc, marked = light_tree(page)
    body = next((el for el in marked if m.SCREEN in el.attrib), None) or next(
        (el for el in marked if el.tag == "body"), None)
    if body is not None and m.ANNOTATED not in body.attrib:
        shape = _shape(marked)
        changes = _SHAPES.get(shape)
        if changes is None:
            if len(_SHAPES) >= SHAPES_KEPT:
                _SHAPES.clear()
            changes = _SHAPES[shape] = _changes(doc, marked, body)
        else:
            _apply(marked, changes)
    out, last = [], 0
    for el in marked:
        if el.attrib.changed:
            out.append(page[last:el.lt])
            out.append(_start_tag(el))
            last = el.start - 1
    out.append(page[last:])
    return _MARKS.sub("", "".join(out))


def differences(page: str) -> list[str]:
    """How a page's navigation attributes differ from what :func:`annotate`
    renders for it ([] when fully annotated). For tests and debug checks."""
    seen = parse(page)
    wanted = parse(page)
    graph = FocusGraph(screen_root(wanted), wanted)
    graph.render()
    found = []
    for a, b in zip(seen.doc.iter(), wanted.doc.iter(), strict=True):
        if not isinstance(a.tag, str):
            continue
        keys = {k for k in set(a.attrib) | set(b.attrib)
                if k.startswith("data-nav-") or k in ("id", "tabindex")}
        for key in sorted(keys):
            if a.get(key) != b.get(key):
                found.append("<%s id=%r> %s: %r, annotate() renders %r" % (
                    a.tag, a.get("id"), key, a.get(key), b.get(key)))
    return found


# ---------------------------------------------------------------- Jinja
def jinja_parts():
    """``(MarkingLoader, NavTemplate)``: Jinja is imported only when asked for."""
    import jinja2

    class MarkingLoader(jinja2.BaseLoader):
        """Wraps a loader: the templates ``include(name)`` selects are marked when they load."""

        def __init__(self, loader, include):
            self.loader, self.include = loader, include

        def get_source(self, environment, template):
            source, filename, uptodate = self.loader.get_source(environment, template)
            if self.include(template):
                source = mark_source(source, template)
            return source, filename, uptodate

        def list_templates(self):
            return self.loader.list_templates()

    class NavTemplate(jinja2.Template):
        """A template whose top-level render is finished by :func:`finish`."""

        def render(self, *args, **kwargs):
            return finish(super().render(*args, **kwargs))

        def generate(self, *args, **kwargs):  # streamed: annotated as one piece
            yield finish("".join(super().generate(*args, **kwargs)))

    return MarkingLoader, NavTemplate
