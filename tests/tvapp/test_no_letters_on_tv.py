"""Issue 21: no letter is typed on the TV, anywhere. The TV's templates (all
but the phone's pages, the phone simulator and the public verification page)
have no text field of their own: what is typed on the remote goes into a
number-pad field (digits only), and the one thing with letters, an email
address, into a hand-off field typed on the phone through its QR code."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "tvapp" / "templates"
NOT_TV = ("mobile", "phone", "verify", "index.html")  # the phone's pages, the simulator, the public page
DIGIT_KINDS = {"phone", "card", "digits"}


def tv_templates():
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).parts[0] not in NOT_TV:
            yield path, path.read_text(encoding="utf-8")


def test_no_text_field_on_any_tv_screen():
    checked = 0
    for path, html in tv_templates():
        checked += 1
        for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>|contenteditable", html):
            assert 'type="hidden"' in tag or "type=hidden" in tag, (path.name, tag)
    assert checked > 30  # the TV's screens were found


def test_what_is_typed_on_the_remote_is_digits_and_letters_come_from_the_phone():
    kinds, handoffs = set(), []
    for path, html in tv_templates():
        if path.name == "macros.html":  # the macros themselves (their notes show calls)
            continue
        for call in re.findall(r"numpad_field\((.*?)\)\s*}}", html, re.S):
            m = re.search(r'kind="(\w+)"', call)
            kinds.add(m.group(1) if m else "phone")  # the macro's default
        if "ui.handoff_field(" in html:
            handoffs.append(path.name)
    assert kinds and kinds <= DIGIT_KINDS, kinds
    assert sorted(handoffs) == ["email.html", "practice.html"]  # the email address, and practising it
    macros = (TEMPLATES / "tv" / "macros.html").read_text(encoding="utf-8")
    handoff = macros[macros.index("{% macro handoff_field"):]
    handoff = handoff[:handoff.index("endmacro")]
    assert "qr_data_uri(handoff.url" in handoff  # typed on the phone, through its QR code
