"""Benchmark remote_nav: runtime size, annotate() time, key-press latency at 6x CPU throttle.

Run with ``python -m bench.bench_remote_nav`` (or ``make bench``). Prints
figures; never fails because a tool (Chromium, Playwright) is missing.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from remote_nav import annotate
from remote_nav.assets import RUNTIME_PATH, STYLE_PATH, gzip_size, runtime_source

THROTTLE = 6
PRESSES = 120
TARGETS = "targets: focus change <= 16 ms median, <= 50 ms p99 at 6x throttle; JS < 10 KB gzipped"

CSS = """html{font:30px/1.3 sans-serif;background:#101820;color:#f4f4f4}
body{margin:0;width:1280px;height:720px;overflow:hidden;box-sizing:border-box;padding:36px 64px}
a,button{color:#f4f4f4;font:inherit;background:#26364a;border:4px solid transparent;
border-radius:8px;padding:4px 16px;display:inline-block;text-decoration:none}
a:focus,button:focus{outline:none;border-color:#ffd400;background:#3a5170}
.grid a{width:240px;height:90px;margin:0 12px 12px 0}
.list{height:560px;overflow:hidden}.list a{display:block;width:800px;margin-bottom:4px}"""


def _page(title: str, body_attrs: str, body: str) -> str:
    return ('<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>%s</title>'
            '<style>%s</style></head><body %s>%s</body></html>') % (title, CSS, body_attrs, body)


def screens() -> dict[str, str]:
    """Synthetic screens with the most focusables a screen may have (20)."""
    tiles = "".join('<a href="#t%d" id="t%d">%d 항목</a>' % (i, i, i) for i in range(1, 17))
    home = _page("home", 'data-nav-home data-nav-colors="BLUE" data-nav-label-blue="도움말"',
                 '<h1>홈</h1><div class="grid" data-nav-container data-nav-layout="grid" '
                 'data-nav-columns="4" data-nav-menu>%s</div><div data-nav-container '
                 'data-nav-layout="row"><button>한국어</button><button>English</button>'
                 '<button>글자 크기</button><button>도움말</button></div>' % tiles)
    items = "".join('<a href="#i%d" id="i%d">민원 %d: 주민등록표 등본</a>' % (i, i, i)
                    for i in range(1, 19))
    lst = _page("list", 'data-nav-parent="/" data-nav-colors="RED GREEN"',
                '<div class="list" data-nav-container data-nav-menu="focus">%s</div>'
                '<div data-nav-container data-nav-layout="row"><a href="#p" data-nav-key="RED">'
                '이전</a><a href="#n" data-nav-key="GREEN">다음</a></div>' % items)
    rows = "".join('<div data-nav-container data-nav-layout="row">%s</div>' % "".join(
        '<a href="#r%dc%d">%d-%d</a>' % (r, c, r, c) for c in range(4)) for r in range(3))
    nested = _page("nested", 'data-nav-parent="/" data-nav-layout="row"',
                   '<div data-nav-container><a href="#a">소식</a><a href="#b">알림</a>'
                   '<a href="#c">행사</a></div><div data-nav-container>%s</div>' % rows)
    fragment = '<div data-nav-container data-nav-layout="row">%s</div>' % "".join(
        '<button>%d</button>' % i for i in range(6))
    return {"home": home, "list": lst, "nested": nested, "fragment": fragment}


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def bench_runtime_size() -> None:
    raw = len(runtime_source().encode("utf-8"))
    print("runtime %s: %d bytes, %d bytes gzipped (limit 10240)" % (
        RUNTIME_PATH.name, raw, gzip_size()))


def bench_annotate() -> dict[str, str]:
    annotated = {}
    for name, html in screens().items():
        annotate(html)  # warm up
        runs, times = 200, []
        for _ in range(runs):
            t0 = time.perf_counter()
            out = annotate(html)
            times.append(time.perf_counter() - t0)
        annotated[name] = out
        print("annotate(%s): median %.0f us, p99 %.0f us, %d -> %d bytes" % (
            name, statistics.median(times) * 1e6, pct(times, 99) * 1e6, len(html), len(out)))
    return annotated


LATENCY_JS = r"""
window.__lat = { handler: [], frame: [], pending: 0 };
window.addEventListener('keydown', function (e) { window.__t0 = e.timeStamp; }, true);
document.addEventListener('DOMContentLoaded', function () {
  RemoteNav.on('FOCUS', function () {
    var t0 = window.__t0, t1 = performance.now();
    if (t0 === undefined) { return; }
    window.__t0 = undefined;
    window.__lat.handler.push(t1 - t0);
    window.__lat.pending++;
    requestAnimationFrame(function () { setTimeout(function () {
      window.__lat.frame.push(performance.now() - t0); window.__lat.pending--; }, 0); });
  });
});
"""


def _serve(root: Path):
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def bench_browser(annotated: dict[str, str]) -> None:
    from remote_nav.driver import TvDriver, chromium_available, launch_chromium

    if not chromium_available():
        print("browser figures skipped: Chromium or Playwright not installed")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / RUNTIME_PATH.name).write_bytes(RUNTIME_PATH.read_bytes())
        (root / STYLE_PATH.name).write_bytes(STYLE_PATH.read_bytes())
        tag = '<script src="%s"></script>' % RUNTIME_PATH.name
        for name in ("home", "list", "nested"):
            (root / ("%s.html" % name)).write_text(
                annotated[name].replace("<head>", '<head><link rel="stylesheet" href="%s">' % STYLE_PATH.name, 1)
                .replace("</body>", tag + "</body>"), encoding="utf-8")
        server = _serve(root)
        base = "http://127.0.0.1:%d/" % server.server_address[1]
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                try:
                    for name, pattern in (("home", ["RIGHT"] * 3 + ["DOWN"] + ["LEFT"] * 3 + ["UP"]),
                                          ("list", ["DOWN"] * 19 + ["UP"] * 19),
                                          ("nested", ["RIGHT"] * 4 + ["DOWN", "DOWN", "UP", "UP"]
                                           + ["LEFT"] * 4)):
                        _measure(browser, TvDriver, base + name + ".html", name, pattern)
                finally:
                    browser.close()
        finally:
            server.shutdown()
            server.server_close()


def _measure(browser, TvDriver, url: str, name: str, pattern: list[str]) -> None:
    tv = TvDriver.open(browser)
    try:
        tv.install_layout_probe()
        tv.page.add_init_script(LATENCY_JS)
        t0 = time.perf_counter()
        tv.set_cpu_throttling(THROTTLE)
        tv.goto(url)
        first = time.perf_counter() - t0
        tv.use_fake_clock()  # keeps the 120 ms held-key throttle from dropping presses
        reads0, stats0 = tv.layout_reads(), tv.stats()
        for i in range(PRESSES):
            tv.press(pattern[i % len(pattern)])
            tv.page.wait_for_function("window.__lat.pending === 0")
        lat = tv.page.evaluate("window.__lat")
        stats = tv.stats()
        moves = stats["moves"] - stats0["moves"]
        reads = tv.layout_reads() - reads0
        h, f = lat["handler"], lat["frame"]
        print("%s at %dx CPU throttle, %d presses (%d moves, %d bumps):" % (
            name, THROTTLE, PRESSES, moves, stats["bumps"] - stats0["bumps"]))
        if h:
            print("  key event -> focus moved:     median %.1f ms, p99 %.1f ms" % (
                statistics.median(h), pct(h, 99)))
            print("  key event -> next frame done: median %.1f ms, p99 %.1f ms" % (
                statistics.median(f), pct(f, 99)))
        print("  layout reads per key press: %.2f (%d in all)" % (reads / PRESSES, reads))
        print("  first screen (load + runtime start, 6x throttle, local server): %.0f ms" % (
            first * 1000))
    finally:
        tv.close()


def main() -> int:
    print(TARGETS)
    bench_runtime_size()
    annotated = bench_annotate()
    try:
        bench_browser(annotated)
    except Exception as exc:  # a bench reports, it never fails the run
        print("browser figures skipped: %s: %s" % (type(exc).__name__, exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
