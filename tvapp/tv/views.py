"""TV screens: home, pairing, my requests, settings and help, the simulator."""

from __future__ import annotations

import logging
import math

from flask import (
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from services import handoff, ledger, pairing
from services.households import get_household, sync_household
from tvapp.caching import household_screen, shared_screen
from tvapp.tv import bp
from tvapp.tv.device import (
    LANGS,
    TEXT_SIZES,
    load_device,
    runtime,
    tv_device_required,
    update_device,
)
from tvapp.tv.labels import kind_label, status_label, timeline_steps, when

log = logging.getLogger(__name__)

PER_PAGE = 6
MAX_REQUESTS = 400
SIMULATOR_HOUSEHOLD = "1144012-0001"


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


# ------------------------------------------------------------------ home
@bp.get("/")
@tv_device_required
@shared_screen
def home():
    return render_template("tv/home.html")


# ------------------------------------------------------------------ pairing
def phone_url(user_code: str) -> str:
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/") or request.host_url.rstrip("/")
    if request.host and request.host.split(":")[0] not in ("localhost",):
        base = request.host_url.rstrip("/")
    return base + url_for("mobile.pair", code=pairing.format_code(user_code))


@bp.get("/pair")
@tv_device_required(paired=False)
def pair():
    if g.device.paired and g.household is not None:
        return redirect(url_for("tv.home"))
    p = pairing.start(runtime().redis, g.device.id)
    return render_template("tv/pair.html", pairing=p, url=phone_url(p.user_code))


@bp.get("/pair/poll")
@tv_device_required(paired=False)
def pair_poll():
    if g.device.paired:
        return jsonify(status=pairing.PAIRED, next=url_for("tv.home"))
    answer = pairing.poll(runtime().redis, g.device.id)
    if answer["status"] == pairing.PAIRED:
        answer["next"] = url_for("tv.home")
    return jsonify(answer)


# ------------------------------------------------------------------ my requests
@bp.get("/requests/")
@tv_device_required
@household_screen()
def requests_list():
    page = page_arg()
    with runtime().session() as s:
        rows = ledger.list_requests(s, g.household.id, limit=MAX_REQUESTS)
        pages = max(1, math.ceil(len(rows) / PER_PAGE))
        page = min(page, pages)
        items = [{"receipt_no": r.receipt_no, "kind": kind_label(r), "status": status_label(r.status),
                  "tone": "bad" if r.status in ("failed", "cancelled") else
                  "done" if r.status in ("delivered", "completed") else "now",
                  "when": when(r.created_at),
                  "href": url_for("tv.request_detail", receipt_no=r.receipt_no,
                                  **({"from": page} if page > 1 else {}))}
                 for r in rows[(page - 1) * PER_PAGE:page * PER_PAGE]]
    return render_template("tv/requests.html", items=items, page=page, pages=pages,
                           page_url=lambda n: url_for("tv.requests_list", page=n))


@bp.get("/requests/<receipt_no>")
@tv_device_required
@household_screen()
def request_detail(receipt_no):
    if len(receipt_no) > 32:
        abort(404)
    with runtime().session() as s:
        r = ledger.get_by_receipt(s, receipt_no, household_id=g.household.id)
        if r is None:
            abort(404)
        steps, hidden = timeline_steps(ledger.timeline(s, r.id))
        req = {"receipt_no": r.receipt_no, "kind": kind_label(r), "status": status_label(r.status),
               "when": when(r.created_at), "delivery": r.delivery_method,
               "address": r.delivery_address_masked or "",
               "resend": r.kind == "certificate" and r.status == "failed"
               and r.delivery_method in ("fax", "email")}
    back = request.args.get("from", "")
    parent = url_for("tv.requests_list", page=int(back)) if back.isdigit() else url_for("tv.requests_list")
    return render_template("tv/request_detail.html", req=req, steps=steps, hidden=hidden,
                           parent=parent)


# ------------------------------------------------------------------ settings and help
@bp.get("/settings/")
@tv_device_required
def settings():
    return render_template("tv/settings.html", langs=LANGS, sizes=TEXT_SIZES)


@bp.post("/settings/lang")
@tv_device_required
def settings_lang():
    lang = request.form.get("lang", "")
    if lang in LANGS:
        update_device(lang=lang)
    return redirect(url_for("tv.settings"))


@bp.post("/settings/text-size")
@tv_device_required
def settings_text_size():
    size = request.form.get("size", "")
    if size in TEXT_SIZES:
        update_device(text_size=size)
    return redirect(url_for("tv.settings"))


@bp.post("/settings/unpair")
@tv_device_required
def settings_unpair():
    with runtime().session() as s:
        pairing.unpair(s, g.device.id)
    return redirect(url_for("tv.pair"))


@bp.get("/settings/help")
@tv_device_required(paired=False)
def help_remote():
    parent = url_for("tv.settings") if g.device.paired else url_for("tv.pair")
    return render_template("tv/help.html", parent=parent)


@bp.get("/settings/practice")
@tv_device_required
def practice():
    """Try the number pad and the phone hand-off (and the macros' live demo)."""
    token = handoff.start(runtime(), owner=str(g.device.id), field="email", kind="email")
    return render_template("tv/practice.html", handoff=handoff_context(token))


# ------------------------------------------------------------------ hand-off (TV side)
def handoff_context(token: str) -> dict:
    """What the ``handoff_field`` macro needs for a token from ``handoff.start``."""
    base = request.host_url.rstrip("/")
    return {"token": token, "url": base + url_for("mobile.handoff_page", token=token),
            "poll": url_for("tv.handoff_poll", token=token)}


@bp.get("/h/<token>.json")
@tv_device_required
def handoff_poll(token):
    try:
        return jsonify(handoff.get(runtime(), token, owner=str(g.device.id)))
    except handoff.HandoffError:
        return jsonify(error="gone"), 404


# ------------------------------------------------------------------ simulator
@bp.get("/simulator")
def simulator():
    """The app in a 1280x720 frame beside a clickable remote.

    The box starts paired to the first demo household (mirrored from the
    back end if needed). A development page: not there in production."""
    if current_app.config.get("ENV") == "production":
        abort(404)
    device = load_device(create=True)
    if not device.paired:
        with runtime().session() as s:
            hh = get_household(s, SIMULATOR_HOUSEHOLD) or sync_household(s, runtime(), SIMULATOR_HOUSEHOLD)
            hid = hh.id
        update_device(household_id=hid, paired_at=_now())
    start = request.args.get("start", "")
    if not start.startswith("/tv/") or "//" in start or start.startswith("/tv/simulator"):
        start = url_for("tv.home")
    return render_template("tv/simulator.html", start=start)


def _now():
    from services.models import utcnow

    return utcnow()
