"""A test driver: a Playwright page that behaves like a TV with a remote.

- the viewport is exactly 1280x720 (DevTools ``Emulation.setDeviceMetricsOverride``;
  a window size alone gives a shorter viewport);
- keys are pressed by logical name as real key events carrying the device's
  key codes (HbbTV by default: 461 for Back, 403-406 for the colour keys) sent
  through ``Input.dispatchKeyEvent``;
- CPU throttling, a layout-read probe, font-size and safe-area checks, and
  screenshots.

Playwright is imported lazily, so ``remote_nav`` works without it::

    from playwright.sync_api import sync_playwright
    from remote_nav.driver import TvDriver, launch_chromium

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        tv = TvDriver.open(browser)
        tv.install_layout_probe()
        tv.goto("http://127.0.0.1:5000/")
        tv.press("DOWN"); tv.press("OK"); tv.press("BACK")
        assert tv.focused_id() == "tile-taxes"
"""

from __future__ import annotations

import os
from pathlib import Path

from .keymaps import load_device
from .keys import Key, parse_key

CHROMIUM = os.environ.get("REMOTE_NAV_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
WIDTH, HEIGHT = 1280, 720
SAFE_MARGIN = 0.05

#: DOM ``key`` values (UI Events key names) sent with each logical key.
KEY_NAMES = {
    Key.UP: "ArrowUp", Key.DOWN: "ArrowDown", Key.LEFT: "ArrowLeft", Key.RIGHT: "ArrowRight",
    Key.OK: "Enter", Key.BACK: "GoBack", Key.RED: "ColorF0Red", Key.GREEN: "ColorF1Green",
    Key.YELLOW: "ColorF2Yellow", Key.BLUE: "ColorF3Blue", Key.PLAY: "MediaPlay",
    Key.PAUSE: "MediaPause", Key.STOP: "MediaStop", Key.REWIND: "MediaRewind",
    Key.FAST_FORWARD: "MediaFastForward", Key.INFO: "Info",
    **{Key("DIGIT_%d" % n): str(n) for n in range(10)},
}

#: Counts calls to APIs that read layout (installed before any page script).
LAYOUT_PROBE_JS = r"""
(function () {
  if (window.__rnLayoutReads !== undefined) { return; }
  window.__rnLayoutReads = 0;
  function count() { window.__rnLayoutReads++; }
  function wrap(proto, name) {
    var f = proto && proto[name];
    if (typeof f !== 'function') { return; }
    proto[name] = function () { count(); return f.apply(this, arguments); };
  }
  function getter(proto, name) {
    var d = proto && Object.getOwnPropertyDescriptor(proto, name);
    if (!d || !d.get) { return; }
    Object.defineProperty(proto, name, { configurable: true, enumerable: d.enumerable,
      get: function () { count(); return d.get.call(this); } });
  }
  wrap(Element.prototype, 'getBoundingClientRect');
  wrap(Element.prototype, 'getClientRects');
  wrap(Range.prototype, 'getBoundingClientRect');
  wrap(Range.prototype, 'getClientRects');
  wrap(window, 'getComputedStyle');
  ['offsetTop', 'offsetLeft', 'offsetWidth', 'offsetHeight', 'offsetParent',
   'innerText'].forEach(function (n) { getter(HTMLElement.prototype, n); });
  ['clientTop', 'clientLeft', 'clientWidth', 'clientHeight', 'scrollTop', 'scrollLeft',
   'scrollWidth', 'scrollHeight'].forEach(function (n) { getter(Element.prototype, n); });
})();
"""

_FONT_SIZES_JS = r"""
(sel) => {
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.nodeValue).join('').trim();
    if (!text) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || !el.getClientRects().length) continue;
    out.push({id: el.id || null, tag: el.tagName.toLowerCase(), text: text.slice(0, 40),
              px: parseFloat(cs.fontSize)});
  }
  return out;
}
"""

_BOXES_JS = r"""
(sel) => {
  const out = [];
  const seen = new Set();
  function visible(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (e.hasAttribute('data-safe-bleed')) return false;
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return false;
    }
    return true;
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.nodeValue.trim() || !visible(n.parentElement)) continue;
    const tag = n.parentElement.tagName;
    if (tag === 'SCRIPT' || tag === 'STYLE') continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    for (const b of r.getClientRects()) {
      if (b.width && b.height) out.push({what: 'text', id: n.parentElement.id || null,
        text: n.nodeValue.trim().slice(0, 40), left: b.left, top: b.top, right: b.right, bottom: b.bottom});
    }
  }
  for (const el of document.querySelectorAll(sel)) {
    if (seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const b = el.getBoundingClientRect();
    if (b.width && b.height) out.push({what: el.tagName.toLowerCase(), id: el.id || null,
      text: (el.textContent || '').trim().slice(0, 40),
      left: b.left, top: b.top, right: b.right, bottom: b.bottom});
  }
  return out;
}
"""


def launch_chromium(playwright, executable_path: str | None = None, headless: bool = True,
                    extra_args=()):
    """Launch Debian's Chromium (never a downloaded browser) with quiet flags."""
    return playwright.chromium.launch(
        executable_path=executable_path or CHROMIUM,
        headless=headless,
        args=list(LAUNCH_ARGS) + list(extra_args),
    )


def chromium_available(executable_path: str | None = None) -> bool:
    """True if the Chromium binary exists and Playwright is importable."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(executable_path or CHROMIUM).exists()


class TvDriver:
    """Drives one Playwright page like a 1280x720 TV with a remote."""

    def __init__(self, page, device: str = "hbbtv", width: int = WIDTH, height: int = HEIGHT):
        self.page = page
        self.device = load_device(device)
        self.cdp = page.context.new_cdp_session(page)
        self.width, self.height = width, height
        self.clock_step: float | None = None  # set by use_fake_clock
        self._now = 0.0
        self.presses = 0  # keys pressed (not auto-repeats): walk-through tests report it
        self.set_device_metrics(width, height)

    @classmethod
    def open(cls, browser, device: str = "hbbtv", **kwargs) -> "TvDriver":
        """A new context and page on ``browser``, already at 1280x720."""
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        return cls(context.new_page(), device=device, **kwargs)

    def close(self) -> None:
        """Close the page's context."""
        self.page.context.close()

    # ------------------------------------------------------------ set-up
    def set_device_metrics(self, width: int = WIDTH, height: int = HEIGHT, scale: float = 1) -> None:
        """Make the layout viewport exactly ``width`` x ``height`` CSS pixels."""
        self.cdp.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": scale, "mobile": False,
            "screenWidth": width, "screenHeight": height,
        })
        self.width, self.height = width, height

    def set_cpu_throttling(self, rate: float) -> None:
        """Slow the CPU down ``rate`` times (1 = no throttling)."""
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})

    def install_layout_probe(self) -> None:
        """Count layout reads from page scripts (call before :meth:`goto`)."""
        self.page.add_init_script(LAYOUT_PROBE_JS)

    def goto(self, url: str, wait_for_focus: bool = True) -> None:
        """Open a screen and wait until the runtime has started."""
        self.page.goto(url)
        self.wait_ready(wait_for_focus)

    def wait_ready(self, wait_for_focus: bool = True) -> None:
        """Wait until the runtime runs (and has focused something)."""
        cond = "window.RemoteNav && document.readyState !== 'loading'"
        if wait_for_focus:
            cond += " && RemoteNav.current() !== null"
        cond += " && (!RemoteNav.settled || RemoteNav.settled())"
        self.page.wait_for_function("() => " + cond)  # a function, not eval'd: pages carry a CSP

    # ------------------------------------------------------------ keys
    def code_for(self, key: Key | str) -> int:
        """The raw key code this driver sends for a logical key."""
        key = parse_key(key) if isinstance(key, str) else key
        return self.device.code_for(key)

    def press(self, key: Key | str, repeat: bool = False) -> None:
        """Press and release a key by logical name ("DOWN", "RED", "5" ...)."""
        key = parse_key(key) if isinstance(key, str) else key
        self.press_code(self.code_for(key), KEY_NAMES.get(key, "Unidentified"), repeat=repeat)

    def press_code(self, code: int, name: str = "Unidentified", repeat: bool = False) -> None:
        """Send a raw key code as a real key event (down, then up)."""
        if not repeat:
            self.presses += 1
        if self.clock_step and not repeat:
            self.set_clock(self._now + self.clock_step)
        event = {
            "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code,
            "key": name, "code": name if len(name) > 1 else "Digit" + name,
            "autoRepeat": repeat,
        }
        if len(name) == 1:  # digits also type into input fields
            self.cdp.send("Input.dispatchKeyEvent",
                          dict(event, type="keyDown", text=name, unmodifiedText=name))
        else:
            self.cdp.send("Input.dispatchKeyEvent", dict(event, type="rawKeyDown"))
        if not repeat:
            self.cdp.send("Input.dispatchKeyEvent", dict(event, type="keyUp"))

    def hold(self, key: Key | str, repeats: int) -> None:
        """Hold a key: one press plus ``repeats`` auto-repeat key downs."""
        key = parse_key(key) if isinstance(key, str) else key
        for i in range(repeats + 1):
            self.press_code(self.code_for(key), KEY_NAMES.get(key, "Unidentified"), repeat=i > 0)

    # ------------------------------------------------------------ reading
    def focused_id(self) -> str | None:
        """The id of the element that has the focus (None if none)."""
        return self.page.evaluate(
            "() => { const a = document.activeElement;"
            " return a && a !== document.body ? a.id || null : null; }")

    def stats(self) -> dict:
        """The runtime's counters (keys, moves, bumps, dropped)."""
        return self.page.evaluate("() => Object.assign({}, RemoteNav.stats)")

    def layout_reads(self) -> int:
        """Layout reads counted by the probe since the page loaded."""
        return self.page.evaluate("() => window.__rnLayoutReads === undefined ? -1 : window.__rnLayoutReads")

    def use_fake_clock(self, start: float = 0, step: float | None = 1000) -> None:
        """Make the runtime's throttle clock manual, so no test depends on timing.

        Each :meth:`press` then advances the clock by ``step`` ms (None: only
        :meth:`set_clock` moves it). Call again after every page load.
        """
        self._now = start
        self.clock_step = step
        self.page.evaluate("(t) => { window.__rnNow = t; RemoteNav.setClock(() => window.__rnNow); }",
                           start)

    def set_clock(self, ms: float) -> None:
        """Set the fake clock installed by :meth:`use_fake_clock`."""
        self._now = ms
        self.page.evaluate("(t) => { window.__rnNow = t; }", ms)

    # ------------------------------------------------------------ ten-foot checks
    def font_sizes(self, selector: str = "body *") -> list[dict]:
        """Computed font size of every visible element that holds text."""
        return self.page.evaluate(_FONT_SIZES_JS, selector)

    def small_text(self, min_px: float = 30, selector: str = "body *") -> list[dict]:
        """Visible text smaller than ``min_px`` (empty list: all good)."""
        return [f for f in self.font_sizes(selector) if f["px"] < min_px]

    def outside_safe_area(self, margin: float = SAFE_MARGIN,
                          selector: str = "a, button, input, select, textarea, img, "
                                          "[data-nav-focusable], [tabindex]") -> list[dict]:
        """Visible text and controls that cross the safe-area border.

        Backgrounds may bleed; mark other deliberate bleeds ``data-safe-bleed``.
        """
        left, top = self.width * margin, self.height * margin
        right, bottom = self.width - left, self.height - top
        eps = 0.5
        return [b for b in self.page.evaluate(_BOXES_JS, selector)
                if b["left"] < left - eps or b["top"] < top - eps
                or b["right"] > right + eps or b["bottom"] > bottom + eps]

    def viewport(self) -> dict:
        """The page's idea of its viewport size."""
        return self.page.evaluate("() => ({width: innerWidth, height: innerHeight})")

    def screenshot(self, path: str | Path) -> Path:
        """Save a PNG of the 1280x720 screen; returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        return path
