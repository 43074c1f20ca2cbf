"""English is the second language of every screen: every Korean msgid the
screens use has an English translation. The msgids are extracted the way
``pybabel extract`` does (babel.cfg), plus the literal texts of the calm
screens, which the views translate with ``gettext``."""

import ast
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TVAPP = ROOT / "tvapp"
PO = TVAPP / "translations" / "en" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted():
    found = {}
    for filename, _lineno, message, _comments, _ctx in extract_from_dir(
            str(TVAPP), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {}}):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, filename)
    return found


def calm_literals():
    found = {}
    for path in TVAPP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_calm":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                        found.setdefault(arg.value, str(path.relative_to(ROOT)))
    return found


def test_every_screen_text_has_an_english_translation():
    with PO.open("rb") as f:
        catalog = read_po(f)
    wanted = {**extracted(), **calm_literals()}
    assert len(wanted) > 250  # the extraction found the screens' texts
    # a fuzzy entry (a guess left by msgmerge) is not compiled: the screen stays Korean
    missing = sorted("%s (%s)" % (m, where) for m, where in wanted.items()
                     if m not in catalog or not catalog[m].string or catalog[m].fuzzy)
    assert missing == []


def test_calm_screens_are_shown_in_english(client, demo):
    from services.models import Device
    from tests.tvapp.test_tv_screens import device_of, pair

    pair(client, demo)
    with demo.session() as s:
        s.get(Device, device_of(client, demo).id).lang = "en"
    page = client.get("/tv/taxes/result/no-such-order")
    assert page.status_code == 404
    assert "Payment not found" in page.get_data(as_text=True)


def test_templates_gettext_gives_what_jinja_s_newstyle_gettext_gives(app):
    """``_()`` and ``gettext()`` in templates (tvapp.i18n.template_gettext,
    which translates a text without variables once per language) render as
    Jinja's own newstyle gettext: translated, a format string, the variables
    escaped, ``%%`` a percent sign; in Korean and in English, twice."""
    import jinja2
    from flask import session

    from tvapp.i18n import request_translations

    source = ('{{ _("나의 민원") }}|{{ gettext("나의 민원") }}|{{ _("%(name)s 님 댁", name="<b>&") }}|'
              '{{ _("100%% 완료") }}|{% trans %}처음 화면{% endtrans %}|{% trans n="<i>" %}{{ n }} 님 댁{% endtrans %}')
    jinja = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    jinja.install_gettext_callables(gettext=lambda s: request_translations().ugettext(s),
                                    ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
                                    newstyle=True)
    for lang in ("ko", "en", "ko"):
        with app.test_request_context("/tv/"):
            session["lang"] = lang
            ours = app.jinja_env.from_string(source).render()
            assert ours == app.jinja_env.from_string(source).render()
            assert ours == jinja.from_string(source).render(), lang
            assert "&lt;b&gt;&amp;" in ours and "100% " in ours
            assert ("My requests" in ours) == (lang == "en")
