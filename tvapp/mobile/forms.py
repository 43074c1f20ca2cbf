"""Phone forms (Flask-WTF: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from services.payments import Card


def _text(value) -> str:
    return value if value is not None else ""


class PairForm(FlaskForm):
    code = StringField(_l("TV 화면의 연결 번호"), validators=[
        DataRequired(_l("연결 번호를 넣어 주세요.")), Length(max=16)])
    phone = StringField(_l("등록된 휴대폰 번호"), validators=[
        DataRequired(_l("휴대폰 번호를 넣어 주세요.")),
        Regexp(r"^[0-9+\- ]{9,16}$", message=_l("휴대폰 번호를 숫자로 넣어 주세요."))])


class OtpForm(FlaskForm):
    otp = StringField(_l("문자로 받은 인증번호 6자리"), validators=[
        DataRequired(_l("인증번호를 넣어 주세요.")), Length(max=8)])


class HandoffForm(FlaskForm):
    value = StringField(_l("입력"), validators=[Length(max=254)])
    done = HiddenField(default="1")


class NameForm(FlaskForm):
    """A name for one of the household's remembered fax numbers (the phone
    page a QR code on the TV opens). Cut to ``services.destinations.LABEL_MAX``
    by the service; an empty name removes the name."""

    label = StringField(_l("이 번호의 이름"), validators=[Length(max=60)])


class LiveForm(FlaskForm):
    """What the phone has typed so far, posted by ``fetch`` as it is typed
    (the CSRF token rides in the X-CSRFToken header, which ``CSRFProtect``
    checks app-wide; this form does not look for it in the body). The value's
    limits are ``services.handoff.put``'s."""

    class Meta:
        csrf = False

    value = StringField(filters=[_text])


class PayForm(FlaskForm):
    """The card typed on the phone (tax payment page). Spaces and dashes in
    the number and the slash in MM/YY are dropped; the card's own checks are
    ``services.taxes.payments.pay_card``'s (messages per field). CSRF is checked
    app-wide by ``CSRFProtect`` before the view runs, so this form does not
    check it again. The digits are never stored or logged: ``forget()`` drops
    them from the form once the ``Card`` is made."""

    class Meta:
        csrf = False

    number = PasswordField(filters=[_text, lambda v: "".join(ch for ch in v if ch.isdigit())])
    expiry = PasswordField(filters=[_text, lambda v: v.replace("/", "")])
    birth = PasswordField(filters=[_text])
    password2 = PasswordField(filters=[_text])

    def card(self) -> Card:
        return Card(self.number.data, self.expiry.data, self.birth.data, self.password2.data)

    def forget(self) -> None:
        for field in (self.number, self.expiry, self.birth, self.password2):
            field.data, field.raw_data = None, None
