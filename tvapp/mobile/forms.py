"""Phone forms (Flask-WTF: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp


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
