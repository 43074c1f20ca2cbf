"""Machine endpoints of the SMS gateways (CSRF-exempt; authenticated by
address for Kannel, by HMAC signature for the generic HTTP gateway).

- ``GET /gateway/kannel/mo?from=%p&to=%P&text=%a&smsc=%i&ts=%t``: the reply
  body is the SMS answer (UTF-8, ``X-Kannel-Coding: 2``), empty for none.
- ``GET /gateway/kannel/dlr?id=..&sig=..&type=%d``: delivery reports.
- ``POST /gateway/sms/inbound`` and ``POST /gateway/sms/status``: the HTTP
  gateway's signed JSON webhooks.
"""

from flask import Blueprint

bp = Blueprint("gateway", __name__, url_prefix="/gateway")


def init_app(app) -> None:
    """Register the gateway endpoints and the phone simulator."""
    from tvapp import phone
    from tvapp.extensions import csrf
    from tvapp.gateway import views  # noqa: F401 - routes register on import

    csrf.exempt(bp)
    app.register_blueprint(bp)
    phone.init_app(app)
