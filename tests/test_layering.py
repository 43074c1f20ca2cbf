"""Dependencies point one way (shared/ARCHITECTURE.md): fax_bridge and
remote_nav import nothing of ours; services never imports tvapp;
broadcast_feed imports services only. No module of ours imports another
in a cycle, and none hides an import of ours inside a function (where a cycle
would not show), but for the short allow-list below, each with its reason."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"tvapp", "remote_nav", "services", "broadcast_feed", "fax_bridge", "reference_backend", "tests", "bench"}
ALLOWED = {
    "remote_nav": set(),
    "fax_bridge": set(),
    "services": {"fax_bridge"},
    "broadcast_feed": {"services"},
}


# Alembic's environment must see every table, wherever its model lives: it is
# wiring, like tvapp, not domain code.
EXEMPT = {"services/migrations/env.py"}


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if str(path.relative_to(ROOT)) in EXEMPT:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                top = n.split(".")[0]
                if top in OURS and top != package:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_down(package):
    if not (ROOT / package).exists():
        pytest.fail("%s/ is missing" % package)
    bad = {k: v for k, v in imports_of(package).items() if k not in ALLOWED[package]}
    assert bad == {}


# -- no import cycles, no imports hidden in functions -------------------------------

CODE = ("tvapp", "remote_nav", "services", "broadcast_feed", "fax_bridge", "reference_backend")
# Imports of our own modules inside a function, each with its reason. Anything
# else belongs at the top of its module, where a cycle would show.
LOCAL_IMPORTS_ALLOWED = {
    # The launcher starts one part per process: each imports only what it runs.
    ("tvapp/launcher.py", "tvapp"),
    ("tvapp/launcher.py", "services"),
    ("tvapp/launcher.py", "reference_backend"),
    ("tvapp/launcher.py", "broadcast_feed"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in CODE:
        for path in (ROOT / pkg).rglob("*.py"):
            if str(path.relative_to(ROOT)) in EXEMPT or "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _targets(node, module: str, is_package: bool, modules) -> list[str]:
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[:len(parts) - (node.level - 1)]
            base = ".".join(parts + ([node.module] if node.module else []))
        names = [base + "." + a.name if base + "." + a.name in modules else base for a in node.names]
    else:
        return []
    out = []
    for name in names:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            out.append(name)
    return out


def _graph():
    modules = _modules()
    graph, local = {m: set() for m in modules}, []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        for node in tree.body:
            graph[module].update(_targets(node, module, is_package, modules))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    for target in _targets(node, module, is_package, modules):
                        local.append((str(path.relative_to(ROOT)), target, node.lineno))
    return graph, local


def _cycles(graph) -> list[list[str]]:
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_among_our_modules():
    graph, _ = _graph()
    assert _cycles(graph) == []


def test_no_imports_of_our_modules_hidden_in_functions():
    _, local = _graph()
    hidden = ["%s:%d imports %s" % (path, line, target) for path, target, line in local
              if (path, target.split(".")[0]) not in LOCAL_IMPORTS_ALLOWED]
    assert hidden == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
