"""Languages: Korean (the msgids) by default, English from a catalogue.

``init_app`` compiles ``translations/*/LC_MESSAGES/messages.po`` into ``.mo``
when the ``.mo`` is missing or older (so a fresh clone works with no extra
command), and makes the locale follow the TV box's setting (``g.device.lang``),
then the session's, then Korean.

Updating the catalogue::

    pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot tvapp
    pybabel update -i /tmp/messages.pot -d tvapp/translations
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path

from flask import g, has_request_context, request, session
from flask_babel import get_translations
from jinja2 import pass_context
from markupsafe import Markup

log = logging.getLogger(__name__)

LANGUAGES = ("ko", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogues(root: Path = TRANSLATIONS) -> int:
    """Compile stale catalogues; returns how many were written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    n = 0
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            tmp = mo.with_suffix(".mo.tmp")
            with tmp.open("wb") as f:
                write_mo(f, catalog)
            tmp.replace(mo)
            n += 1
        except OSError as exc:  # read-only install: the committed .mo stays
            log.warning("cannot compile %s: %s", po.name, exc)
    return n


def select_locale() -> str:
    device = g.get("device")
    if device is not None and getattr(device, "lang", None) in LANGUAGES:
        return device.lang
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "ko"


def request_translations():
    """The request's catalogue, looked up once per request: templates call
    ``_()`` a dozen times a screen, and Flask-Babel's lookup walks its
    context, domain and locale each time (about 5 us). Like Flask-Babel's
    own locale, it is the request's; outside a request, Flask-Babel answers."""
    if not has_request_context():
        return get_translations()
    found = request.environ.get("tvapp.translations")
    if found is None:
        found = request.environ["tvapp.translations"] = get_translations()
    return found


# A language's templates' texts, translated once: catalogue -> {(msgid, autoescape): text}.
_TEXTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@pass_context
def template_gettext(context, string, **variables):
    """``_()`` and ``gettext()`` in templates: what Jinja's newstyle gettext
    gives (the text as a format string, ``Markup`` when autoescaping, the
    variables escaped into it), with a text without variables translated once
    per language instead of on every render (Jinja's own costs about 5 us a
    call: three nested context calls and a format of an empty dict)."""
    translations = request_translations()
    escape = context.eval_ctx.autoescape
    if variables or not has_request_context():
        text = translations.ugettext(string)
        return (Markup(text) if escape else text) % variables
    texts = _TEXTS.get(translations)
    if texts is None:
        texts = _TEXTS[translations] = {}
    found = texts.get((string, escape))
    if found is None:
        text = translations.ugettext(string)
        found = texts[(string, escape)] = (Markup(text) if escape else text) % {}
    return found


def init_app(app) -> None:
    compile_catalogues()
    app.extensions["babel"].locale_selector = select_locale
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    # ``_`` was Jinja's alias calling ``gettext`` through the context: both are the one function
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
