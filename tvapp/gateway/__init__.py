"""Machine endpoints of the SMS gateways (CSRF-exempt; authenticated by
address for Kannel, by HMAC signature for the generic HTTP gateway).

- ``GET /gateway/kannel/mo?from=%p&to=%P&text=%a&smsc=%i&ts=%t``: the reply
  body is the SMS answer (UTF-8, ``X-Kannel-Coding: 2``), empty for none.
- ``GET /gateway/kannel/dlr?id=..&sig=..&type=%d``: delivery reports.
- ``POST /gateway/sms/inbound`` and ``POST /gateway/sms/status``: the HTTP
  gateway's signed JSON webhooks.
- ``POST /gateway/fax/callback``: the HTTP fax API's signed status callbacks.

The blueprint; its routes are in ``views``.
"""

from flask import Blueprint

bp = Blueprint("gateway", __name__, url_prefix="/gateway")

