"""The phone simulator (``/phone/``): the embedded default SMS gateway's face.

Pick a demo resident's phone, type messages to the district's number and see
the replies, one-time codes and notices as a phone shows them. Only there
while the outbox is the gateway and never in production (it shows codes).
"""

from flask import Blueprint

bp = Blueprint("phone", __name__, url_prefix="/phone")

