"""Whose forwarded address to believe: the front's only, known by the socket it came over.

Behind the front (``tvapp.front``) the box's address reaches the app in
``X-Forwarded-For``, which the rate limits and the SMS gateway's caller check
(``KANNEL_ALLOW_IPS``) read as ``request.remote_addr``. Any process on the
machine can write that header too; what it cannot do is come in the way nginx
does. When the front runs, gunicorn listens on a unix socket only
(``WEB_SOCKET``, mode 0660 in a folder closed to other users: ``tvapp.launcher``),
which nginx alone uses. So the header is believed only for a request that came
over a unix socket - gunicorn hands the connection's socket to the app as
``gunicorn.socket``, and its ``REMOTE_ADDR`` is then empty. A request over TCP
(gunicorn on ``PORT`` without a front, in development and tests) keeps the
address it connected from, whatever it writes: without a front no forwarded
header is ever believed.
"""

from __future__ import annotations

import socket

from werkzeug.middleware.proxy_fix import ProxyFix


def came_over_unix_socket(environ) -> bool:
    sock = environ.get("gunicorn.socket")
    return getattr(sock, "family", None) == socket.AF_UNIX


class FrontOnlyProxyFix:
    """``ProxyFix`` (``hops`` proxies) for requests that came over the front's
    unix socket; the app as it is for every other request."""

    def __init__(self, app, hops: int):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)

    def __call__(self, environ, start_response):
        if came_over_unix_socket(environ):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
