"""TV screens: home, pairing, my requests, settings and help, the simulator.

POSTs are read through the forms of ``tvapp.tv.forms``; the database sessions
are the services'."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from urllib.parse import quote

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
from services.households import ensure_household
from services.models import utcnow
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
from tvapp.tv.forms import LangForm, TextSizeForm
from tvapp.tv.labels import kind_text, table, timeline_steps, when

log = logging.getLogger(__name__)

PER_PAGE = 6
#: 크게 and 아주 크게 show a request in two lines, so fewer to a page.
PER_PAGE_BY_SIZE = {"normal": PER_PAGE, "large": 3, "xlarge": 3}
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
    p = pairing.start(runtime().redis, g.device.id,
                      client=runtime().crypto.keyed_hash(request.remote_addr or "-", "pair-codes"))
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
    labels = table()
    per_page = PER_PAGE_BY_SIZE.get(g.device.text_size, PER_PAGE)
    rows, page, count = ledger.household_request_page(runtime(), g.household.id, page_arg(), per_page,
                                                      limit=MAX_REQUESTS)
    pages = max(1, math.ceil(count / per_page))
    now = datetime.now(timezone.utc)
    detail = url_for("tv.request_detail", receipt_no="RECEIPT", **({"from": page} if page > 1 else {}))
    items = [{"receipt_no": r.receipt_no, "kind": kind_text(r.kind, r.certificate_type, labels),
              "status": labels["statuses"].get(r.status, r.status),
              "tone": "bad" if r.status in ("failed", "cancelled") else
              "done" if r.status in ("delivered", "completed") else "now",
              "when": when(r.created_at, now, labels),
              "href": detail.replace("RECEIPT", quote(r.receipt_no, safe=""), 1)}
             for r in rows]
    return render_template("tv/requests.html", items=items, page=page, pages=pages,
                           page_url=lambda n: url_for("tv.requests_list", page=n))


def _other_method_helps(events, method: str) -> bool:
    """The failure says the other way of delivery would help (a fax line that
    refused, a mail box that bounced), not a refusal the other way meets too
    (unpaid taxes, no record)."""
    failed = [e for e in events if e.kind == "failed"]
    offer = (failed[-1].detail or {}).get("offer") if failed else None
    return offer in ("fax", "email") and offer != method


@bp.get("/requests/<receipt_no>")
@tv_device_required
@household_screen()
def request_detail(receipt_no):
    if len(receipt_no) > 32:
        abort(404)
    labels = table()
    r, events = ledger.request_screen(runtime(), receipt_no, g.household.id)
    if r is None:
        abort(404)
    steps, hidden = timeline_steps(events)
    req = {"receipt_no": r.receipt_no, "kind": kind_text(r.kind, r.certificate_type, labels),
           "status": labels["statuses"].get(r.status, r.status),
           "when": when(r.created_at, labels=labels), "delivery": r.delivery_method,
           "address": r.delivery_address_masked or "",
           "resend": r.kind == "certificate" and r.status == "failed"
           and r.delivery_method in ("fax", "email") and _other_method_helps(events, r.delivery_method)}
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
    form = LangForm()
    if form.validate():
        update_device(lang=form.lang.data)
    return redirect(url_for("tv.settings"))


@bp.post("/settings/text-size")
@tv_device_required
def settings_text_size():
    form = TextSizeForm()
    if form.validate():
        update_device(text_size=form.size.data)
    return redirect(url_for("tv.settings"))


@bp.post("/settings/unpair")
@tv_device_required
def settings_unpair():
    pairing.unpair_device(runtime(), g.device.id)
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
    if current_app.config.get("ENV") != "production" and not device.paired:
        hid = ensure_household(runtime(), SIMULATOR_HOUSEHOLD)
        update_device(household_id=hid, paired_at=_now())
    start = request.args.get("start", "")
    if not start.startswith("/tv/") or "//" in start or start.startswith("/tv/simulator"):
        start = url_for("tv.home")
    return render_template("tv/simulator.html", start=start)


def _now():
    return utcnow()
