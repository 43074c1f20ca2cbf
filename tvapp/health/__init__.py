from flask import Blueprint, current_app, jsonify

from services import health
from tvapp.extensions import csrf

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    ok, parts = health.check(current_app.extensions["runtime"])
    return jsonify(status="ok" if ok else "degraded", parts=parts), (200 if ok else 503)
