"""``/healthz`` (the parts this process needs) and ``/livez`` (it answers)."""

from flask import current_app, jsonify

from services import health
from tvapp.extensions import csrf
from tvapp.health import bp


@bp.get("/healthz")
@csrf.exempt
def healthz():
    ok, parts = health.check(current_app.extensions["runtime"])
    return jsonify(status="ok" if ok else "degraded", parts=parts), (200 if ok else 503)


@bp.get("/livez")
@csrf.exempt
def livez():
    """The web process answers (no database, Redis or back-end check): what a
    TV box asks before loading a screen when its ticker stream has dropped."""
    return "", 204, {"Cache-Control": "no-store"}
