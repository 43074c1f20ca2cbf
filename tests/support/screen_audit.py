"""The TV screen audit's checks (issue 17): one call per screen and state
measures the page in real Chromium and returns its findings.

Checks, each a list of findings (empty: all good):

- ``focus``: something is focused (the runtime's current element);
- ``reach``: every visible focusable is reachable with the arrows from the
  focused one, following the targets remote_nav rendered (a container target
  enters at its entry);
- ``back``: Back leads to the screen's parent (checked by the test, which
  presses it);
- ``overlap``: no line of text overlaps another;
- ``clipped``: no text cut by an ``overflow: hidden`` box, a scroll box the
  remote cannot scroll (nothing focusable in it) or the screen's edge;
- ``safe``: text and controls inside the 5% safe area (64 x 36 px);
- ``covered``: no focusable hidden under another element (``elementFromPoint``
  at its centre);
- ``small``: the smallest text at least ``MIN_PX[size]``;
- ``axe``: axe-core's WCAG 2.x A/AA rules plus ``color-contrast-enhanced`` (7:1);
- ``hangul``: in English, no Hangul but in text whose nearest ``lang`` is
  Korean (``lang="ko"``: a name, an address, a car's plate, the district's
  own news and ticker headlines) and the known demo names; anything else
  Korean is a finding.

axe-core comes from npm (``package.json``; ``scripts/system-deps.sh test``
runs ``npm ci``). The page's CSP allows scripts by hash only, so a script tag
would be refused: the engine is evaluated through the DevTools protocol
(``Runtime.evaluate``), which the CSP does not govern, and only when a screen
is audited.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
OUT = REPO / "test-artifacts" / "audit"

SIZES = ("normal", "large", "xlarge")
SIZE_NAMES = {"normal": "보통", "large": "크게", "xlarge": "아주 크게"}
#: The smallest text allowed at each size: 30 px at 보통, growing with the setting.
MIN_PX = {"normal": 30, "large": 34, "xlarge": 38}
SAFE_X, SAFE_Y = 64, 36
CHECKS = ("focus", "reach", "back", "overlap", "clipped", "safe", "covered", "small", "axe", "hangul")

#: Names and addresses of the demo world, which stay Korean in English, and
#: "한국어" (a language is offered in its own name).
KEEP_HANGUL = ("한국어", "김영수", "김민준", "이순자", "김하늘", "마포구", "서울특별시", "월드컵로", "망원동", "성산동",
               "합정동", "서교동", "상암동", "연남동")

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "rules": {"color-contrast-enhanced": {"enabled": True}},
    "resultTypes": ["violations"],
}

_MEASURE_JS = r"""
({safeX, safeY, minPx, keep, english}) => {
  const W = innerWidth, H = innerHeight;
  const out = {focus: [], reach: [], overlap: [], clipped: [], safe: [], covered: [], small: [], hangul: []};
  const short = (t) => (t || '').replace(/\s+/g, ' ').trim().slice(0, 50);
  const label = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
      ? '.' + String(el.className).trim().split(/\s+/).join('.') : '');
  function shown(el) {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return false;
      if (e.hasAttribute('hidden')) return false;
    }
    return el.getClientRects().length > 0;
  }
  function inModal(el) { return !!el.closest('[data-nav-modal]'); }
  function shownPart(b, el) {
    let r = {left: b.left, top: b.top, right: b.right, bottom: b.bottom};
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const c = a.getBoundingClientRect();
      if (s.overflowX !== 'visible') { r.left = Math.max(r.left, c.left); r.right = Math.min(r.right, c.right); }
      if (s.overflowY !== 'visible') { r.top = Math.max(r.top, c.top); r.bottom = Math.min(r.bottom, c.bottom); }
    }
    r.left = Math.max(r.left, 0); r.top = Math.max(r.top, 0);
    r.right = Math.min(r.right, W); r.bottom = Math.min(r.bottom, H);
    r.width = r.right - r.left; r.height = r.bottom - r.top;
    return r.width > 1 && r.height > 1 ? r : null;
  }
  // -- focus
  const cur = window.RemoteNav && RemoteNav.current();
  const act = document.activeElement;
  if (!cur || !act || act === document.body) out.focus.push({what: 'nothing is focused'});
  const openModal = cur ? document.getElementById(cur) && document.getElementById(cur).closest('[data-nav-modal]') : null;
  // -- focusables
  const SEL = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex], [data-nav-focusable]';
  const focusables = Array.from(document.querySelectorAll(SEL)).filter(el =>
    !el.disabled && !el.hasAttribute('data-nav-skip') && !(el.getAttribute('tabindex') || '').startsWith('-')
    && shown(el) && (openModal ? openModal.contains(el) : !inModal(el)));
  // -- reach: follow the rendered targets from the focused element
  function resolve(el, depth) {
    if (!el || depth > 20) return null;
    if (el.hasAttribute('data-nav-container') || el.hasAttribute('data-nav-modal'))
      return resolve(document.getElementById(el.getAttribute('data-nav-entry')), depth + 1);
    return el;
  }
  if (cur) {
    const seen = new Set([cur]), todo = [cur];
    while (todo.length) {
      const el = document.getElementById(todo.pop());
      if (!el) continue;
      for (const d of ['up', 'down', 'left', 'right']) {
        const to = resolve(document.getElementById(el.getAttribute('data-nav-' + d)), 0);
        if (to && to.id && !seen.has(to.id)) { seen.add(to.id); todo.push(to.id); }
        // a container target remembers where it was left: any item reached inside it counts
      }
    }
    for (const el of focusables) {
      if (!el.id || !seen.has(el.id)) out.reach.push({id: el.id || null, el: label(el), text: short(el.textContent)});
    }
  }
  // -- covered: the element at a focusable's centre is it (or inside it)
  for (const el of focusables) {
    const b = el.getBoundingClientRect();
    const x = b.left + b.width / 2, y = b.top + b.height / 2;
    if (x < 0 || y < 0 || x > W || y > H) {
      out.covered.push({id: el.id || null, el: label(el), text: short(el.textContent), why: 'off screen'});
      continue;
    }
    const top = document.elementFromPoint(x, y);
    if (top && top !== el && !el.contains(top) && !(top.closest('label') && top.closest('label').contains(el)))
      out.covered.push({id: el.id || null, el: label(el), text: short(el.textContent), by: label(top)});
  }
  // -- text: rectangles of every visible text node
  const lines = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!n.nodeValue.trim() || !p || p.closest('script, style, noscript, [data-safe-bleed]') || !shown(p)) continue;
    if (openModal ? !openModal.contains(p) : inModal(p)) continue;
    const r = document.createRange();
    r.selectNodeContents(n);
    const rects = Array.from(r.getClientRects()).filter(b => b.width > 1 && b.height > 1);
    const cs = getComputedStyle(p);
    const px = parseFloat(cs.fontSize);
    const text = short(n.nodeValue);
    if (px < minPx) out.small.push({el: label(p), text, px: Math.round(px * 10) / 10});
    for (const whole of rects) {
      // overlap and the safe area concern what shows: the part a clipping box hides is a cut (below)
      const b = shownPart(whole, p);
      if (!b) continue;
      lines.push({node: n, el: p, text, b});
      if (b.left < safeX - 0.5 || b.top < safeY - 0.5 || b.right > W - safeX + 0.5 || b.bottom > H - safeY + 0.5)
        out.safe.push({el: label(p), text, box: [b.left, b.top, b.right, b.bottom].map(Math.round)});
    }
    // cut by a box that hides its overflow (or one the remote cannot scroll), or by the screen
    let cut = null;
    // the ticker's line crawls past its frame on purpose (ticker.js moves it)
    for (const b of (p.closest('#tv-ticker') ? [] : rects)) {
      if (b.right > W + 0.5 || b.bottom > H + 0.5 || b.left < -0.5 || b.top < -0.5) { cut = 'screen edge'; break; }
      for (let a = p; a && a !== document.documentElement; a = a.parentElement) {
        const s = getComputedStyle(a);
        const clipX = s.overflowX !== 'visible', clipY = s.overflowY !== 'visible';
        if (!clipX && !clipY) continue;
        const scrolls = /auto|scroll/.test(s.overflowX + s.overflowY);
        if (scrolls && a.querySelector(SEL)) continue;  // the remote scrolls it by moving the focus
        const c = a.getBoundingClientRect();
        if ((clipX && (b.left < c.left - 1 || b.right > c.right + 1)) ||
            (clipY && (b.top < c.top - 1 || b.bottom > c.bottom + 1))) { cut = 'cut by ' + label(a); break; }
      }
      if (cut) break;
    }
    if (!cut && cs.textOverflow === 'ellipsis' && p.scrollWidth > p.clientWidth + 1) cut = 'ellipsis';
    if (!cut && /hidden|clip/.test(cs.overflowX + cs.overflowY) && cs.display !== 'inline'
        && (p.scrollWidth > p.clientWidth + 1 || p.scrollHeight > p.clientHeight + 1)) cut = 'overflows its box';
    if (cut) out.clipped.push({el: label(p), text, why: cut});
    // English: nothing Korean left but names and addresses. Korean marked as Korean (the nearest
    // lang="ko": a name, an address, the district's own news and ticker) is right on an English page;
    // an element inside it that says it is English again is not.
    const marked = p.closest('[lang]');
    const korean = marked && /^ko\b/i.test(marked.getAttribute('lang'));
    if (english && /[\uac00-\ud7a3\u3131-\u318e]/.test(n.nodeValue) && !korean) {
      let rest = n.nodeValue.replace(/[\uac00-\ud7a3]\*+[\uac00-\ud7a3]?/g, '');  // masked names: 김*수
      for (const k of keep) rest = rest.split(k).join('');
      if (/[\uac00-\ud7a3\u3131-\u318e]/.test(rest)) out.hangul.push({el: label(p), text});
    }
  }
  // -- overlap: two lines of different text nodes that cross
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      const a = lines[i], c = lines[j];
      if (a.node === c.node) continue;
      const w = Math.min(a.b.right, c.b.right) - Math.max(a.b.left, c.b.left);
      const h = Math.min(a.b.bottom, c.b.bottom) - Math.max(a.b.top, c.b.top);
      if (w > 2 && h > Math.min(a.b.height, c.b.height) * 0.25)
        out.overlap.push({a: a.text, b: c.text, ael: label(a.el), bel: label(c.el)});
    }
  }
  return out;
}
"""


def _dedupe(items: list[dict]) -> list[dict]:
    seen, out = set(), []
    for item in items:
        key = json.dumps(item, sort_keys=True, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


class ScreenAudit:
    """Audits the screens a TvDriver shows; collects one record per screen."""

    def __init__(self, tv, size: str, lang: str, shots: bool = False, out: Path = OUT):
        self.tv, self.size, self.lang, self.shots, self.out = tv, size, lang, shots, out
        self.records: list[dict] = []
        self._axe_source = AXE_JS.read_text(encoding="utf-8")

    @property
    def combo(self) -> str:
        return "%s-%s" % (self.size, self.lang)

    def _axe(self) -> list[dict]:
        cdp = self.tv.cdp
        loaded = cdp.send("Runtime.evaluate", {"expression": "typeof window.axe", "returnByValue": True})
        if loaded["result"].get("value") != "object":
            answer = cdp.send("Runtime.evaluate", {"expression": self._axe_source})
            assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        answer = cdp.send("Runtime.evaluate", {
            "expression": "axe.run(document, %s).then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
                          " help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') +"
                          " (n.any[0] && n.any[0].data && n.any[0].data.contrastRatio ?"
                          " ' ' + n.any[0].data.contrastRatio + ':1' : ''))})))" % json.dumps(AXE_OPTIONS),
            "awaitPromise": True, "returnByValue": True})
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"]["value"]

    def measure(self) -> dict[str, list]:
        found = self.tv.page.evaluate(_MEASURE_JS, {
            "safeX": SAFE_X, "safeY": SAFE_Y, "minPx": MIN_PX[self.size], "keep": list(KEEP_HANGUL),
            "english": self.lang == "en"})
        found = {k: _dedupe(v) for k, v in found.items()}
        found["axe"] = self._axe()
        return found

    def check(self, screen: str, state: str = "", back: str | None = None) -> dict:
        """Measure the screen now shown; ``back``: what pressing Back did (a
        finding, or None when it led to the parent or was not tried)."""
        found = self.measure()
        found["back"] = [back] if back else []
        name = "%s__%s__%s" % (screen, state or "-", self.combo)
        shot = None
        if self.shots:
            shot = self.tv.screenshot(self.out / (name.replace(" ", "_") + ".png")).name
        record = {"screen": screen, "state": state, "size": self.size, "lang": self.lang,
                  "url": self.tv.page.url, "findings": {k: found.get(k, []) for k in CHECKS}, "shot": shot}
        self.records.append(record)
        return record

    def save(self) -> Path:
        """Write this combination's records (JSON) and the contact sheet of all."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / ("%s.json" % self.combo)
        path.write_text(json.dumps(self.records, ensure_ascii=False, indent=1), encoding="utf-8")
        contact_sheet(self.out)
        return path


def known_reason(known: dict, record: dict, check: str) -> str | None:
    """The reason ``known`` gives for this record's ``check`` findings, if any.

    ``known`` maps ``(screen, check, when)`` to a reason; ``screen`` may be
    "*" (every screen), ``when`` is "*", a size ("xlarge"), a language ("en")
    or both ("xlarge-en")."""
    for (screen, what, when), reason in known.items():
        if what == check and screen in ("*", record["screen"]) and when in (
                "*", record["size"], record["lang"], "%s-%s" % (record["size"], record["lang"])):
            return reason
    return None


def findings(records: list[dict], known: dict) -> list[str]:
    """Every finding not excused by ``known`` (see :func:`known_reason`), one line each."""
    lines = []
    for r in records:
        for check, items in r["findings"].items():
            if not items or known_reason(known, r, check):
                continue
            for item in items:
                lines.append("%s [%s] %s/%s %s: %s" % (r["screen"], r["state"] or "-", r["size"], r["lang"], check,
                                                      json.dumps(item, ensure_ascii=False)[:300]))
    return lines


def contact_sheet(out: Path = OUT) -> Path:
    """``index.html``: a thumbnail per screen x state x size x language, with its findings."""
    records = []
    for path in sorted(out.glob("*.json")):
        records += json.loads(path.read_text(encoding="utf-8"))
    records.sort(key=lambda r: (r["screen"], r["state"], SIZES.index(r["size"]), r["lang"]))
    cards = []
    for r in records:
        bad = {k: v for k, v in r["findings"].items() if v}
        notes = "".join("<li><b>%s</b> (%d): %s</li>" % (
            html.escape(k), len(v), html.escape("; ".join(json.dumps(i, ensure_ascii=False)[:160] for i in v[:4])))
            for k, v in bad.items())
        img = ('<a href="%s"><img src="%s" width="320" height="180" loading="lazy" alt=""></a>'
               % (html.escape(r["shot"]), html.escape(r["shot"])) if r.get("shot") else '<div class="noimg">no picture</div>')
        cards.append('<figure class="%s">%s<figcaption><b>%s</b> · %s · %s · %s<ul>%s</ul></figcaption></figure>' % (
            "bad" if bad else "ok", img, html.escape(r["screen"]), html.escape(r["state"] or "-"),
            html.escape(SIZE_NAMES[r["size"]]), r["lang"], notes or "<li>no findings</li>"))
    page = ("<!doctype html><meta charset='utf-8'><title>TV screen audit</title><style>"
            "body{font:14px sans-serif;background:#eee;margin:16px}figure{display:inline-block;vertical-align:top;"
            "width:330px;margin:6px;padding:5px;background:#fff;border:3px solid #3a3}figure.bad{border-color:#c33}"
            "figcaption ul{margin:4px 0;padding-left:16px;font-size:12px;word-break:break-all}"
            ".noimg{width:320px;height:180px;background:#ccc}</style>"
            "<h1>TV screen audit: %d screens and states, %d with findings</h1>%s"
            % (len(records), sum(1 for r in records if any(r["findings"].values())), "".join(cards)))
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
