"""증명서 발급 on the TV: the views. Each validates with a form of
``tvapp.certificates.forms``, calls ``services.certificates.requests`` (which
opens the database sessions) and renders."""

from __future__ import annotations

import functools
import secrets

from flask import Response, current_app, g, jsonify, redirect, render_template, request, url_for

from services import destinations, handoff, ledger, phones
from services.certificates import catalogue
from services.certificates import requests as certs
from services.korean import eul, iga
from services.pii import mask_email
from tvapp.caching import household_screen, shared_screen
from tvapp.certificates import bp
from tvapp.certificates.forms import (
    CodeForm,
    ConfirmForm,
    EmailForm,
    FaxForm,
    PlaceForm,
    WhoForm,
    options_form,
)
from tvapp.errors import calm
from tvapp.flow import Flow
from tvapp.tv.device import tv_device_required
from tvapp.tv.labels import timeline_steps
from tvapp.tv.service_texts import svc
from tvapp.tv.views import handoff_context

FLOW = Flow("certflow")  # the box's choices while it walks a request
SAVED_SHOWN = {"normal": 3, "large": 2, "xlarge": 1}  # remembered fax numbers the delivery screen lists


def rt():
    return current_app.extensions["runtime"]


def _flow() -> dict:
    return FLOW.load()


def _save(f: dict) -> None:
    FLOW.save(f)


def _new_id() -> str:
    """A request's flow instance: what the box keeps typed belongs to it (``flow_id``)."""
    return secrets.token_urlsafe(9)


def _calm(title, text, next_text, href, label, status=200):
    return calm("증명서 발급", title, text, next_text, href, label, status)


def _need(f: dict, *keys):
    """Where to send a box whose flow lacks what this screen needs (after a
    restart, an expired flow, or a deep link)."""
    if any(k not in f for k in keys):
        return redirect(url_for("certs.catalogue_list"))
    return None


def needs(*keys):
    """A view that needs these steps done: loads the flow (passed as ``f``)
    or sends the box back to the catalogue."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            f = _flow()
            missing = _need(f, *keys)
            if missing:
                return missing
            return view(f, *args, **kwargs)

        return inner

    return wrap


@bp.get("/")
@tv_device_required
@shared_screen
def catalogue_list():
    return render_template("certificates/catalogue.html", items=catalogue.CATALOGUE, fee=catalogue.fee_text)


@bp.get("/<cert_type>/")
@tv_device_required
@household_screen(flow=FLOW.key, form=True)  # the household's residents; the box's choices
def who(cert_type):
    if cert_type not in catalogue.BY_CODE:
        return _calm("없는 증명서입니다", "선택하신 증명서를 찾을 수 없습니다.", "목록에서 다시 골라 주세요.",
                     url_for("certs.catalogue_list"), "증명서 목록", 404)
    f = _flow()  # read only: choosing whose starts (or restarts) the request's flow
    chosen = f.get("resident_id") if f.get("type") == cert_type else None
    people = certs.household_residents(rt(), g.household.id)
    return render_template("certificates/who.html", ctype=catalogue.get(cert_type), people=people,
                           chosen=chosen)


@bp.post("/<cert_type>/who")
@tv_device_required
def who_post(cert_type):
    if cert_type not in catalogue.BY_CODE:
        return redirect(url_for("certs.catalogue_list"))
    f = _flow()
    form = WhoForm()
    if not form.validate():
        return redirect(url_for("certs.who", cert_type=cert_type))
    rid = form.resident_id.data
    try:
        certs.check_resident(rt(), g.household.id, rid)
    except certs.FlowError:
        return redirect(url_for("certs.who", cert_type=cert_type))
    if f.get("type") != cert_type or f.get("resident_id") != rid or f.get("preset") or f.get("submitted"):
        # another request, another person, or the resident left a one-press request for the long way
        f = {"type": cert_type, "resident_id": rid, "id": _new_id()}
    _save(f)
    return redirect(url_for("certs.options", cert_type=cert_type))


@bp.get("/<cert_type>/options")
@tv_device_required
def options(cert_type):
    f = _flow()
    missing = _need(f, "type", "resident_id")
    if missing or f["type"] != cert_type:
        return missing or redirect(url_for("certs.who", cert_type=cert_type))
    ctype = catalogue.get(cert_type)
    try:
        fields, none_of = certs.option_fields(rt(), g.household.id, f["resident_id"], ctype)
    except certs.FlowError as e:
        return _calm("지금은 진행할 수 없습니다", e.message, "잠시 뒤에 다시 해 주세요.",
                     url_for("certs.catalogue_list"), "증명서 목록", 503)
    if none_of:
        what = "토지" if none_of == "parcels" else "건축물"
        return _calm("%s 없습니다" % iga(what),
                     "이 분 명의로 등록된 %s 없어 %s 발급할 수 없습니다." % (iga(what), eul(ctype.name_ko)),
                     "다른 분을 고르거나 다른 증명서를 골라 주세요.",
                     url_for("certs.who", cert_type=cert_type), "다른 분 고르기")
    if not fields:
        return redirect(url_for("certs.identity"))
    return render_template("certificates/options.html", ctype=ctype, fields=fields,
                           chosen=f.get("options", {}), flow_id=f.get("id"))


@bp.post("/<cert_type>/options")
@tv_device_required
def options_post(cert_type):
    f = _flow()
    if f.get("type") != cert_type or "resident_id" not in f:
        return redirect(url_for("certs.catalogue_list"))
    ctype = catalogue.get(cert_type)
    form = options_form(ctype)
    if not form.validate():
        return redirect(url_for("certs.options", cert_type=cert_type))
    chosen = form.chosen()
    if not certs.options_offered(rt(), g.household.id, f["resident_id"], ctype, chosen):  # a parcel it offered
        return redirect(url_for("certs.options", cert_type=cert_type))
    f["options"] = chosen
    _save(f)
    return redirect(url_for("certs.identity"))


@bp.get("/identity")
@tv_device_required
@needs("type", "resident_id")
def identity(f):
    if not f.get("verified") and certs.take_approval(rt(), g.device.id, f.get("id"), f["resident_id"]):
        f.update(verified=True, verified_by="sms-reply")  # the phone replied: no code to type
        _save(f)
    if f.get("verified"):
        return redirect(url_for("certs.delivery"))
    person = certs.resident_choice(rt(), g.household.id, f["resident_id"])
    sent = f.get("code_sent", False)
    digit = certs.reply_digit(rt(), g.device.id, f.get("id"), f["resident_id"]) if sent else None
    preset = f.get("preset")  # a one-press request: where it goes, so that the resident approves knowingly
    return render_template("certificates/identity.html", ctype=catalogue.get(f["type"]), person=person,
                           message=request.args.get("m", ""), sent=sent, digit=digit,
                           preset_method=preset["method"] if preset else None,
                           preset_shown=_shown(preset["method"], preset["address"]) if preset else None,
                           poll=url_for("certs.identity_status") if digit else None, flow_id=f.get("id"))


def _shown(method: str, address: str) -> str:
    """A destination as the household sees it: its own fax number in full (with
    the name it gave it), an email masked."""
    if method == "fax":
        label = destinations.label_for(rt(), g.household.id, address)
        return phones.display(address) + (" (%s)" % label if label else "")
    return mask_email(address)


@bp.get("/identity/status.json")
@tv_device_required
def identity_status():
    """Whether the phone approved this box's request (the code screen polls it
    and goes on by itself): nothing personal, and only the box's own flow."""
    f = _flow()
    state = certs.approval_status(rt(), g.device.id, f.get("id"), f.get("resident_id"))
    done = state == "approved" or bool(f.get("verified"))
    if not done and state == "none" and f.get("code_sent"):  # its 5 minutes passed (or a newer code replaced it)
        return jsonify(done=True, waiting=False, next=url_for("certs.identity", m="expired"))
    return jsonify(done=done, waiting=state == "pending", next=url_for("certs.identity") if done else None)


@bp.post("/identity/send")
@tv_device_required
@needs("type", "resident_id")
def identity_send(f):
    try:
        if not f.get("id"):  # a flow from before flows had ids: the approval binds to one
            f["id"] = _new_id()
            _save(f)
        result = certs.send_code(rt(), g.household.id, f["resident_id"],
                                 approval=(g.device.id, f["id"], f["type"]))
    except certs.FlowError as e:
        return _calm("본인 확인을 할 수 없습니다", e.message, "다른 분을 고르실 수 있습니다.",
                     url_for("certs.who", cert_type=f["type"]), "다른 분 고르기")
    if result.ok:
        f["code_sent"] = True
        _save(f)
    if result.reason == "locked":
        return _locked(result.message, f)
    if result.reason == "cooldown" and result.elsewhere:  # the same person's code just sent for another box
        return redirect(url_for("certs.identity", m="elsewhere"))
    return redirect(url_for("certs.identity", m=result.reason))


def _locked(message, f):
    return _calm("잠시 잠겼습니다", svc(message), "처음 화면으로 돌아가 잠시 뒤에 다시 해 주세요.",
                 url_for("tv.home"), "처음 화면")


@bp.post("/identity/check")
@tv_device_required
@needs("type", "resident_id")
def identity_check(f):
    form = CodeForm()
    if not form.validate():  # nothing typed: not a try
        return redirect(url_for("certs.identity", m="empty"))
    if certs.take_approval(rt(), g.device.id, f.get("id"), f["resident_id"]):  # the phone said yes meanwhile
        f.update(verified=True, verified_by="sms-reply")
        _save(f)
        return redirect(url_for("certs.delivery"))
    result = certs.check_identity_code_on(rt(), g.device.id, f.get("id"), f["resident_id"], form.code.data)
    if result.ok:
        f.update(verified=True, verified_by="tv-code")
        _save(f)
        return redirect(url_for("certs.delivery"))
    if result.reason == "locked":
        return _locked(result.message, f)
    if result.reason == "expired":
        f["code_sent"] = False
        _save(f)
    return redirect(url_for("certs.identity", m=result.reason, left=result.attempts_left))


@bp.get("/delivery")
@tv_device_required
@needs("type", "resident_id")
def delivery(f):
    if f.get("submitted"):  # a one-press request made already (a reload, a second OK): show it again
        return redirect(url_for("certs.done", receipt_no=f["submitted"]))
    if not f.get("verified"):
        return redirect(url_for("certs.catalogue_list"))
    if f.get("preset"):  # one press (a repeat, a remembered place): approved, so made
        return _submit_preset(f)
    return _delivery_screen(f, forgot=request.args.get("m") == "forgot")


def _delivery_screen(f, error: str = "", forgot: bool = False, status: int = 200):
    # as many remembered numbers as fit the screen at the box's text size (the one used last first)
    saved = destinations.household_destinations(rt(), g.household.id)[:SAVED_SHOWN.get(g.device.text_size, 1)]
    registered = certs.resident_email(rt(), f["resident_id"])
    return render_template("certificates/delivery.html", ctype=catalogue.get(f["type"]), flow_id=f.get("id"),
                           saved=saved, registered=mask_email(registered) if registered else None,
                           error=error, forgot=forgot), status


@bp.post("/delivery/saved")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_saved(f):
    """One press on a remembered place: the registered email or a remembered fax number."""
    form = PlaceForm()
    if not form.validate():
        return redirect(url_for("certs.delivery"))
    try:
        method, address = certs.place_address(rt(), g.household.id, f["resident_id"], form.place.data)
    except certs.FlowError as e:  # the screen again with the reason (never in the URL: it may quote a number)
        return _delivery_screen(f, error=e.message, status=422)
    f.update(method=method, address=address)
    if method == "fax":
        f["fax"] = "".join(ch for ch in address if ch.isdigit())
    _save(f)
    return redirect(url_for("certs.confirm"))


@bp.post("/destinations/<int:destination_id>/forget")
@tv_device_required
def destination_forget(destination_id):
    destinations.forget(rt(), g.household.id, destination_id)
    return redirect(url_for("certs.delivery", m="forgot"))


@bp.get("/destinations/<int:destination_id>/name")
@tv_device_required
def destination_name(destination_id):
    """A QR code for the phone page that names a remembered number; the
    screen goes back to the list by itself once the name is given."""
    try:
        token = destinations.start_naming(rt(), g.household.id, destination_id)
    except destinations.DestinationError as e:
        return _calm("저장된 번호가 없습니다", e.message, "받는 곳 목록으로 돌아가 주세요.",
                     url_for("certs.delivery"), "받는 곳 고르기", 404)
    saved = next((d for d in destinations.household_destinations(rt(), g.household.id)
                  if d.id == destination_id), None)
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/") or request.host_url.rstrip("/")
    return render_template("certificates/name.html", dest=saved, url=base + url_for("mobile.name_page", token=token),
                           poll=url_for("certs.destination_name_poll", token=token),
                           back=url_for("certs.delivery"))


@bp.get("/destinations/name/<token>.json")
@tv_device_required
def destination_name_poll(token):
    return jsonify(done=destinations.naming_done(rt(), token, g.household.id), next=url_for("certs.delivery"))


def _preset(plan) -> None:
    """Start a request's flow with everything chosen but the identity check."""
    _save({"type": plan.cert_type, "resident_id": plan.resident_id, "id": _new_id(), "options": plan.options,
           "preset": {"method": plan.method, "address": plan.address},
           "client_token": secrets.token_urlsafe(24)})


def _submit_preset(f):
    f.update(method=f["preset"]["method"], address=f["preset"]["address"])
    try:
        rid, receipt, created = certs.submit_request(
            rt(), client_token=f["client_token"], household_id=g.household.id,
            resident_id=f["resident_id"], cert_type=f["type"], options=f.get("options", {}),
            method=f["method"], address=f["address"], verified_by=f.get("verified_by", ""))
    except certs.FlowError as e:
        f.pop("preset", None)
        _save(f)
        return _calm("신청할 수 없습니다", e.message, "받는 곳을 다시 골라 주세요.",
                     url_for("certs.delivery"), "받는 곳 고르기", 422)
    if created:
        certs.start(rt(), rid)
    # what was made, for a reload or a second OK on the way here (a new request starts afresh: who_post)
    _save({"type": f["type"], "resident_id": f["resident_id"], "id": f.get("id"), "submitted": receipt})
    return redirect(url_for("certs.done", receipt_no=receipt))


@bp.get("/repeat/<receipt_no>")
@tv_device_required
def repeat(receipt_no):
    """같은 증명서 다시 받기: the same certificate, person, options and
    destination, as a new request, after the identity check."""
    return _planned("다시 받을 수 없습니다", certs.repeat_plan, g.household.id, receipt_no[:32])


@bp.get("/quick/<cert_type>/<int:resident_id>/<place>")
@tv_device_required
def quick(cert_type, resident_id, place):
    """A certificate to a remembered place in one press (the 납세증명서 after paying)."""
    return _planned("바로 신청할 수 없습니다", certs.quick_plan, g.household.id, resident_id, cert_type, place[:16])


def _planned(refused, make_plan, *args):
    """A request planned whole (repeat, one press): straight to the identity check, or a calm refusal."""
    try:
        plan = make_plan(rt(), *args)
    except certs.FlowError as e:
        return _calm(refused, e.message, "처음부터 신청해 주세요.",
                     url_for("certs.catalogue_list"), "증명서 목록", 422)
    _preset(plan)
    return redirect(url_for("certs.identity"))


@bp.get("/delivery/fax")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_fax(f):
    recent = certs.household_recent_fax(rt(), g.household.id)
    f["recent"] = recent
    _save(f)
    return render_template("certificates/fax.html", recent=recent,
                           value=f.get("fax", ""), error=request.args.get("error", ""), flow_id=f.get("id"))


@bp.post("/delivery/fax")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_fax_post(f):
    form = FaxForm(recent_numbers=f.get("recent", []))
    if not form.validate():
        f["fax"] = "".join(ch for ch in form.raw if ch.isdigit())[:12]
        _save(f)
        return render_template("certificates/fax.html", recent=[], value=f["fax"], error=form.error,
                               flow_id=f.get("id")), 422
    number = form.number
    f.update(method="fax", address=number, fax="".join(ch for ch in number if ch.isdigit()))
    _save(f)
    return redirect(url_for("certs.confirm"))


@bp.get("/delivery/email")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_email(f):
    registered = certs.resident_email(rt(), f["resident_id"])
    token = handoff.start(rt(), owner=str(g.device.id), field="email", kind="email")
    return render_template("certificates/email.html", registered=mask_email(registered) if registered else None,
                           handoff=handoff_context(token), error=request.args.get("error", ""),
                           flow_id=f.get("id"))


@bp.post("/delivery/email")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_email_post(f):
    form = EmailForm(registered=lambda: certs.resident_email(rt(), f["resident_id"]))
    if not form.validate():
        return redirect(url_for("certs.delivery_email", error=form.error))
    f.update(method="email", address=form.address)
    _save(f)
    return redirect(url_for("certs.confirm"))


@bp.get("/confirm")
@tv_device_required
@needs("type", "resident_id", "verified", "method", "address")
def confirm(f):
    # The request's identity is fixed when the confirm screen is shown:
    # pressing OK twice (or reloading) cannot make two requests.
    if not f.get("client_token"):
        f["client_token"] = secrets.token_urlsafe(24)
        _save(f)
    person = certs.resident_choice(rt(), g.household.id, f["resident_id"])
    return render_template("certificates/confirm.html", ctype=catalogue.get(f["type"]), person=person,
                           method=f["method"], shown=_shown(f["method"], f["address"]), options=f.get("options", {}),
                           token=f["client_token"], flow_id=f.get("id"))


@bp.get("/preview.png")
@tv_device_required
def preview_image():
    f = _flow()
    if not {"type", "resident_id", "verified"} <= set(f):
        return Response(status=404)
    try:
        png = certs.preview_of(rt(), g.household.id, f["resident_id"], f["type"], f.get("options", {}))
    except certs.FlowError:
        return current_app.send_static_file("certificates/preview-unavailable.svg")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


@bp.post("/confirm")
@tv_device_required
def confirm_post():
    f = _flow()
    form = ConfirmForm()
    form.validate()
    token = form.token.data
    if token and f.get("client_token") != token:
        # An old confirm screen (already submitted): show what it made, if anything.
        receipt = certs.receipt_of_token(rt(), token, g.household.id)
        if receipt is not None:
            return redirect(url_for("certs.done", receipt_no=receipt))
        return redirect(url_for("certs.catalogue_list"))
    missing = _need(f, "type", "resident_id", "verified", "method", "address", "client_token")
    if missing:
        return missing
    try:
        rid, receipt, created = certs.submit_request(
            rt(), client_token=f["client_token"], household_id=g.household.id,
            resident_id=f["resident_id"], cert_type=f["type"], options=f.get("options", {}),
            method=f["method"], address=f["address"], verified_by=f.get("verified_by", ""))
    except certs.FlowError as e:
        return _calm("신청할 수 없습니다", e.message, "앞 화면으로 돌아가 고쳐 주세요.",
                     url_for("certs.delivery"), "받는 방법 고르기", 422)
    if created:
        certs.start(rt(), rid)
    FLOW.clear()
    return redirect(url_for("certs.done", receipt_no=receipt))


@bp.get("/done/<receipt_no>")
@tv_device_required
def done(receipt_no):
    req, rows = ledger.receipt_with_timeline(rt(), receipt_no, g.household.id)
    if req is None:
        return _calm("접수번호를 찾을 수 없습니다", "이 TV에서 신청한 민원이 아닙니다.", "나의 민원에서 확인해 주세요.",
                     url_for("tv.requests_list"), "나의 민원", 404)
    steps, hidden = timeline_steps(rows)
    ctype = catalogue.get(req.options.get("certificate_type"))
    method, shown = req.delivery_method, req.delivery_address_masked
    return render_template("certificates/done.html", receipt_no=receipt_no, steps=steps, hidden=hidden,
                           ctype=ctype, method=method, shown=shown)


@bp.get("/resend/<receipt_no>")
@tv_device_required
def resend(receipt_no):
    """A failed request, again by the other method (identity was checked for it,
    and the new request's timeline says how)."""
    plan = certs.resend_plan(rt(), g.household.id, receipt_no[:32])
    if plan is None:
        return redirect(url_for("tv.requests_list"))
    _save({"type": plan.cert_type, "resident_id": plan.resident_id, "verified": True,
           "verified_by": plan.verified_by, "id": _new_id(), "options": plan.options})
    return redirect(url_for("certs.delivery_fax" if plan.method == "fax" else "certs.delivery_email"))
