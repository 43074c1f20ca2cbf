"""지방세's forms (Flask-WTF). CSRF is checked app-wide, not by the forms (see
``tvapp.tv.forms.TvForm``). Field names are the templates'.

Card digits: ``CardForm`` hands them to ``services.taxes.payments.pay_card``
in a ``Card`` and ``forget()`` drops them from the form; they are never
stored, logged, or put back on a screen. The card's own checks (16 digits,
MMYY, ...) stay in the service: a later press of OK replays the first result
whatever is posted, so they run only once the order is known to be open, and
their messages come back per field in ``PaymentFlowError.fields``.
"""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import Optional, Regexp

from services.certificates import requests as certs
from services.payments import Card
from tvapp.tv.forms import TvForm, service_checked, text


class ReceiptForm(TvForm):
    """Where a bill's receipt goes: ``use`` is ``email`` (the payer's
    registered address), ``fax`` (the number typed in ``fax``, checked by the
    fax policy; after ``validate``, ``number``), ``saved`` (a remembered fax
    number, ``place`` ``d<id>``: the service resolves it) or anything else: none."""

    use = StringField(default="none", filters=[text])
    fax = StringField(filters=[text])
    place = StringField(filters=[text], validators=[Optional(), Regexp(r"^d\d{1,12}$")])  # use=saved: d<id>

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = None

    def validate_fax(self, field):
        if self.use.data != "fax":
            return
        self.number = service_checked(certs.check_fax_number, field.data)

    @property
    def error(self) -> str:
        return self.fax.errors[0] if self.fax.errors else ""


class CardForm(TvForm):
    """The card typed on the TV with the number keys, and the total the screen showed."""

    number = PasswordField(filters=[text])
    expiry = PasswordField(filters=[text])
    birth = PasswordField(filters=[text])
    password2 = PasswordField(filters=[text])
    total = StringField(filters=[text])

    def card(self) -> Card:
        return Card(self.number.data, self.expiry.data, self.birth.data, self.password2.data)

    def shown_total(self) -> int | None:
        try:
            return int(self.total.data)
        except ValueError:
            return None

    def forget(self) -> None:
        """Drop the card's digits from the form."""
        for field in (self.number, self.expiry, self.birth, self.password2):
            field.data, field.raw_data = None, None
