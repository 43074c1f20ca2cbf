"""The browser runtime (``static/remote_nav.js``, its default styles in
``static/remote_nav.css``) and how to serve them.

The device key maps are embedded in the runtime between
``/*KEYMAPS-BEGIN*/`` and ``/*KEYMAPS-END*/``; after editing
``devices/*.json`` run ``python -m remote_nav.assets`` to refresh them (a
test fails while they differ).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

from .keymaps import runtime_keymaps

STATIC_DIR = Path(__file__).resolve().parent / "static"
RUNTIME_PATH = STATIC_DIR / "remote_nav.js"
RUNTIME_NAME = "remote_nav.js"
STYLE_PATH = STATIC_DIR / "remote_nav.css"
STYLE_NAME = "remote_nav.css"
_BLOCK = re.compile(r"(/\*KEYMAPS-BEGIN\*/)(.*?)(/\*KEYMAPS-END\*/)", re.S)


def runtime_source() -> str:
    """The runtime's JavaScript source."""
    return RUNTIME_PATH.read_text(encoding="utf-8")


def keymaps_json() -> str:
    """The device maps as the compact JSON embedded in the runtime."""
    return json.dumps(runtime_keymaps(), separators=(",", ":"), sort_keys=True)


def embedded_keymaps(source: str | None = None) -> list:
    """The device maps currently embedded in the runtime source."""
    match = _BLOCK.search(source if source is not None else runtime_source())
    if not match:
        raise ValueError("runtime has no KEYMAPS block")
    return json.loads(match.group(2))


def build_runtime() -> bool:
    """Embed the current device maps in the runtime; True if the file changed."""
    source = runtime_source()
    updated = _BLOCK.sub(lambda m: m.group(1) + keymaps_json() + m.group(3), source, count=1)
    if updated == source:
        return False
    RUNTIME_PATH.write_text(updated, encoding="utf-8")
    return True


def gzip_size(source: str | None = None) -> int:
    """Bytes of the runtime after gzip -9 (what the box downloads)."""
    data = (source if source is not None else runtime_source()).encode("utf-8")
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def script_tag(url: str = "/static/remote_nav/remote_nav.js") -> str:
    """The ``<script>`` tag to put at the end of ``<body>`` on every screen."""
    return '<script src="%s"></script>' % url


def style_tag(url: str = "/static/remote_nav/remote_nav.css") -> str:
    """The ``<link>`` of the default styles (bump, legend, exit dialog), in
    ``<head>`` before the page's own CSS."""
    return '<link rel="stylesheet" href="%s">' % url


def main() -> int:
    """``python -m remote_nav.assets``: refresh the maps embedded in the runtime."""
    changed = build_runtime()
    sys.stdout.write("%s: %s, %d bytes gzipped\n" % (
        RUNTIME_PATH.name, "updated" if changed else "up to date", gzip_size()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
