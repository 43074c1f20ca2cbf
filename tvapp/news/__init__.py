"""지역 소식 on the TV (``/tv/news/``) and the urgent ticker endpoints.

``/tv/ticker`` streams ticker changes as server-sent events (bounded: the
stream closes after about a minute and EventSource reconnects);
``/tv/ticker.json`` is the polling fallback for browsers without
EventSource. ``tv_ticker`` is filled for every TV page by an app-wide
context processor, so the ticker overlays every screen while active.
"""

from flask import Blueprint

bp = Blueprint("news", __name__, url_prefix="/tv")

