"""Thin views: check who is calling, hand the message to the services, answer."""

from __future__ import annotations

import hmac
import json
import logging
import time

from flask import Response, abort, current_app, jsonify, request

from fax_bridge import CallbackRejected, FaxError
from services import petitions, sms
from services.delivery import fax
from services.fax_worker import on_event
from services.sms import coding as sms_coding
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


def _kannel_fields() -> dict[str, str]:
    """What Kannel passes: the get-url's query (escapes ``%p %P %a %i %I %c %C %t``), or for
    ``post-url`` the same query (or ``X-Kannel-*`` headers) with the text as the body."""
    q = request.args
    h = request.headers
    f = {k: q.get(k) or h.get(hk, "") for k, hk in (
        ("from", "X-Kannel-From"), ("to", "X-Kannel-To"), ("ts", "X-Kannel-Time"), ("smsc", "X-Kannel-SMSC"),
        ("id", "X-Kannel-Id"), ("coding", "X-Kannel-Coding"), ("charset", "X-Kannel-Charset"))}
    if request.method == "POST":
        raw = request.get_data(cache=False)
        f["charset"] = f["charset"] or (request.mimetype_params.get("charset") or "")
    else:
        raw = sms_coding.raw_query_value(request.query_string, "text")
    f["text"] = sms_coding.decode_mo(raw, f["coding"], f["charset"])
    return f


@bp.route("/kannel/mo", methods=["GET", "POST"])
def kannel_mo():
    _kannel_caller_only()
    rt = _runtime()
    f = _kannel_fields()
    if not f["from"]:
        return _kannel_text(None)
    key = None
    if f["id"]:  # Kannel's message id, per SMSC and sender: a retry carries the same one
        ident = petitions.storable("%s\x1f%s\x1f%s" % (f["id"], f["smsc"], sms.normal_digits(f["from"])))
        key = "kannel:" + rt.crypto.keyed_hash(ident, "sms-mo")[:64]
    # No id: handle it (a time stamp is not an identity; two genuine messages can share one).
    out = petitions.handle_mo(rt, f["from"], f["text"], to=f["to"], ts=f["ts"], smsc=f["smsc"],
                              gateway="kannel", dedup_key=key)
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
        changed = _apply_dlr(rt, message_id, status)
        log.info("sms %d delivery report %d (%s)", message_id, kind, "applied" if changed else "no change")
    return _kannel_text("OK")


DLR_WAIT = (0.05, 0.1, 0.2, 0.4, 0.8)  # a report can overtake the commit of the message it reports on


def _apply_dlr(rt, message_id: int, status: str) -> bool:
    """Apply a report forward-only; for a message not committed yet, wait a little,
    then keep the report (Redis) for the next report or message to apply."""
    for pause in DLR_WAIT + (None,):
        with rt.session() as s:
            if pause is None or sms.exists(s, message_id):
                changed = sms.record_dlr(s, message_id, status, redis=rt.redis)
                sms.apply_early_dlrs(s, rt.redis)
                return changed
        time.sleep(pause)
    return False


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
    rt = _runtime()
    with rt.session() as s:
        changed = sms.record_dlr(s, message_id, status, redis=rt.redis)
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
