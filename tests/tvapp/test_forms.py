"""The TV's and the phone payment page's Flask-WTF forms, one by one: what
each accepts, what it refuses, and that a refusal reads word for word as the
screens' did before the forms (the services' own messages)."""

import pytest

from services.certificates import catalogue
from services.certificates import requests as certs
from tvapp.certificates.forms import (
    OPTION_MAX,
    CodeForm,
    ConfirmForm,
    EmailForm,
    FaxForm,
    WhoForm,
    options_form,
)
from tvapp.mobile.forms import LiveForm, PayForm
from tvapp.taxes.forms import CardForm, ReceiptForm
from tvapp.tv.forms import LangForm, TextSizeForm

BAD_FAX = ("0607001234", "01012345678", "0012125550100", "114", "", "전화")


@pytest.fixture
def posted(app):
    """``posted(make_form, **data)``: the form ``make_form()`` makes, as in a view, for a POST of ``data``."""
    contexts = []

    def make(make_form, /, **data):
        ctx = app.test_request_context("/", method="POST", data=data)
        ctx.push()
        contexts.append(ctx)
        return make_form()

    yield make
    for ctx in reversed(contexts):
        ctx.pop()


def flow_message(check, value):
    with pytest.raises(certs.FlowError) as e:
        check(value)
    return e.value.message


def test_tv_forms_leave_csrf_to_the_app(app, posted):
    # CSRFProtect checks every POST before a view; the forms do not check twice.
    assert app.config.get("WTF_CSRF_ENABLED", True)
    form = posted(LangForm, lang="en")  # no csrf_token posted
    assert form.validate() and "csrf_token" not in form._fields
    assert posted(PayForm, number="1").validate() is True


@pytest.mark.parametrize("form_class,name,good,bad", [
    (LangForm, "lang", ("ko", "en"), ("fr", "", "KO", "ko ")),
    (TextSizeForm, "size", ("normal", "large", "xlarge"), ("huge", "")),
])
def test_settings_take_only_their_choices(posted, form_class, name, good, bad):
    for value in good:
        form = posted(form_class, **{name: value})
        assert form.validate() and form[name].data == value
    for value in bad:
        assert not posted(form_class, **{name: value}).validate()
    assert not posted(form_class).validate()  # nothing posted: nothing changes


def test_who_takes_a_resident_id(posted):
    form = posted(WhoForm, resident_id="12")
    assert form.validate() and form.resident_id.data == 12
    for bad in ("", "abc", "1.5"):
        assert not posted(WhoForm, resident_id=bad).validate()
    assert not posted(WhoForm).validate()


def test_options_form(posted):
    abstract = catalogue.get("resident-abstract")
    form = posted(lambda: options_form(abstract), past_addresses="yes", full_rrn="no")
    assert form.validate() and form.chosen() == {"past_addresses": "yes", "full_rrn": "no"}
    form = posted(lambda: options_form(abstract), past_addresses="maybe")  # full_rrn not posted
    assert form.validate() and form.chosen() == {"past_addresses": "no", "full_rrn": "no"}

    land = catalogue.get("land-register")  # choices from the back end: must not be empty
    assert not posted(lambda: options_form(land), parcel="").validate()
    assert not posted(lambda: options_form(land)).validate()
    form = posted(lambda: options_form(land), parcel="P" * 100)
    assert form.validate() and form.chosen() == {"parcel": "P" * OPTION_MAX}


def test_code_and_token_are_passed_on_as_posted(posted):
    assert posted(CodeForm, code="123456").code.data == "123456"
    form = posted(CodeForm)
    assert not form.validate() and form.code.data == ""  # empty: not sent to the OTP service (issue 17)
    assert not posted(CodeForm, code="").validate()
    assert posted(ConfirmForm, token="abc").token.data == "abc"
    assert posted(ConfirmForm).token.data == ""


def test_fax_refusals_read_as_the_fax_policy_says(posted):
    for bad in BAD_FAX:
        form = posted(FaxForm, fax=bad)
        assert not form.validate()
        assert form.error == flow_message(certs.check_fax_number, bad)
        assert form.raw == bad  # shown again (its digits) on the 422 screen
    form = posted(FaxForm, fax="0221531234")
    assert form.validate() and form.error == ""
    assert form.number == certs.check_fax_number("0221531234")


def test_fax_from_the_recent_list(posted):
    recent = ["02-2153-1234", "031-123-4567"]
    form = posted(lambda: FaxForm(recent_numbers=recent), recent="1", fax="0607001234")
    assert form.validate() and form.number == certs.check_fax_number(recent[1])
    # A pick past the list (or not a number) is no pick: the typed number counts.
    for pick in ("2", "-1", "x", ""):
        form = posted(lambda: FaxForm(recent_numbers=recent), recent=pick, fax="0607001234")
        assert not form.validate() and form.raw == "0607001234"


def test_email_refusals_read_as_before(posted):
    message = flow_message(certs.check_email, "nope")
    assert message == "메일 주소 형식이 맞지 않습니다. 예: hong@example.com"
    for bad in ("nope", "a@", "@b.kr"):
        form = posted(EmailForm, use="new", email=bad)
        assert not form.validate() and form.error == message
    for empty in ("", "  "):  # nothing typed: what to do instead (issue 17 item 6)
        form = posted(EmailForm, use="new", email=empty)
        assert not form.validate() and form.error == EmailForm.EMPTY
    form = posted(EmailForm, use="new", email="  hong@example.com ")
    assert form.validate() and form.address == "hong@example.com"


def test_email_registered_is_looked_up_only_when_chosen(posted):
    asked = []

    def registered():
        asked.append(1)
        return "kim@example.com"

    form = posted(lambda: EmailForm(registered=registered), use="new", email="hong@example.com")
    assert form.validate() and form.address == "hong@example.com" and not asked
    form = posted(lambda: EmailForm(registered=registered), use="registered", email="ignored")
    assert form.validate() and form.address == "kim@example.com" and asked
    form = posted(lambda: EmailForm(registered=lambda: None), use="registered")  # none registered
    assert not form.validate() and form.error == flow_message(certs.check_email, "")


def test_receipt_form(posted):
    form = posted(ReceiptForm)
    assert form.validate() and form.use.data == "none"
    form = posted(ReceiptForm, use="email", fax="garbage")  # the fax field counts only for fax
    assert form.validate() and form.use.data == "email" and form.number is None
    for bad in BAD_FAX:
        form = posted(ReceiptForm, use="fax", fax=bad)
        assert not form.validate() and form.error == flow_message(certs.check_fax_number, bad)
    form = posted(ReceiptForm, use="fax", fax="0221531234")
    assert form.validate() and form.number == certs.check_fax_number("0221531234")


def digits_left(form) -> list:
    return [v for f in ("number", "expiry", "birth", "password2")
            for v in (form[f].data, form[f].raw_data) if v]


def test_card_form_hands_the_card_over_and_forgets_it(posted):
    form = posted(CardForm, number="4111111111111111", expiry="1229", birth="480312", password2="12",
                  total="52000")
    form.validate()
    card = form.card()
    assert (card.number, card.expiry, card.birth, card.password2) == ("4111111111111111", "1229", "480312", "12")
    assert form.shown_total() == 52000
    form.forget()
    assert digits_left(form) == []
    assert "4111" not in repr(card)
    # The card's checks are pay_card's: the same sentences, per field, as before.
    assert set(posted(CardForm).card().problems()) == {"number", "expiry", "birth", "password2"}
    for total in ("", "abc", "1.5"):
        assert posted(CardForm, total=total).shown_total() is None


def test_phone_pay_form_cleans_as_before(posted):
    form = posted(PayForm, number="4111-1111 1111-1111", expiry="12/29", birth="480312", password2="12")
    form.validate()
    card = form.card()
    assert (card.number, card.expiry, card.birth, card.password2) == ("4111111111111111", "1229", "480312", "12")
    assert card.problems() == {}
    form.forget()
    assert digits_left(form) == []
    card = posted(PayForm).card()
    assert (card.number, card.expiry, card.birth, card.password2) == ("", "", "", "")


def test_live_value_form_reads_the_body_only(posted):
    assert posted(LiveForm, value="hong@").value.data == "hong@"
    assert posted(LiveForm).value.data == ""  # nothing typed yet
