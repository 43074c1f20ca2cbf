"""``python -m broadcast_feed ingest PATH_OR_URL`` in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feed_testlib import HOSTILE, SAMPLES, send

ROOT = Path(__file__).resolve().parents[2]


def run(*args, store=None, env=None):
    cmd = [sys.executable, "-m", "broadcast_feed", "ingest", *map(str, args)]
    if store is not None:
        cmd += ["--store", str(store)]
    full_env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=120)


def test_rss_sample_new_then_skipped_then_updated(tmp_path):
    store = tmp_path / "items.json"
    first = run(SAMPLES / "mapo_press_rss.xml", store=store)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "마포구청 보도자료 (rss): 12 new, 0 updated, 0 skipped\n"
    again = run(SAMPLES / "mapo_press_rss.xml", store=store)
    assert again.stdout == "마포구청 보도자료 (rss): 0 new, 0 updated, 12 skipped\n"
    edited = tmp_path / "edited.xml"
    text = (SAMPLES / "mapo_press_rss.xml").read_text(encoding="utf-8")
    edited.write_text(
        text.replace("최대 30만 원</title>", "최대 35만 원</title>"), encoding="utf-8"
    )
    third = run(edited, store=store)
    assert third.stdout == "마포구청 보도자료 (rss): 0 new, 1 updated, 11 skipped\n"
    saved = json.loads(store.read_text(encoding="utf-8"))
    assert len(saved["items"]) == 12


def test_atom_and_cap_samples(tmp_path):
    store = tmp_path / "items.json"
    atom = run(SAMPLES / "mapo_community_atom.xml", store=store)
    assert atom.stdout == "마포 마을소식 (atom): 4 new, 0 updated, 0 skipped\n"
    cap = run(SAMPLES / "mapo_cold_wave_cap.xml", "--source", "기상청 특보", store=store)
    assert cap.returncode == 0, cap.stderr
    assert cap.stdout == "기상청 특보 (cap): 1 new, 0 updated, 0 skipped\n"


@pytest.mark.parametrize(
    "name, reason",
    [
        ("billion_laughs.xml", "DOCTYPE/DTD refused"),
        ("xinclude.xml", "XInclude refused"),
        ("invalid_utf8_bytes.xml", "malformed XML"),
    ],
)
def test_refused_document_exits_2_with_one_line(tmp_path, name, reason):
    store = tmp_path / "items.json"
    got = run(HOSTILE / name, store=store)
    assert got.returncode == 2
    assert got.stdout == ""
    assert got.stderr.startswith("refused: ") and reason in got.stderr
    assert got.stderr.count("\n") == 1
    assert not store.exists()  # nothing stored for a refused document


def test_not_a_feed_and_bad_scheme_exit_2(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>hello</body></html>")
    got = run(page, "--memory")
    assert got.returncode == 2 and "unknown root element <html>" in got.stderr
    got = run("file:///etc/passwd", "--memory")
    assert got.returncode == 2 and "scheme 'file' not allowed" in got.stderr


def test_missing_file_exits_1(tmp_path):
    got = run(tmp_path / "nope.xml", "--memory")
    assert got.returncode == 1
    assert got.stderr.startswith("failed: ") and "no such file" in got.stderr


def test_url_with_etag_not_modified(http_server, tmp_path):
    body = (SAMPLES / "mapo_press_rss.xml").read_bytes()

    def feed(h):
        if h.headers.get("If-None-Match") == '"abc"':
            send(h, b"", status=304, headers={"ETag": '"abc"'})
        else:
            send(h, body, headers={"ETag": '"abc"', "Content-Type": "application/rss+xml"})

    http_server.routes["/press.xml"] = feed
    store = tmp_path / "items.json"
    url = http_server.url("/press.xml")
    first = run(url, store=store)
    assert first.returncode == 0, first.stderr
    assert first.stdout.endswith("12 new, 0 updated, 0 skipped\n")
    second = run(url, store=store)
    assert second.returncode == 0
    assert second.stdout == "%s (-) not modified: 0 new, 0 updated, 0 skipped\n" % url
    assert http_server.requests[1][1]["If-None-Match"] == '"abc"'


def test_url_too_big_exits_2(http_server):
    http_server.routes["/big.xml"] = lambda h: send(h, b"<rss>" + b"a" * 5000 + b"</rss>")
    got = run(http_server.url("/big.xml"), "--memory", "--max-bytes", "1000")
    assert got.returncode == 2 and "body over 1000 bytes" in got.stderr


def test_http_error_exits_1(http_server):
    got = run(http_server.url("/missing.xml"), "--memory")
    assert got.returncode == 1 and "HTTP 404" in got.stderr


def test_usage_without_target():
    got = subprocess.run(
        [sys.executable, "-m", "broadcast_feed"], cwd=ROOT, capture_output=True, text=True
    )
    assert got.returncode == 2 and "usage" in got.stderr
