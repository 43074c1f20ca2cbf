"""Phone pages: pairing confirmation and hand-off."""

from __future__ import annotations

import logging

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from services import handoff, pairing
from services.participation import screens as participation_screens
from services.taxes import payments
from services.taxes.bills import won
from tvapp.mobile import bp
from tvapp.mobile.forms import HandoffForm, LiveForm, OtpForm, PairForm, PayForm

log = logging.getLogger(__name__)


def runtime():
    return current_app.extensions["runtime"]


def client_key() -> str:
    return runtime().crypto.keyed_hash(request.remote_addr or "-", "pair-client")


# ------------------------------------------------------------------ pairing
@bp.route("/pair", methods=["GET", "POST"])
def pair():
    form = PairForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = pairing.format_code(request.args["code"])[:16]
    error, status = None, 200
    if form.validate_on_submit():
        code = pairing.normalize(form.code.data)
        try:  # the same answer whether or not the phone is a resident's
            ticket = pairing.ask_on_phone(runtime(), code, form.phone.data, client_key())
            session["pair"] = {"code": code, "ticket": ticket}
            return redirect(url_for("mobile.pair_verify"))
        except pairing.PairingError as exc:
            error, status = exc.message, 429 if exc.status_code == 429 else 200
    return render_template("mobile/pair.html", form=form, error=error), status


@bp.route("/pair/verify", methods=["GET", "POST"])
def pair_verify():
    state = session.get("pair")
    if not state or "ticket" not in state:
        return redirect(url_for("mobile.pair"))
    form = OtpForm()
    error = None
    if form.validate_on_submit():
        try:
            paired, error, dead = pairing.verify_on_phone(runtime(), state["code"], state["ticket"],
                                                          form.otp.data)
        except pairing.PairingError as exc:
            session.pop("pair", None)
            return render_template("mobile/error.html", title=_("연결하지 못했습니다"),
                                   text=exc.message), 409
        if paired:
            session.pop("pair", None)
            return redirect(url_for("mobile.pair_done"))
        if dead:
            session.pop("pair", None)
    return render_template("mobile/pair_verify.html", form=form, error=error)


@bp.get("/pair/done")
def pair_done():
    return render_template("mobile/pair_done.html")


# ------------------------------------------------------------------ hand-off
@bp.route("/h/<token>", methods=["GET", "POST"])
def handoff_page(token):
    rt = runtime()
    try:
        info = handoff.info(rt, token)
    except handoff.HandoffError:
        return render_template("mobile/error.html", title=_("입력 화면이 닫혔습니다"),
                               text=_("TV에서 QR 코드를 다시 찍어 주세요.")), 404
    form = HandoffForm()
    error = None
    if info["done"]:
        return render_template("mobile/handoff_done.html", value=info["value"])
    if request.method == "GET":
        form.value.data = info["value"]
    elif form.validate_on_submit():
        value = (form.value.data or "").strip()
        if info["kind"] == "email" and not handoff.looks_like_email(value):
            error = _("이메일 주소 모양이 아닙니다. 예: name@example.com")
        else:
            handoff.put(rt, token, value, done=True)
            return render_template("mobile/handoff_done.html", value=value)
    return render_template("mobile/handoff.html", form=form, info=info, token=token, error=error)


@bp.post("/h/<token>/live")
def handoff_live(token):
    """What the phone has typed so far (fetch with X-CSRFToken)."""
    try:
        rev = handoff.put(runtime(), token, LiveForm().value.data)
    except handoff.HandoffError:
        return jsonify(error="gone"), 404
    return jsonify(rev=rev)


# -- paying a tax bill on the phone (the TV shows the QR code) -------------------------

@bp.route("/pay/<token>", methods=["GET", "POST"])
def pay(token):
    rt = runtime()
    info = payments.phone_order(rt, token)
    if info is None:
        return render_template("mobile/pay.html", state="expired"), 404
    order_id, household_id = info["order_id"], info["household_id"]
    errors, outcome = {}, None
    form = PayForm()
    if form.is_submitted():
        form.validate()  # the card's checks are pay_card's (see tvapp.mobile.forms)
        card_data = form.card()
        form.forget()
        try:
            outcome = payments.pay_card(rt, order_id=order_id, household_id=household_id, card=card_data,
                                        shown_total=info["total"])
        except payments.PaymentFlowError as e:
            errors = e.fields or {"number": e.message}
    elif info["status"] != "ready":
        outcome = payments.status(rt, order_id, household_id)
    return render_template("mobile/pay.html", state="form" if outcome is None else "done", info=info,
                           won=won, errors=errors, outcome=outcome, token=token), 422 if errors else 200


# ------------------------------------------------------------------ 주민 참여 results
@bp.get("/votes/<int:vote_id>")
def vote_results(vote_id: int):
    """A vote's published result on the phone (the QR on the TV's results screen)."""
    try:
        v = participation_screens.vote_view(runtime(), vote_id)
    except participation_screens.NotShown:
        return render_template("mobile/error.html", title=_("없는 투표입니다"),
                               text=_("찾으시는 투표가 없거나 아직 시작하지 않았습니다.")), 404
    return render_template("mobile/vote_results.html", v=v)
