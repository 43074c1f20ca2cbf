"""POST /gateway/fax/callback: signed status callbacks from an HTTP fax API
(FAX_TRANSPORT=http). fax_bridge checks the signature and never moves a job
backwards, so duplicated or out-of-order callbacks are harmless."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from tvapp.extensions import csrf

bp = Blueprint("fax_callback", __name__)


@bp.post("/gateway/fax/callback")
@csrf.exempt
def callback():
    from fax_bridge import CallbackRejected, FaxError
    from services.delivery import fax
    from services.fax_worker import on_event

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
