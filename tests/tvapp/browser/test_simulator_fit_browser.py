"""Issue 17 item 12: the simulator fits a 1280x720 window: the whole TV frame
and every remote button on screen, and the remote works from there."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_simulator_fits_1280x720_with_its_remote(server, demo, browser, artifacts):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        page.goto(server + "/tv/simulator")
        tv_frame = page.frame(name="tv")
        tv_frame.wait_for_function("() => window.RemoteNav && RemoteNav.current() === 'tile-certificates'")
        assert page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]") \
            <= [1280, 720]
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('.tv-frame, #remote, #remote button'),
            e => { const r = e.getBoundingClientRect();
                   return {k: e.getAttribute('data-key') || e.className || e.id,
                           l: r.left, t: r.top, r: r.right, b: r.bottom}; })""")
        assert len(boxes) > 20
        outside = [b for b in boxes if b["l"] < 0 or b["t"] < 0 or b["r"] > 1280 or b["b"] > 720]
        assert outside == [], outside
        frame, remote = boxes[0], boxes[1]
        assert frame["r"] <= remote["l"]  # side by side, nothing covered
        tv_frame.evaluate("RemoteNav.setClock(function () { return (window.__t = (window.__t || 0) + 1000); })")
        page.click('button[data-key="DOWN"]')
        assert tv_frame.evaluate("RemoteNav.current()") == "tile-requests"
        page.screenshot(path=str(artifacts / "simulator-1280x720.png"))
    finally:
        ctx.close()
