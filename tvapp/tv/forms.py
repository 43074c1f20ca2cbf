"""The TV screens' forms (Flask-WTF), and ``TvForm``, the base of every TV form.

CSRF: ``CSRFProtect`` (``tvapp.extensions.csrf``) checks the token of every
POST app-wide before any view runs, so the forms do not check it a second
time (``Meta.csrf = False``); the templates still post ``csrf_token`` and a
POST without a valid one never reaches a form. The field names are the ones
the templates, ``remote_nav`` and the tests post.

A TV form refuses nothing with a message of its own unless the screen showed
one before: a value that is not one of the choices is ignored (settings) or
sends the box back a step, as the views did before the forms.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, ValidationError

from services.core.errors import AppError
from tvapp.tv.device import LANGS, TEXT_SIZES


class TvForm(FlaskForm):
    """A form posted by the box; CSRF is checked app-wide (see the module)."""

    class Meta:
        csrf = False


def service_checked(check, value):
    """``check(value)`` of a service; its refusal (an ``AppError``) becomes the
    field's error, word for word as the service says it."""
    try:
        return check(value)
    except AppError as e:
        raise ValidationError(e.user_message) from e


def text(value) -> str:
    """A filter: a field the box did not post reads as ``""``."""
    return value if value is not None else ""


class LangForm(TvForm):
    lang = StringField(filters=[text], validators=[AnyOf(LANGS)])


class TextSizeForm(TvForm):
    size = StringField(filters=[text], validators=[AnyOf(TEXT_SIZES)])


class RequestActionForm(TvForm):
    """신청 취소 / 메일로 받기 / 팩스로 받기 on a request's screen: for the
    last, the fax number typed on the number pad (the service checks it)."""

    fax = StringField(filters=[text, lambda v: "".join(ch for ch in v if ch.isdigit())[:12]])
