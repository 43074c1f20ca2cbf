"""Phone simulator views: list phones, show a thread, send a message."""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for

from services import petitions
from services.sms.text import cp949_len, limit_for
from tvapp.phone import bp


def _runtime():
    return current_app.extensions["runtime"]


@bp.before_request
def _only_with_the_outbox():
    config = _runtime().config
    if config.SMS_GATEWAY != "outbox" or config.ENV == "production":
        abort(404)


@bp.get("/")
def index():
    rt = _runtime()
    ref = request.args.get("r", "")[:32]
    with rt.session() as s:
        phones = petitions.simulator_phones(s, rt)
        phone, thread = petitions.simulator_thread(s, rt, ref) if ref else (None, [])
        current = next((p for p in phones if p.ref == ref), None)
        bubbles = [{"mine": m.direction == "mo", "body": m.body, "at": m.created_at, "purpose": m.purpose,
                    "bytes": cp949_len(m.body), "status": m.status} for m in thread]
    return render_template("phone/index.html", phones=phones, current=current if phone else None,
                           bubbles=bubbles, service_number=rt.config.SMS_SERVICE_NUMBER,
                           limit=limit_for(rt.config))


@bp.post("/send")
def send():
    rt = _runtime()
    ref = request.form.get("r", "")[:32]
    text = request.form.get("text", "")[:1000]
    with rt.session() as s:
        phone, _ = petitions.simulator_thread(s, rt, ref)
    if phone is None:
        abort(404)
    if text.strip():
        petitions.handle_mo(rt, phone, text, to=rt.config.SMS_SERVICE_NUMBER, ts=uuid.uuid4().hex,
                            gateway="outbox")
    return redirect(url_for("phone.index", r=ref) + "#end")
