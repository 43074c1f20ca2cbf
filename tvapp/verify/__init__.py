"""/verify/<number>: is this certificate genuine? Public; phone-friendly (it is
what the QR code on every page opens). Shows a summary, never a full
resident number. Rate-limited per address against enumeration.

The blueprint; its routes are in ``views``."""

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
