"""The landing page that lists where each part of the system lives. The
blueprint; its route is in ``views``."""

from flask import Blueprint

bp = Blueprint("home", __name__)
