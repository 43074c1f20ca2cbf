"""Content-Security-Policy and X-Frame-Options on every answer (issue 19).

Scripts come from our own origin. The few inline scripts and ``on...=``
handlers in our templates are allowed by their SHA-256 hashes, computed from
the templates themselves at start-up (no nonce: a shared screen is kept by the
front, and a nonce in a kept page would not match the header of a later 304).
``'unsafe-inline'`` stays in the list only for CSP 1 browsers of old TVs:
every browser that knows hashes ignores it when hashes are present.
Pages may be framed only by our own (the TV simulator, the console's preview).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re

log = logging.getLogger(__name__)

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
INLINE_HANDLER = re.compile(r"\son[a-z]+=\"([^\"]*)\"")
FRAME_OPTIONS = "SAMEORIGIN"


def _hash(text: str) -> str:
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def inline_hashes(env) -> tuple[list[str], list[str]]:
    """``(script hashes, handler hashes)`` of every template's literal inline code."""
    scripts, handlers = set(), set()
    for name in env.list_templates(extensions=("html",)):
        source = env.loader.get_source(env, name)[0]
        for found, into in ((INLINE_SCRIPT.findall(source), scripts),
                            (INLINE_HANDLER.findall(source), handlers)):
            for code in found:
                if "{{" in code or "{%" in code:
                    log.warning("template %s: inline code built by the template is blocked by the CSP", name)
                    continue
                into.add(_hash(code))
    return sorted(scripts), sorted(handlers)


def policy(scripts: list[str], handlers: list[str]) -> str:
    script_src = ["'self'", "'unsafe-inline'", *scripts]
    if handlers:
        script_src += ["'unsafe-hashes'", *handlers]
    return "; ".join((
        "default-src 'self'",
        "script-src " + " ".join(script_src),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
    ))


def init_app(app) -> None:
    csp = policy(*inline_hashes(app.jinja_env))

    @app.after_request
    def _page_headers(resp):
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Frame-Options", FRAME_OPTIONS)
        return resp
