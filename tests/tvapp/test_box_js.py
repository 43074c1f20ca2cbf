"""The JavaScript every TV screen loads: at most 10 KB gzipped together, and
ES5 that parses (checked as remote_nav's runtime is)."""

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from remote_nav.assets import RUNTIME_PATH
from tests.remote_nav.test_remote_nav_runtime import es5_violations

STATIC = Path(__file__).resolve().parents[2] / "tvapp" / "static"
BOX_JS = [RUNTIME_PATH, STATIC / "tv" / "tv.js", STATIC / "news" / "ticker.js"]


def test_the_box_javascript_is_at_most_10_kb_gzipped():
    total = sum(len(gzip.compress(p.read_bytes(), compresslevel=9, mtime=0)) for p in BOX_JS)
    assert total <= 10 * 1024 - 3 * 32, total  # room for gzip's header with the file name


@pytest.mark.parametrize("path", BOX_JS[1:], ids=lambda p: p.name)
def test_tv_scripts_are_es5(path):
    assert es5_violations(path.read_text(encoding="utf-8")) == []
    assert shutil.which("node"), "node is missing: `make test` installs Debian's nodejs when run as root"
    subprocess.run(["node", "--check", str(path)], check=True)


def test_the_ticker_reads_no_layout_while_it_moves():
    source = (STATIC / "news" / "ticker.js").read_text(encoding="utf-8")
    assert "setInterval" not in source and "animation" in source
