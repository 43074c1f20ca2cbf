"""Screens: bills -> bill (how to pay, where the receipt goes) -> card on the
TV / QR for the phone / virtual account -> result (with the timeline, the
receipt, and the way to the 납세증명서).

Each POST is read through a form of ``tvapp.taxes.forms``; the database
sessions are the services' (``services.taxes.payments``, ``services.ledger``)."""

from __future__ import annotations

import math

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from services import destinations
from services.certificates import requests as certs
from services.pii import mask_email, mask_phone
from services.taxes import bills as bills_mod
from services.taxes import payments
from tvapp.caching import household_screen
from tvapp.errors import calm
from tvapp.flow import Flow
from tvapp.taxes import bp
from tvapp.taxes.forms import CardForm, ReceiptForm
from tvapp.tv.device import tv_device_required
from tvapp.tv.labels import timeline_steps
from tvapp.tv.service_texts import svc


def won(n: int) -> str:
    """An amount as the screen's language writes it: 10,300원, or KRW 10,300."""
    if get_locale() is not None and get_locale().language == "en":
        return "KRW {:,}".format(int(n))
    return bills_mod.won(n)

PER_PAGE = 4


def rt():
    return current_app.extensions["runtime"]


FLOW = Flow("taxflow")  # where a bill's receipt goes, per box


def _flow() -> dict:
    return FLOW.load()


def _save(f: dict) -> None:
    FLOW.save(f)  # the screens that show where a receipt goes have the flow in their validator


def _calm(title, text, next_text, href, label, status=200):
    return calm("지방세", title, text, next_text, href, label, status)


def _bills(fresh: bool = False):
    return bills_mod.household_bills(rt(), g.household.code, fresh=fresh)


def _down(e):
    return _calm("지금은 고지서를 볼 수 없습니다", e.message, "잠시 뒤에 다시 해 주세요. 아무것도 결제되지 않았습니다.",
                 url_for("tv.home"), "처음 화면", 503)


def _bill_or_redirect(epay_no, fresh: bool = False):
    """One bill; ``fresh`` asks the back end now (the phone and account
    screens do; the lists, a bill's own screen and the card screen show the
    copy kept up to ``bills.CACHE_SECONDS``, as their validators do: the card
    is charged only after ``payments.pay_card`` has asked the back end)."""
    try:
        bill = bills_mod.find(_bills(fresh=fresh), epay_no)
    except bills_mod.BillsUnavailable as e:
        return None, _down(e)
    if bill is None:
        return None, _calm("고지서를 찾을 수 없습니다", "이 댁의 고지서가 아닙니다.", "목록에서 다시 골라 주세요.",
                           url_for("taxes.bill_list"), "고지서 목록", 404)
    if bill.paid:
        return None, redirect(url_for("taxes.history"))
    return bill, None


def _delivery(bill) -> dict:
    """Where the receipt goes: the resident's choice, else the payer's registered email."""
    f = _flow()
    chosen = (f.get("delivery") or {}).get(bill.epay_no)
    if chosen:
        return chosen
    address = payments.payer_email(rt(), g.household.id, bill.payer_ref)
    return {"method": "email", "address": address} if address else {"method": "none"}


def _shown(d: dict) -> str:
    """Where the receipt goes, as the screen's language says it (메일 / Email yo***@example.com)."""
    if d.get("method") == "email":
        return "%s %s" % (gettext("메일"), mask_email(d["address"]))
    if d.get("method") == "fax":
        return "%s %s" % (gettext("팩스"), mask_phone(d["address"]))
    return gettext("받지 않음")


def _shown_order(p: payments.Prepared) -> str:
    """Where an order sends its receipt, as :func:`_shown` says it (the order keeps it masked)."""
    if p.delivery_method in ("email", "fax") and p.delivery_masked:
        return "%s %s" % (gettext("메일") if p.delivery_method == "email" else gettext("팩스"), p.delivery_masked)
    return gettext("받지 않음")


def _pages(items, page):
    pages = max(1, math.ceil(len(items) / PER_PAGE))
    page = min(max(1, page), pages)
    return items[(page - 1) * PER_PAGE: page * PER_PAGE], page, pages


# -- bills ----------------------------------------------------------------------

@bp.get("/")
@tv_device_required
@household_screen(bills=True)
def bill_list():
    try:
        all_bills = _bills()
    except bills_mod.BillsUnavailable as e:
        return _down(e)
    unpaid = [b for b in all_bills if not b.paid]
    items, page, pages = _pages(unpaid, request.args.get("page", 1, type=int))
    return render_template("taxes/bills.html", bills=items, page=page, pages=pages,
                           paid_count=len(all_bills) - len(unpaid), count=len(unpaid),
                           total=sum(b.total for b in unpaid), won=won,
                           page_url=lambda n: url_for("taxes.bill_list", page=n))


@bp.get("/history")
@tv_device_required
@household_screen(bills=True)
def history():
    try:
        paid = [b for b in _bills() if b.paid]
    except bills_mod.BillsUnavailable as e:
        return _down(e)
    items, page, pages = _pages(paid, request.args.get("page", 1, type=int))
    return render_template("taxes/history.html", bills=items, page=page, pages=pages, won=won,
                           page_url=lambda n: url_for("taxes.history", page=n))


@bp.get("/bill/<epay_no>")
@tv_device_required
@household_screen(bills=True, flow=FLOW.key)
def bill(epay_no):
    b, other = _bill_or_redirect(epay_no)
    if other:
        return other
    return render_template("taxes/bill.html", bill=b, won=won, receipt_to=_shown(_delivery(b)))


@bp.get("/bill/<epay_no>/receipt")
@tv_device_required
def receipt_to(epay_no):
    b, other = _bill_or_redirect(epay_no)
    if other:
        return other
    return _receipt_screen(b, request.args.get("error", ""))


def _receipt_screen(b, error="", status=200):
    address = payments.payer_email(rt(), g.household.id, b.payer_ref)
    registered = mask_email(address) if address else None
    saved = [d for d in destinations.household_destinations(rt(), g.household.id)
             if d.usable][:2 if g.device.text_size == "normal" else 1]  # as many as fit
    return render_template("taxes/receipt_to.html", bill=b, registered=registered, saved=saved,
                           error=error), status


@bp.post("/bill/<epay_no>/receipt")
@tv_device_required
def receipt_to_post(epay_no):
    b, other = _bill_or_redirect(epay_no)
    if other:
        return other
    form = ReceiptForm()
    if not form.validate():
        return redirect(url_for("taxes.receipt_to", epay_no=epay_no, error=form.error))
    use = form.use.data
    if use == "email":
        address = payments.payer_email(rt(), g.household.id, b.payer_ref)
        choice = {"method": "email", "address": address} if address else {"method": "none"}
    elif use == "fax":
        choice = {"method": "fax", "address": form.number}
        destinations.remember_number(rt(), g.household.id, form.number)
    elif use == "saved" and form.place.data:
        try:
            choice = {"method": "fax", "address": destinations.number_of(rt(), g.household.id,
                                                                          int(form.place.data[1:]))}
        except destinations.DestinationError as e:
            return _receipt_screen(b, e.message, 422)
    else:
        choice = {"method": "none"}
    f = _flow()
    f.setdefault("delivery", {})[epay_no] = choice
    _save(f)
    return redirect(url_for("taxes.bill", epay_no=epay_no))


def _open_order(epay_no, method, open_states=("ready",), fresh=True):
    """The bill and its payment order for a payment screen: ``(bill, order,
    None)`` (``order``: a ``payments.Prepared``), or ``(None, None, response)``
    when the screen must not be shown (no such bill, refused, or the order is
    already decided)."""
    b, other = _bill_or_redirect(epay_no, fresh=fresh)
    if other:
        return None, None, other
    try:
        p = payments.prepare_order(rt(), g.household.id, b, method, _delivery(b))
    except payments.PaymentFlowError as e:
        return None, None, _calm("납부할 수 없습니다", e.message, "고지서 목록에서 확인해 주세요.",
                                 url_for("taxes.bill_list"), "고지서 목록", 409)
    if p.status not in open_states:
        return None, None, redirect(url_for("taxes.result", order_id=p.order_id))
    return b, p, None


@bp.get("/bill/<epay_no>/card")
@tv_device_required
@household_screen(bills=True, flow=FLOW.key, form=True)  # the order is the household's: tax_payments
def card(epay_no):
    b, p, stop = _open_order(epay_no, "card", fresh=False)
    if stop is not None:
        return stop
    return render_template("taxes/card.html", bill=b, order_id=p.order_id, total=p.total, won=won,
                           errors={}, receipt_to=_shown_order(p))


@bp.get("/pay/<order_id>/card")
@tv_device_required
def card_again(order_id):
    """The card screen of an order's bill: where 다시 해 보기 goes after the card was sent and Redis
    did not answer (the calm 503; tvapp.errors retries a form at its own address). The digits
    are typed again: they are never kept on the box."""
    epay = payments.epay_of(rt(), order_id, g.household.id)
    if epay is None:
        return redirect(url_for("taxes.bill_list"))
    return redirect(url_for("taxes.card", epay_no=epay))


@bp.post("/pay/<order_id>/card")
@tv_device_required
def card_post(order_id):
    g.typed_not_kept = True  # a calm screen on the way says the card is typed again
    form = CardForm()
    form.validate()  # the card's checks are pay_card's (see tvapp.taxes.forms)
    card_data, shown = form.card(), form.shown_total()
    form.forget()
    try:
        payments.pay_card(rt(), order_id=order_id, household_id=g.household.id, card=card_data, shown_total=shown)
    except payments.PaymentFlowError as e:
        epay = payments.epay_of(rt(), order_id, g.household.id)
        if epay is None:
            return redirect(url_for("taxes.bill_list"))
        b, other = _bill_or_redirect(epay)
        if other:
            return other
        return render_template("taxes/card.html", bill=b, order_id=order_id, total=b.total, won=won,
                               errors=e.fields or {"number": e.message}, receipt_to=_shown(_delivery(b))), 422
    return redirect(url_for("taxes.result", order_id=order_id))


@bp.get("/bill/<epay_no>/phone")
@tv_device_required
def phone(epay_no):
    b, p, stop = _open_order(epay_no, "phone")
    if stop is not None:
        return stop
    order_id, total = p.order_id, p.total
    token = payments.phone_token(rt(), order_id, g.household.id)
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/") or request.host_url.rstrip("/")
    return render_template("taxes/phone.html", bill=b, won=won, total=total,
                           url=base + url_for("mobile.pay", token=token),
                           poll=url_for("taxes.status_json", order_id=order_id),
                           result=url_for("taxes.result", order_id=order_id))


@bp.get("/bill/<epay_no>/account")
@tv_device_required
def account(epay_no):
    b, p, stop = _open_order(epay_no, "virtual_account", open_states=("ready", "waiting"))
    if stop is not None:
        return stop
    order_id, total = p.order_id, p.total
    result = payments.open_virtual_account(rt(), order_id=order_id, household_id=g.household.id)
    if result.status != "waiting":
        return _calm("가상계좌를 만들지 못했습니다", result.message, "잠시 뒤에 다시 해 주세요.",
                     url_for("taxes.bill", epay_no=epay_no), "고지서로 돌아가기", 503)
    bank, number = payments.virtual_account(rt(), order_id, g.household.id)
    grouped = "-".join([number[:4], number[4:8], number[8:]]) if number else ""
    return render_template("taxes/account.html", bill=b, won=won, total=total, bank=bank,
                           number=grouped, receipt_no=result.receipt_no,
                           poll=url_for("taxes.status_json", order_id=order_id),
                           result=url_for("taxes.result", order_id=order_id))


# -- result ---------------------------------------------------------------------

@bp.get("/pay/<order_id>/status.json")
@tv_device_required
def status_json(order_id):
    r = payments.status(rt(), order_id, g.household.id)
    if r is None:
        return jsonify(error="not_found"), 404
    done = r.status not in ("ready", "processing", "waiting")
    return jsonify(status=r.status, done=done, message=svc(r.message))


@bp.get("/result/<order_id>")
@tv_device_required
def result(order_id):
    screen = payments.result_screen(rt(), order_id, g.household.id)
    if screen is None:
        return _calm("납부 기록을 찾을 수 없습니다", "이 TV에서 한 납부가 아닙니다.", "나의 민원에서 확인해 주세요.",
                     url_for("tv.requests_list"), "나의 민원", 404)
    r = screen.outcome
    steps, hidden = timeline_steps(screen.timeline) if screen.timeline is not None else ([], 0)
    # the 납세증명서 in one press, to the first remembered place (a fax number used before, the registered email)
    place = None
    if r.status == "paid" and screen.payer_id is not None:
        place = next(iter(certs.places_for(rt(), g.household.id, screen.payer_id)), None)
    return render_template("taxes/result.html", r=r, steps=steps, hidden=hidden, won=won,
                           place=place, payer_id=screen.payer_id,
                           delivery=screen.delivery_masked, method=screen.delivery_method,
                           poll=url_for("taxes.status_json", order_id=order_id) if not r.final else None)
