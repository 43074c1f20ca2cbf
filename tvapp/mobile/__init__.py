"""Phone pages (``/m/...``): confirming a TV pairing, typing text for the TV
(hand-off). Plain mobile HTML, CSRF on every form, no personal data in URLs."""

from flask import Blueprint

bp = Blueprint("mobile", __name__, url_prefix="/m")


def init_app(app) -> None:
    from tvapp.mobile import views  # noqa: F401 - routes register on import

    app.register_blueprint(bp)
