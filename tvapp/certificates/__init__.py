"""증명서 발급 on the TV: choose a certificate, whose, its options; identity by
a one-time SMS code typed with the number keys; fax or email; confirm with a
masked preview of the first page; the receipt and the first timeline steps.

Views validate, call services.certificates.requests, and render."""

from __future__ import annotations

import functools
import secrets

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext

from services import ledger
from services.certificates import catalogue
from services.certificates import requests as certs
from services.korean import eul, iga
from services.models import Request
from tvapp.caching import household_screen, shared_screen
from tvapp.certificates import flow as flows
from tvapp.tv.device import tv_device_required

bp = Blueprint("certs", __name__, url_prefix="/tv/certificates")


def rt():
    return current_app.extensions["runtime"]


def _flow() -> dict:
    return flows.load(rt(), g.device.id)


def _save(f: dict) -> None:
    flows.save(rt(), g.device.id, f)


def _calm(title, text, next_text, href, label, status=200):
    """A calm screen; the Korean texts are msgids (English from the catalogue)."""
    title, text, next_text, label = (gettext(t) if t else t for t in (title, text, next_text, label))
    return render_template("certificates/calm.html", title=title, text=text, next_text=next_text,
                           href=href, label=label), status


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
@household_screen(flow=flows.key, form=True)  # the household's residents; the box's choices
def who(cert_type):
    if cert_type not in catalogue.BY_CODE:
        return _calm("없는 증명서입니다", "선택하신 증명서를 찾을 수 없습니다.", "목록에서 다시 골라 주세요.",
                     url_for("certs.catalogue_list"), "증명서 목록", 404)
    f = _flow()  # read only: choosing whose starts (or restarts) the request's flow
    chosen = f.get("resident_id") if f.get("type") == cert_type else None
    with rt().session() as s:
        people = certs.residents(s, rt(), g.household.id)
    return render_template("certificates/who.html", ctype=catalogue.get(cert_type), people=people,
                           chosen=chosen)


@bp.post("/<cert_type>/who")
@tv_device_required
def who_post(cert_type):
    if cert_type not in catalogue.BY_CODE:
        return redirect(url_for("certs.catalogue_list"))
    f = _flow()
    try:
        rid = int(request.form.get("resident_id", ""))
        with rt().session() as s:
            certs.resident_in_household(s, g.household.id, rid)
    except (ValueError, certs.FlowError):
        return redirect(url_for("certs.who", cert_type=cert_type))
    if f.get("type") != cert_type or f.get("resident_id") != rid:  # another request, or another person
        f = {"type": cert_type, "resident_id": rid}
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
    fields = []
    try:
        with rt().session() as s:
            for opt in ctype.options:
                if opt.source:
                    choices = certs.property_choices(s, rt(), g.household.id, f["resident_id"], opt.source)
                    if not choices:
                        what = "토지" if opt.source == "parcels" else "건축물"
                        return _calm("%s 없습니다" % iga(what),
                                     "이 분 명의로 등록된 %s 없어 %s 발급할 수 없습니다." % (iga(what), eul(ctype.name_ko)),
                                     "다른 분을 고르거나 다른 증명서를 골라 주세요.",
                                     url_for("certs.who", cert_type=cert_type), "다른 분 고르기")
                else:
                    choices = [(c.value, c.label_ko) for c in opt.choices]
                fields.append((opt, choices))
    except certs.FlowError as e:
        return _calm("지금은 진행할 수 없습니다", e.message, "잠시 뒤에 다시 해 주세요.",
                     url_for("certs.catalogue_list"), "증명서 목록", 503)
    if not fields:
        return redirect(url_for("certs.identity"))
    return render_template("certificates/options.html", ctype=ctype, fields=fields,
                           chosen=f.get("options", {}))


@bp.post("/<cert_type>/options")
@tv_device_required
def options_post(cert_type):
    f = _flow()
    if f.get("type") != cert_type or "resident_id" not in f:
        return redirect(url_for("certs.catalogue_list"))
    ctype = catalogue.get(cert_type)
    chosen = {}
    for opt in ctype.options:
        value = request.form.get(opt.name, "")
        if opt.choices and value not in {c.value for c in opt.choices}:
            value = opt.choices[0].value
        if not value:
            return redirect(url_for("certs.options", cert_type=cert_type))
        if opt.source:  # a parcel or building: only one the screen could have offered (issue 19)
            try:
                with rt().session() as s:
                    offered = {v for v, _ in certs.property_choices(s, rt(), g.household.id,
                                                                     f["resident_id"], opt.source)}
            except certs.FlowError:
                offered = set()
            if value not in offered:
                return redirect(url_for("certs.options", cert_type=cert_type))
        chosen[opt.name] = value[:64]
    f["options"] = chosen
    _save(f)
    return redirect(url_for("certs.identity"))


@bp.get("/identity")
@tv_device_required
@needs("type", "resident_id")
def identity(f):
    if f.get("verified"):
        return redirect(url_for("certs.delivery"))
    with rt().session() as s:
        person = next(p for p in certs.residents(s, rt(), g.household.id) if p.id == f["resident_id"])
    return render_template("certificates/identity.html", ctype=catalogue.get(f["type"]), person=person,
                           message=request.args.get("m", ""), sent=f.get("code_sent", False))


@bp.post("/identity/send")
@tv_device_required
@needs("type", "resident_id")
def identity_send(f):
    try:
        with rt().session() as s:
            result = certs.send_identity_code(s, rt(), g.household.id, f["resident_id"])
    except certs.FlowError as e:
        return _calm("본인 확인을 할 수 없습니다", e.message, "다른 분을 고르실 수 있습니다.",
                     url_for("certs.who", cert_type=f["type"]), "다른 분 고르기")
    if result.ok:
        f["code_sent"] = True
        _save(f)
    if result.reason == "locked":
        return _locked(result.message, f)
    return redirect(url_for("certs.identity", m=result.reason))


def _locked(message, f):
    return _calm("잠시 잠겼습니다", message, "처음 화면으로 돌아가 잠시 뒤에 다시 해 주세요.",
                 url_for("tv.home"), "처음 화면")


@bp.post("/identity/check")
@tv_device_required
@needs("type", "resident_id")
def identity_check(f):
    result = certs.check_identity_code(rt(), f["resident_id"], request.form.get("code", ""))
    if result.ok:
        f["verified"] = True
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
@needs("type", "resident_id", "verified")
def delivery(f):
    return render_template("certificates/delivery.html", ctype=catalogue.get(f["type"]))


@bp.get("/delivery/fax")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_fax(f):
    with rt().session() as s:
        recent = certs.recent_fax_numbers(s, rt(), g.household.id)
    from services.pii import mask_phone

    f["recent"] = recent
    _save(f)
    return render_template("certificates/fax.html", recent=[mask_phone(n) for n in recent],
                           value=f.get("fax", ""), error=request.args.get("error", ""))


@bp.post("/delivery/fax")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_fax_post(f):
    pick = request.form.get("recent")
    raw = f.get("recent", [])[int(pick)] if pick and pick.isdigit() and int(pick) < len(f.get("recent", [])) \
        else request.form.get("fax", "")
    try:
        number = certs.check_fax_number(raw)
    except certs.FlowError as e:
        f["fax"] = "".join(ch for ch in raw if ch.isdigit())[:12]
        _save(f)
        return render_template("certificates/fax.html", recent=[], value=f["fax"], error=e.message), 422
    f.update(method="fax", address=number, fax="".join(ch for ch in number if ch.isdigit()))
    _save(f)
    return redirect(url_for("certs.confirm"))


@bp.get("/delivery/email")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_email(f):
    from services import handoff
    from services.pii import mask_email
    from tvapp.tv.views import handoff_context

    with rt().session() as s:
        registered = certs.registered_email(s, rt(), f["resident_id"])
    token = handoff.start(rt(), owner=str(g.device.id), field="email", kind="email")
    return render_template("certificates/email.html", registered=mask_email(registered) if registered else None,
                           handoff=handoff_context(token), error=request.args.get("error", ""))


@bp.post("/delivery/email")
@tv_device_required
@needs("type", "resident_id", "verified")
def delivery_email_post(f):
    if request.form.get("use") == "registered":
        with rt().session() as s:
            address = certs.registered_email(s, rt(), f["resident_id"])
    else:
        address = request.form.get("email", "")
    try:
        address = certs.check_email(address or "")
    except certs.FlowError as e:
        return redirect(url_for("certs.delivery_email", error=e.message))
    f.update(method="email", address=address)
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
    from services.pii import mask_email, mask_phone

    with rt().session() as s:
        person = next(p for p in certs.residents(s, rt(), g.household.id) if p.id == f["resident_id"])
    shown = mask_phone(f["address"]) if f["method"] == "fax" else mask_email(f["address"])
    return render_template("certificates/confirm.html", ctype=catalogue.get(f["type"]), person=person,
                           method=f["method"], shown=shown, options=f.get("options", {}),
                           token=f["client_token"])


@bp.get("/preview.png")
@tv_device_required
def preview_image():
    f = _flow()
    if not {"type", "resident_id", "verified"} <= set(f):
        return Response(status=404)
    try:
        with rt().session() as s:
            png = certs.preview(s, rt(), g.household.id, f["resident_id"], f["type"], f.get("options", {}))
    except certs.FlowError:
        return current_app.send_static_file("certificates/preview-unavailable.svg")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


@bp.post("/confirm")
@tv_device_required
def confirm_post():
    f = _flow()
    token = request.form.get("token", "")
    if token and f.get("client_token") != token:
        # An old confirm screen (already submitted): show what it made, if anything.
        with rt().session() as s:
            done = s.query(Request).filter_by(client_token=token, household_id=g.household.id).one_or_none()
            if done is not None:
                return redirect(url_for("certs.done", receipt_no=done.receipt_no))
        return redirect(url_for("certs.catalogue_list"))
    missing = _need(f, "type", "resident_id", "verified", "method", "address", "client_token")
    if missing:
        return missing
    try:
        with rt().session() as s:
            req, created = certs.submit(
                s, rt(), client_token=f["client_token"], household_id=g.household.id,
                resident_id=f["resident_id"], cert_type=f["type"], options=f.get("options", {}),
                method=f["method"], address=f["address"])
            rid, receipt = req.id, req.receipt_no
    except certs.FlowError as e:
        return _calm("신청할 수 없습니다", e.message, "앞 화면으로 돌아가 고쳐 주세요.",
                     url_for("certs.delivery"), "받는 방법 고르기", 422)
    if created:
        certs.start(rt(), rid)
    flows.clear(rt(), g.device.id)
    return redirect(url_for("certs.done", receipt_no=receipt))


@bp.get("/done/<receipt_no>")
@tv_device_required
def done(receipt_no):
    from tvapp.tv.labels import timeline_steps

    with rt().session() as s:
        req = ledger.get_by_receipt(s, receipt_no, household_id=g.household.id)
        if req is None:
            return _calm("접수번호를 찾을 수 없습니다", "이 TV에서 신청한 민원이 아닙니다.", "나의 민원에서 확인해 주세요.",
                         url_for("tv.requests_list"), "나의 민원", 404)
        steps, hidden = timeline_steps(ledger.timeline(s, req.id))
        ctype = catalogue.get(req.options.get("certificate_type"))
        method, shown = req.delivery_method, req.delivery_address_masked
    return render_template("certificates/done.html", receipt_no=receipt_no, steps=steps, hidden=hidden,
                           ctype=ctype, method=method, shown=shown)


@bp.get("/resend/<receipt_no>")
@tv_device_required
def resend(receipt_no):
    """A failed request, again by the other method (identity was checked for it)."""
    with rt().session() as s:
        req = ledger.get_by_receipt(s, receipt_no, household_id=g.household.id)
        if req is None or req.status != "failed" or req.kind != "certificate":
            return redirect(url_for("tv.requests_list"))
        f = {"type": req.options["certificate_type"], "resident_id": req.resident_id, "verified": True,
             "options": {k: v for k, v in req.options.items() if k != "certificate_type"}}
        other = "email" if req.delivery_method == "fax" else "fax"
    _save(f)
    return redirect(url_for("certs.delivery_fax" if other == "fax" else "certs.delivery_email"))
