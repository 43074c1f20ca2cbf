"""The ten-foot TV screens (``/tv/...``).

Every screen extends ``tv/base.html`` and is guarded by
``tvapp.tv.device.tv_device_required``; reusable pieces are the macros in
``tv/macros.html``; labels for request kinds, statuses and timeline events
live in ``tvapp.tv.labels``; template helpers in ``tvapp.tv.ui``. The
blueprint; its routes are in ``views``.
"""

from flask import Blueprint

bp = Blueprint("tv", __name__, url_prefix="/tv")


def is_screen_request(request) -> bool:
    return request.path.startswith("/tv") and request.path != "/tv/simulator"


#: The TV screens' templates: annotated for remote_nav once, when they load
#: (``remote_nav.prepare``); the phone pages and the simulator's frame are not screens.
NOT_SCREENS = ("tv/simulator.html",)


def is_screen_template(name: str) -> bool:
    return (name.startswith(("tv/", "certificates/", "taxes/", "news/", "participation/"))
            and name not in NOT_SCREENS)
