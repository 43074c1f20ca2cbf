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
from flask_babel import gettext

from services import handoff, ledger, pairing
from services.certificates import requests as certs
from services.households import ensure_household
from services.models import TERMINAL, utcnow
from services.pii import mask_email
from tvapp.caching import household_screen, shared_screen
from tvapp.errors import calm
from tvapp.tv import bp
from tvapp.tv.device import (
    LANGS,
    TEXT_SIZES,
    load_device,
    runtime,
    tv_device_required,
    update_device,
)
from tvapp.tv.forms import LangForm, RequestActionForm, TextSizeForm
from tvapp.tv.labels import kind_text, status_text, table, timeline_steps, when

log = logging.getLogger(__name__)

PER_PAGE = 6
#: 크게 and 아주 크게 show a request in two lines, so fewer to a page.
PER_PAGE_BY_SIZE = {"normal": PER_PAGE, "large": 3, "xlarge": 3}
#: The rows the repeat offer (같은 증명서 다시 받기, two lines) takes from a page, by text size.
OFFER_ROWS = {"normal": 2, "large": 1, "xlarge": 1}
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
    try:
        p = pairing.start(runtime().redis, g.device.id,
                          client=runtime().crypto.keyed_hash(request.remote_addr or "-", "pair-codes"))
    except pairing.PairingError:  # too many codes for this address: what happened, what to press, in both languages
        return calm("이 TV를 우리 집에 연결하기", "지금은 연결 번호를 더 받을 수 없습니다",
                    "연결 번호를 너무 여러 번 받았습니다. 1시간 뒤에 다시 해 주세요.",
                    "1시간 뒤에 확인 버튼을 누르면 새 번호를 받습니다.", url_for("tv.pair"), "다시 해 보기", 429)
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
    offers = certs.repeat_offers(runtime(), g.household.id, limit=1)  # 같은 증명서 다시 받기
    # the offer takes rows' place on every page
    size = g.device.text_size
    per_page = PER_PAGE_BY_SIZE.get(size, PER_PAGE) - len(offers) * OFFER_ROWS.get(size, 1)
    rows, page, count = ledger.household_request_page(runtime(), g.household.id, page_arg(), per_page,
                                                      limit=MAX_REQUESTS)
    pages = max(1, math.ceil(count / per_page))
    now = datetime.now(timezone.utc)
    detail = url_for("tv.request_detail", receipt_no="RECEIPT", **({"from": page} if page > 1 else {}))
    items = [{"receipt_no": r.receipt_no, "kind": kind_text(r.kind, r.certificate_type, labels),
              "status": status_text(r.kind, r.status, labels),
              "tone": "bad" if r.status in ("failed", "cancelled") else
              "done" if r.status in ("delivered", "completed") else "now",
              "when": when(r.created_at, now, labels),
              "href": detail.replace("RECEIPT", quote(r.receipt_no, safe=""), 1)}
             for r in rows]
    return render_template("tv/requests.html", items=items, page=page, pages=pages,
                           offers=[dict(o.__dict__, kind=kind_text("certificate", o.cert_type, labels))
                                   for o in offers] if page == 1 else [],
                           page_url=lambda n: url_for("tv.requests_list", page=n))


def _other_method_helps(events, method: str) -> bool:
    """The failure says the other way of delivery would help (a fax line that
    refused, a mail box that bounced), not a refusal the other way meets too
    (unpaid taxes, no record)."""
    failed = [e for e in events if e.kind == "failed"]
    offer = (failed[-1].detail or {}).get("offer") if failed else None
    return offer in ("fax", "email") and offer != method


def _in_trouble(r, events) -> str | None:
    """The delivery in trouble, if one is: ``"fax"`` being tried again (busy,
    no answer, a dropped call) or ``"email"`` the mail server has not taken
    (4xx). The screen offers to cancel it, or to switch to the other method."""
    if r.status in TERMINAL:
        return None
    waits = {(e.detail or {}).get("reason") for e in events if e.kind == "waiting"}
    if r.delivery_method == "fax" and r.status == "delivering" and "fax_retry" in waits:
        return "fax"
    if r.delivery_method == "email" and "smtp_temporary" in waits and "switched" not in {e.kind for e in events}:
        return "email"
    return None


def _calm(title, text, next_text, href, label, status=200):
    return calm("나의 민원", title, text, next_text, href, label, status)


def _following(r, events) -> bool:
    """The screen follows the request (live.js) while anything is in
    progress: until it is final, and after a cancelled fax until the fax
    server has stopped it."""
    if r.status not in TERMINAL:
        return True
    kinds = {e.kind for e in events}
    return r.status == "cancelled" and "delivering" in kinds and "fax_stopped" not in kinds


def _receipt_ok(receipt_no: str) -> None:
    if len(receipt_no) > 32:
        abort(404)


def _detail_url(receipt_no: str) -> str:
    back = request.args.get("from", "")
    return url_for("tv.request_detail", receipt_no=receipt_no, **({"from": back} if back.isdigit() else {}))


@bp.get("/requests/<receipt_no>")
@tv_device_required
@household_screen()
def request_detail(receipt_no):
    _receipt_ok(receipt_no)
    labels = table()
    r, events = ledger.request_screen(runtime(), receipt_no, g.household.id)
    if r is None:
        abort(404)
    steps, hidden = timeline_steps(events, max_steps=60, newest_first=True)  # every step: the box pages
    trouble = _in_trouble(r, events)
    req = {"receipt_no": r.receipt_no, "kind": kind_text(r.kind, r.certificate_type, labels),
           "status": status_text(r.kind, r.status, labels),
           "when": when(r.created_at, labels=labels), "delivery": r.delivery_method,
           "address": r.delivery_address_masked or "",
           "resend": r.kind == "certificate" and r.status == "failed"
           and r.delivery_method in ("fax", "email") and _other_method_helps(events, r.delivery_method),
           "cancel": bool(trouble),
           "switch": r.kind == "certificate" and (
               trouble == "email" or trouble == "fax" and r.resident_id is not None
               and certs.resident_email(runtime(), r.resident_id) is not None),
           "repeat": r.kind == "certificate" and r.status in certs.REPEATABLE and r.resident_id is not None
           and r.delivery_method in ("fax", "email"),  # 같은 증명서 다시 받기
           "live": _following(r, events), "version": ledger.version_of(r.status, events)}
    back = request.args.get("from", "")
    parent = url_for("tv.requests_list", page=int(back)) if back.isdigit() else url_for("tv.requests_list")
    return render_template("tv/request_detail.html", req=req, steps=steps, hidden=hidden,
                           parent=parent, from_=back if back.isdigit() else None)


@bp.get("/requests/<receipt_no>/live.json")
@tv_device_required
def request_live(receipt_no):
    """The request screen's version (live.js reloads it when it changes):
    its status and how many events it has; nothing personal."""
    _receipt_ok(receipt_no)
    found = ledger.request_live(runtime(), receipt_no, g.household.id)
    if found is None:
        return jsonify(error="not found"), 404
    resp = jsonify(version=found["version"], final=found["final"])
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/requests/<receipt_no>/<action>")
@tv_device_required
def request_action(receipt_no, action):
    """신청 취소 or 메일로 받기: asked once more before it is done."""
    _receipt_ok(receipt_no)
    if action not in ("cancel", "switch"):
        abort(404)
    r, events = ledger.request_screen(runtime(), receipt_no, g.household.id)
    if r is None:
        abort(404)
    trouble = _in_trouble(r, events)
    if not trouble:
        return redirect(_detail_url(receipt_no))
    email = None
    if action == "switch" and trouble == "fax":
        email = certs.resident_email(runtime(), r.resident_id) if r.resident_id else None
        if email is None:
            return redirect(_detail_url(receipt_no))
    return _action_screen(r, action, trouble, email)


def _action_screen(r, action, trouble, email=None, value="", error="", status=200):
    labels = table()
    return render_template("tv/request_action.html", action=action, trouble=trouble, back=_detail_url(r.receipt_no),
                           kind=kind_text(r.kind, r.certificate_type, labels), receipt_no=r.receipt_no,
                           now_to=r.delivery_address_masked or "", email=mask_email(email) if email else "",
                           value=value, error=error), status


@bp.post("/requests/<receipt_no>/<action>")
@tv_device_required
def request_action_post(receipt_no, action):
    """Cancel (the fax worker then stops the fax at the fax server and frees
    the line) or switch to the registered email; a second OK changes nothing."""
    _receipt_ok(receipt_no)
    if action not in ("cancel", "switch"):
        abort(404)
    form = RequestActionForm()
    form.validate()
    try:
        if action == "cancel":
            ledger.cancel_by_household(runtime(), receipt_no, g.household.id)
        elif form.fax.data:  # an email the mail server has not taken: by fax, to the number typed
            certs.switch_delivery(runtime(), receipt_no, g.household.id, "fax", address=form.fax.data)
        else:
            certs.switch_delivery(runtime(), receipt_no, g.household.id, "email")
    except ledger.LedgerError:
        abort(404)
    except certs.FlowError as e:
        if e.code in ("fax_number_refused", "email_sending") and form.fax.data:
            r, events = ledger.request_screen(runtime(), receipt_no, g.household.id)
            if r is not None and _in_trouble(r, events) == "email":
                return _action_screen(r, "switch", "email", value=form.fax.data[:12], error=gettext(e.message), status=422)
        return _calm("받는 방법을 바꿀 수 없습니다", e.message, "확인 버튼을 누르면 신청 화면으로 돌아갑니다.",
                     _detail_url(receipt_no), "신청 화면으로", 409)
    return redirect(_detail_url(receipt_no))


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


#: The key table's rows per page by text size: at 크게 / 아주 크게 the rows wrap into two lines, so
#: the table pages with the remote (YELLOW / BLUE) instead of running below the screen.
HELP_ROWS = 6
HELP_PER_PAGE = {"normal": HELP_ROWS, "large": 3, "xlarge": 3}


@bp.get("/settings/help")
@tv_device_required(paired=False)
def help_remote():
    parent = url_for("tv.settings") if g.device.paired else url_for("tv.pair")
    per_page = HELP_PER_PAGE.get(g.device.text_size, HELP_ROWS)
    pages = math.ceil(HELP_ROWS / per_page)
    page = min(page_arg(), pages)
    return render_template("tv/help.html", parent=parent, page=page, pages=pages,
                           first=(page - 1) * per_page, per_page=per_page)


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
