"""The focus model: where every arrow key goes on a screen, from markup alone.

No layout is measured: targets follow the declared containers, their layout
(column, row or grid) and the document order. A move that falls off a
container's edge leaves it and moves the container within its parent, unless
the container blocks that exit; off the screen's edge the move is blocked.
Blocked moves are not dead ends: the runtime shows a "bump".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from . import markup as m
from .htmlio import Parsed, parse, screen_root, serialize
from .keys import ARROWS, COLOURS, Key, parse_key


class Problem(NamedTuple):
    """Something wrong with a screen's navigation."""

    code: str
    message: str
    element: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = " (#%s)" % self.element if self.element else ""
        return "%s: %s%s" % (self.code, self.message, where)


@dataclass(eq=False)
class Node:
    """A navigable item: a focusable element or a container."""

    element: object
    id: str = ""
    parent: "Container | None" = None
    row: int = 0
    col: int = 0

    @property
    def is_container(self) -> bool:
        return False


@dataclass(eq=False)
class Focusable(Node):
    """An element the remote can focus."""

    blocked: frozenset = frozenset()
    overrides: dict = field(default_factory=dict)


@dataclass(eq=False)
class Container(Node):
    """A group of items laid out as a column, a row or a grid."""

    items: list = field(default_factory=list)
    layout: str = "column"
    columns: int = 0
    blocked: frozenset = frozenset()
    wrap: frozenset = frozenset()
    menu: str | None = None
    modal: bool = False
    root: bool = False

    @property
    def is_container(self) -> bool:
        return True

    def place(self) -> None:
        """Give each item its row and column in this container."""
        for i, item in enumerate(self.items):
            if self.layout == "row":
                item.row, item.col = 0, i
            elif self.layout == "grid" and self.columns > 0:
                el = item.element
                row, col = el.get(m.ROW), el.get(m.COL)
                if row is not None and col is not None and row.isdigit() and col.isdigit():
                    item.row, item.col = int(row), int(col)
                else:
                    item.row, item.col = divmod(i, self.columns)
            else:
                item.row, item.col = i, 0

    def step(self, item: Node, key: Key) -> Node | None:
        """The neighbour of ``item`` in direction ``key`` inside this container."""
        found = _nearest(self.items, item, key, wrap=False)
        if found is None and key in self.wrap:
            found = _nearest(self.items, item, key, wrap=True)
        return None if found is item else found


def _nearest(items, item, key, wrap):
    r, c = item.row, item.col
    if key in (Key.UP, Key.DOWN):
        if wrap:
            others = [i for i in items if i is not item]
            rows = {i.row for i in others}
            if not rows:
                return None
            row = max(rows) if key is Key.UP else min(rows)
        else:
            rows = {i.row for i in items if (i.row < r if key is Key.UP else i.row > r)}
            if not rows:
                return None
            row = max(rows) if key is Key.UP else min(rows)
        line = [i for i in items if i.row == row]
        return min(line, key=lambda i: (abs(i.col - c), i.col))
    line = [i for i in items if i.row == r and i is not item]
    if key is Key.LEFT:
        cands = line if wrap else [i for i in line if i.col < c]
        return max(cands, key=lambda i: i.col) if cands else None
    cands = line if wrap else [i for i in line if i.col > c]
    return min(cands, key=lambda i: i.col) if cands else None


class FocusGraph:
    """Focus targets of one screen (a full document or a fragment)."""

    def __init__(self, root, parsed: Parsed | None = None):
        self.root = root  # the screen element (body, [data-nav-screen] or wrapper)
        self.parsed = parsed if parsed is not None else Parsed(root, True)
        self.doc = self.parsed.doc
        self.focusables: dict[str, Focusable] = {}
        self.containers: dict[str, Container] = {}
        self.scopes: list[Container] = []  # the screen, then each modal
        self._problems: list[Problem] = []
        self._ids: set[str] = set()
        self._counter = 0
        self._build()

    # ------------------------------------------------------------ building
    @classmethod
    def from_html(cls, text: str) -> "FocusGraph":
        """Parse a full HTML document or a fragment and build its graph."""
        parsed = parse(text)
        return cls(screen_root(parsed), parsed)

    def _new_id(self, prefix: str) -> str:
        while True:
            self._counter += 1
            candidate = "%s%d" % (prefix, self._counter)
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def _build(self) -> None:
        seen: dict[str, int] = {}
        for el in self.doc.iter():
            if isinstance(el.tag, str) and el.get("id"):
                seen[el.get("id")] = seen.get(el.get("id"), 0) + 1
        self._ids = set(seen)
        for ident, count in seen.items():
            if count > 1:
                self._problem("duplicate-id", "id used %d times" % count, ident)
        screen = self._container(self.root, None, root=True)
        self.scopes.append(screen)
        self._walk(self.root, screen)
        for scope in self.scopes:
            self._prune(scope)
        self.edges = {fid: self._edges(f) for fid, f in self.focusables.items()}
        self.initial = self._initial()
        self.colour_keys = self._colour_keys()

    def _container(self, el, parent, root=False) -> Container:
        layout = (el.get(m.LAYOUT) or "column").strip().lower()
        columns = el.get(m.COLUMNS, "").strip()
        c = Container(
            element=el,
            id=el.get("id") or "",
            parent=parent,
            layout=layout,
            columns=int(columns) if columns.isdigit() else 0,
            blocked=m.directions(el.get(m.BLOCK)),
            wrap=m.wrap_axes(el.get(m.WRAP)),
            menu=el.get(m.MENU),
            modal=m.MODAL in el.attrib and not root,
            root=root,
        )
        if layout not in ("column", "row", "grid"):
            self._problem("bad-layout", "unknown layout %r (column, row or grid)" % layout, c.id)
        if layout == "grid" and not c.columns:
            self._problem("grid-columns", "a grid needs data-nav-columns", c.id)
            c.layout = "row"
        return c

    def _walk(self, el, container: Container) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if m.CONTAINER in child.attrib or m.MODAL in child.attrib:
                modal = m.MODAL in child.attrib
                sub = self._container(child, None if modal else container)
                if modal:
                    self.scopes.append(sub)
                else:
                    container.items.append(sub)
                self._walk(child, sub)
            elif m.is_focusable(child):
                f = Focusable(element=child, id=child.get("id") or "", parent=container,
                              blocked=m.directions(child.get(m.BLOCK)))
                for key, attr in m.TARGET.items():
                    if child.get(attr) is not None:
                        f.overrides[key] = child.get(attr).strip()
                container.items.append(f)
            else:
                self._walk(child, container)

    def _prune(self, c: Container) -> bool:
        """Drop empty sub-containers; name and place what is left."""
        kept = []
        for item in c.items:
            if item.is_container:
                if self._prune(item):
                    kept.append(item)
            else:
                kept.append(item)
                if not item.id:
                    item.id = self._new_id("rn-")
                self.focusables[item.id] = item
        c.items = kept
        if not kept:
            return False
        if not c.id:
            c.id = self._new_id("rn-c")
        self.containers[c.id] = c
        c.place()
        return True

    # ------------------------------------------------------------ targets
    def _edges(self, f: Focusable) -> dict:
        return {key: self._move(f, key) for key in ARROWS}

    def _move(self, f: Focusable, key: Key) -> str | None:
        """The rendered target id for ``key`` from ``f`` (None: blocked, bump)."""
        if key in f.blocked:
            return None
        if key in f.overrides:
            return f.overrides[key] or None
        item: Node = f
        while True:
            c = item.parent
            if c is None:
                return None
            nxt = c.step(item, key)
            if nxt is not None:
                return nxt.id
            if key in c.blocked or c.modal or c.root:
                return None
            item = c

    def entry(self, c: Container) -> Focusable:
        """The focusable entered when arriving in ``c`` (no memory applied)."""
        item = self._default_item(c)
        return self.entry(item) if item.is_container else item

    def _default_item(self, c: Container) -> Node:
        for item in c.items:
            if m.DEFAULT in item.element.attrib or "autofocus" in item.element.attrib:
                return item
            if item.is_container and any(
                m.DEFAULT in f.element.attrib for f in self._leaves(item)
            ):
                return item
        return c.items[0]

    def _leaves(self, c: Container):
        for item in c.items:
            if item.is_container:
                yield from self._leaves(item)
            else:
                yield item

    def _initial(self) -> str | None:
        screen = self.scopes[0]
        wanted = self.root.get(m.INITIAL)
        if wanted and wanted in self.focusables:
            return wanted
        if not screen.items:
            return None
        for f in self._leaves(screen):
            if "autofocus" in f.element.attrib:
                return f.id
        return self.entry(screen).id

    def resolve(self, ident: str | None) -> str | None:
        """Turn a rendered target (a focusable's or a container's id) into a focusable id."""
        if ident is None:
            return None
        if ident in self.focusables:
            return ident
        if ident in self.containers:
            return self.entry(self.containers[ident]).id
        return None

    def target(self, ident: str, key: Key | str) -> str | None:
        """Where ``key`` moves focus from focusable ``ident`` (None: blocked)."""
        return self.resolve(self.edges[ident][Key(key)])

    def press(self, *keys, start: str | None = None) -> str | None:
        """Simulate arrow presses from ``start`` (default: the initial focus)."""
        current = start or self.initial
        for key in keys:
            nxt = self.target(current, parse_key(key) if isinstance(key, str) else key)
            current = nxt or current
        return current

    def reachable(self, start: str | None = None) -> set[str]:
        """Focusables reachable with arrow keys from ``start`` (default: initial)."""
        start = start or self.initial
        if start is None:
            return set()
        seen, todo = {start}, [start]
        while todo:
            current = todo.pop()
            for key in ARROWS:
                nxt = self.target(current, key)
                if nxt and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    # ------------------------------------------------------------ screen facts
    @property
    def parent(self) -> str | None:
        """Where Back goes: a URL, ``"history"``, or None (home or undeclared)."""
        value = self.root.get(m.PARENT)
        return value.strip() if value and value.strip() else None

    @property
    def is_home(self) -> bool:
        """True if Back on this screen asks to exit the application."""
        return m.HOME in self.root.attrib

    def _colour_keys(self) -> dict[Key, str]:
        """Colour keys this screen uses, with their legend labels ('' if none)."""
        keys: dict[Key, str] = {}
        for word in m.words(self.root.get(m.COLOURS)):
            try:
                key = parse_key(word)
            except ValueError:
                self._problem("bad-colour", "unknown colour key %r" % word)
                continue
            if key not in COLOURS:
                self._problem("bad-colour", "%s is not a colour key" % word)
                continue
            keys[key] = ""
        for el in self.root.iter():
            if isinstance(el.tag, str) and el.get(m.KEY):
                try:
                    key = parse_key(el.get(m.KEY))
                except ValueError:
                    continue
                label = el.get(m.LABEL) or " ".join(el.text_content().split())
                if key in COLOURS and not keys.get(key):
                    keys[key] = label
        for key in list(keys):
            label = self.root.get(m.LABEL_PREFIX + key.value.lower())
            if label:
                keys[key] = label
        return {k: keys[k] for k in COLOURS if k in keys}

    @property
    def numbers(self) -> dict[str, dict[int, str]]:
        """For each menu container id: digit -> focusable id (1..9, then 0)."""
        result = {}
        for cid, c in self.containers.items():
            if c.menu is None:
                continue
            leaves = [f.id for f in self._leaves(c)]
            result[cid] = {(i + 1) % 10: fid for i, fid in enumerate(leaves[:10])}
        return result

    # ------------------------------------------------------------ checks
    def _problem(self, code, message, element=None, severity="error"):
        self._problems.append(Problem(code, message, element, severity))

    @property
    def problems(self) -> list[Problem]:
        """Everything wrong with the screen's navigation (errors and warnings)."""
        found = list(self._problems)
        if not self.focusables:
            found.append(Problem("no-focusable", "the screen has nothing to focus",
                                 severity="warning"))
        for fid, edges in self.edges.items():
            for key, target in edges.items():
                if target is not None and self.resolve(target) is None:
                    found.append(Problem(
                        "leads-nowhere", "%s goes to unknown or empty #%s" % (key.value, target),
                        fid))
        for i, scope in enumerate(self.scopes):
            if not scope.items:
                continue
            start = self.initial if i == 0 else self.entry(scope).id
            reach = self.reachable(start)
            for f in self._leaves(scope):
                if f.id not in reach:
                    where = "the default focus" if i == 0 else "dialog #%s's entry" % scope.id
                    found.append(Problem("unreachable", "not reachable from %s" % where, f.id))
        if self.parent is None and not self.is_home:
            found.append(Problem(
                "no-back", "declare data-nav-parent (a URL or 'history') or data-nav-home"))
        for key, label in self.colour_keys.items():
            if not label:
                found.append(Problem(
                    "colour-label", "%s is used but has no legend label" % key.value))
        for cid, c in self.containers.items():
            if c.menu is not None and len(list(self._leaves(c))) > 10:
                found.append(Problem("menu-too-long", "number keys reach the first 10 items only",
                                     cid, "warning"))
        return found

    @property
    def errors(self) -> list[Problem]:
        """Problems of severity "error" only."""
        return [p for p in self.problems if p.severity == "error"]

    # ------------------------------------------------------------ rendering
    def render(self) -> None:
        """Write ids, targets, entries and numbers into the tree."""
        for fid, f in self.focusables.items():
            el = f.element
            el.set("id", fid)
            if m.needs_tabindex(el):
                el.set("tabindex", "-1")
            for key, attr in m.TARGET.items():
                target = self.edges[fid][key]
                if target:
                    el.set(attr, target)
                elif f.overrides.get(key) == "":
                    el.set(attr, "")  # an author's explicit block stays explicit
                elif attr in el.attrib:
                    del el.attrib[attr]
        for cid, c in self.containers.items():
            c.element.set("id", cid)
            c.element.set(m.ENTRY, self.entry(c).id)
        for digits in self.numbers.values():
            for digit, fid in digits.items():
                self.focusables[fid].element.set(m.NUMBER, str(digit))
        root = self.root
        root.set(m.ANNOTATED, "1")
        if self.initial:
            root.set(m.INITIAL, self.initial)
        colours = self.colour_keys
        if colours:
            root.set(m.COLOURS, " ".join(k.value for k in colours))
            for key, label in colours.items():
                if label:
                    root.set(m.LABEL_PREFIX + key.value.lower(), label)

    def to_html(self) -> str:
        """Render and serialize the document or fragment."""
        self.render()
        return serialize(self.parsed)


def annotate(text: str) -> str:
    """Return ``text`` (a full HTML document or a fragment) with targets rendered.

    Idempotent: annotating annotated HTML changes nothing.
    """
    return FocusGraph.from_html(text).to_html()


def check(text: str) -> list[Problem]:
    """The problems of one screen's HTML (shortcut for tests)."""
    return FocusGraph.from_html(text).problems


__all__ = ["FocusGraph", "Problem", "annotate", "check"]
