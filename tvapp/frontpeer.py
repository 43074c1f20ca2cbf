"""Whose forwarded address to believe: the front's only.

Behind the front (``tvapp.front``) gunicorn sees nginx as its peer and the
box's address in ``X-Forwarded-For``, which the rate limits and the SMS
gateway's caller check (``KANNEL_ALLOW_IPS``) read as ``request.remote_addr``.
gunicorn also listens on its own port, where anyone on the machine may connect
and write that header. So the header is believed only when the immediate peer
is one of ``FRONT_ADDRESSES``: from any other address the request's address
is the peer's own, and a forged ``X-Forwarded-For`` changes nothing.
"""

from __future__ import annotations

from werkzeug.middleware.proxy_fix import ProxyFix


def addresses(setting: str | None) -> frozenset[str]:
    """``"127.0.0.1, ::1"`` -> the set of addresses."""
    return frozenset(a.strip() for a in (setting or "").split(",") if a.strip())


class FrontOnlyProxyFix:
    """``ProxyFix`` (``hops`` proxies) for requests whose peer is a front; the
    app as it is for every other request."""

    def __init__(self, app, hops: int, fronts: frozenset[str]):
        self.app = app
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)
        self.fronts = fronts

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") in self.fronts:
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)
