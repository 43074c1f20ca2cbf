"""The operators' console (``/console/``): a Flask blueprint for desktop
browsers. Views validate, call ``broadcast_feed.workflow`` and render;
``auth`` keeps the login session (idle expiry) and role checks.
Register with ``app.register_blueprint(broadcast_feed.console.bp)``.
"""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")

from broadcast_feed.console import auth, views  # noqa: E402,F401  (routes register on import)
