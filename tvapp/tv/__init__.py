"""The ten-foot TV screens (``/tv/...``).

Every screen extends ``tv/base.html`` and is guarded by
``tvapp.tv.device.tv_device_required``; reusable pieces are the macros in
``tv/macros.html``; labels for request kinds, statuses and timeline events
live in ``tvapp.tv.labels``. ``init_app`` wires the blueprint, remote_nav,
the template helpers and the calm error screens.
"""

from flask import Blueprint

bp = Blueprint("tv", __name__, url_prefix="/tv")


def _check_when(request) -> bool:
    return request.path.startswith("/tv") and request.path != "/tv/simulator"


#: The TV screens' templates: annotated for remote_nav once, when they load
#: (``remote_nav.prepare``); the phone pages and the simulator's frame are not screens.
NOT_SCREENS = ("tv/simulator.html",)


def is_screen_template(name: str) -> bool:
    return name.startswith(("tv/", "certificates/", "taxes/", "news/")) and name not in NOT_SCREENS


def init_app(app) -> None:
    from remote_nav.integration import init_app as remote_nav_init
    from tvapp.tv import errors, ui, views  # noqa: F401 - routes register on import
    from tvapp.tv.device import sync_front_cookies

    app.register_blueprint(bp)
    app.after_request(sync_front_cookies)
    ui.init_app(app)
    errors.init_app(app)
    # No parsing per response; in debug, each screen is checked (and logged) instead.
    remote_nav_init(app, annotate_html=False, templates=is_screen_template, when=_check_when)
