"""Thin views: check who is calling, hand the message to the services, answer."""

from __future__ import annotations

import hmac
import json
import logging

from flask import Response, abort, current_app, jsonify, request

from fax_bridge import CallbackRejected, FaxError
from services import petitions, sms
from services.delivery import fax
from services.fax_worker import on_event
from services.sms import http as sms_http
from services.sms.kannel import dlr_signature
from tvapp.extensions import csrf
from tvapp.gateway import bp

csrf.exempt(bp)  # machine endpoints: each checks its caller (address or signature)

log = logging.getLogger(__name__)

KANNEL_HEADERS = {"X-Kannel-Coding": "2", "Content-Type": "text/plain; charset=utf-8"}


def _runtime():
    return current_app.extensions["runtime"]


def _kannel_caller_only() -> None:
    allowed = [a.strip() for a in (_runtime().config.KANNEL_ALLOW_IPS or "").split(",") if a.strip()]
    if request.remote_addr not in allowed:
        abort(403)


def _kannel_text(body: str | None) -> Response:
    return Response((body or "").encode("utf-8"), status=200, headers=KANNEL_HEADERS)


@bp.get("/kannel/mo")
def kannel_mo():
    _kannel_caller_only()
    a = request.args
    sender = a.get("from", "")
    if not sender:
        return _kannel_text(None)
    out = petitions.handle_mo(_runtime(), sender, a.get("text", ""), to=a.get("to", ""),
                              ts=a.get("ts", ""), smsc=a.get("smsc", ""), gateway="kannel")
    return _kannel_text(out.reply)


@bp.get("/kannel/dlr")
def kannel_dlr():
    _kannel_caller_only()
    rt = _runtime()
    try:
        message_id, kind = int(request.args.get("id", "")), int(request.args.get("type", ""))
    except ValueError:
        abort(400)
    if not hmac.compare_digest(request.args.get("sig", ""), dlr_signature(rt.crypto, message_id)):
        abort(403)
    status = sms.DLR_TYPES.get(kind)
    if status:
        with rt.session() as s:
            changed = sms.record_dlr(s, message_id, status)
        log.info("sms %d delivery report %d (%s)", message_id, kind, "applied" if changed else "no change")
    return _kannel_text("OK")


def _signed_json() -> dict:
    secret = _runtime().config.SMS_HTTP_SECRET
    body = request.get_data(cache=True)
    if not sms_http.verify(secret, request.headers.get("X-Timestamp"), request.headers.get("X-Signature"), body):
        abort(401)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for the decoder
        abort(400)
    if not isinstance(data, dict):
        abort(400)
    return data


@bp.post("/sms/inbound")
def http_inbound():
    data = _signed_json()
    sender, text = str(data.get("from") or ""), str(data.get("text") or "")
    if not sender:
        abort(400)
    rt = _runtime()
    key = None
    if data.get("id"):  # the gateway's id, per sender: another phone's message is never "a retry"
        msg_id = petitions.storable("%s\x1f%s" % (data["id"], sms.normal_digits(sender)))
        key = "http:" + rt.crypto.keyed_hash(msg_id, "sms-mo")[:64]
    out = petitions.handle_mo(rt, sender, text, to=str(data.get("to") or ""), ts=str(data.get("ts") or ""),
                              gateway="http", dedup_key=key)
    return jsonify({"reply": out.reply, "duplicate": out.duplicate})


HTTP_STATUSES = {"delivered": "delivered", "failed": "failed", "rejected": "failed", "undeliverable": "failed",
                 "buffered": "buffered", "queued": "sent", "sent": "sent", "accepted": "sent"}


@bp.post("/sms/status")
def http_status():
    data = _signed_json()
    status = HTTP_STATUSES.get(str(data.get("status", "")).lower())
    try:
        message_id = int(data.get("reference", ""))
    except (TypeError, ValueError):
        abort(400)
    if status is None:
        abort(400)
    with _runtime().session() as s:
        changed = sms.record_dlr(s, message_id, status)
    return jsonify({"ok": True, "changed": changed})


# -- the HTTP fax API's status callbacks -------------------------------------------------

@bp.post("/fax/callback")
def fax_callback():
    """Signed status callbacks from an HTTP fax API (FAX_TRANSPORT=http).
    fax_bridge checks the signature and never moves a job backwards, so
    duplicated or out-of-order callbacks are harmless."""
    runtime = current_app.extensions["runtime"]
    if runtime.config.FAX_TRANSPORT != "http":  # only the HTTP fax API calls back
        return jsonify(error="not_configured", reason="the fax transport takes no callbacks"), 404
    try:
        dispatcher = fax.dispatcher_for(runtime, on_event=lambda e: on_event(runtime, e))
        job = dispatcher.handle_callback(request.get_data(cache=False)[:65536], dict(request.headers))
    except CallbackRejected as exc:
        return jsonify(error="rejected", reason=str(exc)[:200]), 403
    except FaxError:
        return jsonify(error="not_configured", reason="the fax transport takes no callbacks"), 404
    return jsonify(ok=True, state=job.state.value if job else None)
