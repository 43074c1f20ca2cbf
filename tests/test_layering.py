"""Dependencies point one way (shared/ARCHITECTURE.md): fax_bridge and
remote_nav import nothing of ours; services never imports tvapp;
broadcast_feed imports services only."""

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
