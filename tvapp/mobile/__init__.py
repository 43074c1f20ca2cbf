"""Phone pages (``/m/...``): confirming a TV pairing, typing text for the TV
(hand-off). Plain mobile HTML, CSRF on every form, no personal data in URLs."""

from flask import Blueprint

bp = Blueprint("mobile", __name__, url_prefix="/m")

