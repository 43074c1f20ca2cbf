"""Health endpoints for supervisors and load balancers. The blueprint; its
routes are in ``views``."""

from flask import Blueprint

bp = Blueprint("health", __name__)
