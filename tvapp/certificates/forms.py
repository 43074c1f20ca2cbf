"""증명서 발급's forms (Flask-WTF). CSRF is checked app-wide, not by the forms
(see ``tvapp.tv.forms.TvForm``). Field names are the templates'.

The refusals a resident reads (a fax number, an email address) are the
service's own checks (``services.certificates.requests.check_fax_number`` and
``check_email``), run as the forms' validators: their ``FlowError`` message
becomes the field's error, word for word (Korean msgid; the screen translates).
"""

from __future__ import annotations

from typing import Callable

from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Regexp, ValidationError

from services.certificates import requests as certs
from tvapp.tv.forms import TvForm, service_checked, text

OPTION_MAX = 64


class WhoForm(TvForm):
    """Whose certificate: a resident's id (that it is the household's is the service's check)."""

    resident_id = IntegerField(validators=[InputRequired()])


def present(form, field):
    if not field.data:
        raise ValidationError("missing")


class OptionsForm(TvForm):
    """A certificate type's options; one field per option, made by :func:`options_form`.

    An option with fixed choices takes the first one when the value posted is
    not among them; an option without (a parcel, a building, a year) must
    not be empty. Values are cut to ``OPTION_MAX`` characters."""

    option_names: tuple = ()

    def chosen(self) -> dict:
        return {name: self[name].data[:OPTION_MAX] for name in self.option_names}


def options_form(ctype) -> OptionsForm:
    fields = {}
    for opt in ctype.options:
        filters = [text]
        if opt.choices:
            allowed, first = frozenset(c.value for c in opt.choices), opt.choices[0].value
            filters.append(lambda v, allowed=allowed, first=first: v if v in allowed else first)
        fields[opt.name] = StringField(filters=filters, validators=[present])
    cls = type("OptionsForm_%s" % ctype.code, (OptionsForm,),
               dict(fields, option_names=tuple(o.name for o in ctype.options)))
    return cls()


class CodeForm(TvForm):
    """The identity code typed with the number keys: not empty (an empty OK
    never uses up a try); the code itself is the OTP service's to judge."""

    code = StringField(filters=[text], validators=[InputRequired()])  # empty: not a try


class FaxForm(TvForm):
    """A fax number: one of the household's recent ones (``recent``, its index
    in the list the screen showed) or typed (``fax``). After ``validate``,
    ``number`` is the number as the fax policy formats it; ``raw`` what was
    chosen or typed (for the screen to show again)."""

    recent = StringField(filters=[text])
    fax = StringField(filters=[text])

    def __init__(self, *args, recent_numbers: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.recent_numbers = list(recent_numbers or [])
        self.number, self.raw = None, ""

    def validate_fax(self, field):
        pick = self.recent.data
        if pick.isdigit() and int(pick) < len(self.recent_numbers):
            self.raw = self.recent_numbers[int(pick)]
        else:
            self.raw = field.data
        self.number = service_checked(certs.check_fax_number, self.raw)

    @property
    def error(self) -> str:
        return self.fax.errors[0] if self.fax.errors else ""


class EmailForm(TvForm):
    """An email address: the registered one (``use=registered``; ``registered``
    is called for it only then) or typed (``email``). After ``validate``,
    ``address`` is the address to use."""

    use = StringField(filters=[text])
    email = StringField(filters=[text])

    def __init__(self, *args, registered: Callable[[], str | None] = lambda: None, **kwargs):
        super().__init__(*args, **kwargs)
        self.registered, self.address = registered, None

    #: OK with nothing typed: what to do, not a format error
    EMPTY = "새 메일 주소가 아직 비어 있습니다. 휴대폰으로 QR 코드를 찍어 입력하거나 메일 칸에서 숫자 버튼으로 눌러 주세요."

    def validate_email(self, field):
        address = self.registered() if self.use.data == "registered" else field.data
        if self.use.data != "registered" and not (address or "").strip():
            raise ValidationError(self.EMPTY)
        self.address = service_checked(certs.check_email, address or "")

    @property
    def error(self) -> str:
        return self.email.errors[0] if self.email.errors else ""


class PlaceForm(TvForm):
    """A remembered place picked on the delivery screen: ``email`` (the
    registered address) or ``d<id>`` (a remembered fax number); that it is
    the household's is the service's check."""

    place = StringField(filters=[text], validators=[InputRequired(), Regexp(r"^(email|d\d{1,12})$")])


class ConfirmForm(TvForm):
    """OK on the confirm screen: the token the screen was shown with."""

    token = StringField(filters=[text])
