"""The operators' console (``/console/``): a Flask blueprint for desktop
browsers. Views validate, call ``broadcast_feed.workflow`` and render;
``auth`` keeps the login session (idle expiry) and role checks.
Its routes are in ``views`` (which uses ``auth``): import ``broadcast_feed.console.views``,
then register ``bp``.
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
