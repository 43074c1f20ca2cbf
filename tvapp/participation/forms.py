"""주민 참여's forms (Flask-WTF). CSRF is checked app-wide (``tvapp.tv.forms.TvForm``)."""

from __future__ import annotations

from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from tvapp.tv.forms import TvForm, text


def digits(value) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit())


class WhoForm(TvForm):
    """Who votes: a resident's id (that they live here and may vote is the service's check)."""

    resident_id = IntegerField(validators=[InputRequired()])


class CodeForm(TvForm):
    """The identity code typed with the number keys (empty: not a try)."""

    code = StringField(filters=[text], validators=[InputRequired()])


class ToggleForm(TvForm):
    """An option chosen (or chosen no more) on the ballot: its number key."""

    number = IntegerField(validators=[InputRequired(), NumberRange(1, 9)])


class ConfirmForm(TvForm):
    """Record the ballot; ``receipt``: the code of the voter's ballot, to change it."""

    receipt = StringField(filters=[text, digits])


class ReceiptForm(TvForm):
    """A receipt code to check (12 digits)."""

    receipt = StringField(filters=[text, digits], validators=[InputRequired()])
