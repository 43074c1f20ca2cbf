"""Optional Flask glue: serve the runtime, annotate screens, a template filter.

Flask is imported only when :func:`init_app` runs, so the rest of
``remote_nav`` works without it. Two ways to annotate::

    # once per template (remote_nav.prepare): nothing parsed per response
    init_app(app, annotate_html=False, templates=lambda name: name.startswith("tv/"))
    # or every HTML response, parsed again each time
    init_app(app, when=lambda request: request.path.startswith("/tv"))

In templates: ``{{ remote_nav_style() }}`` in ``<head>``, ``{{ remote_nav_script() }}``
before ``</body>``, and
``{{ fragment_html | nav_annotate }}`` for HTML built outside a response.
"""

from __future__ import annotations

import logging

from .assets import RUNTIME_NAME, STATIC_DIR, STYLE_NAME, script_tag, style_tag
from .focus import FocusGraph, annotate
from .prepare import differences, jinja_parts

logger = logging.getLogger(__name__)

BLUEPRINT = "remote_nav"


def annotate_response(response, check: bool = False, path: str = ""):
    """Annotate a Flask/Werkzeug HTML response in place; returns it.

    Streamed, passthrough (``send_file``), bodiless and non-HTML responses pass
    untouched; every other status is annotated (a refusal's screen must be
    navigable too).
    With ``check``, logs the screen's navigation problems as warnings.
    """
    if (response.mimetype != "text/html" or response.direct_passthrough
            or response.is_streamed or response.status_code in (204, 304)):
        return response
    graph = FocusGraph.from_html(response.get_data(as_text=True))
    if check:
        for problem in graph.problems:
            logger.warning("remote_nav %s: %s", path, problem)
    response.set_data(graph.to_html())
    return response


def check_response(response, path: str = ""):
    """Log a screen's navigation problems, and where it is not annotated as
    :func:`annotate` would (a debug check; the response is left as it is)."""
    if (response.mimetype != "text/html" or response.direct_passthrough
            or response.is_streamed or response.status_code in (204, 304)):
        return response
    page = response.get_data(as_text=True)
    for problem in FocusGraph.from_html(page).problems:
        logger.warning("remote_nav %s: %s", path, problem)
    for difference in differences(page):
        logger.warning("remote_nav %s: not annotated: %s", path, difference)
    return response


def init_app(app, url_prefix: str = "/remote_nav", annotate_html: bool = True,
             when=None, check: bool | None = None, templates=None) -> None:
    """Wire remote_nav into a Flask app.

    - serves ``static/remote_nav.js`` at ``<url_prefix>/static/remote_nav.js``;
    - template globals ``remote_nav_script()`` (the ``<script>`` tag, end of
      ``<body>``) and ``remote_nav_style()`` (the default styles' ``<link>``,
      in ``<head>`` before the page's CSS), and filter ``nav_annotate``;
    - ``templates``: a predicate on template names; those templates are marked
      once when they load and every render of them comes out annotated
      (:mod:`remote_nav.prepare`), with no parsing per response;
    - with ``annotate_html``, an ``after_request`` hook annotates every HTML
      response for which ``when(request)`` is true (default: all);
    - ``check`` (default: ``app.debug``) logs each screen's navigation problems
      (without ``annotate_html``: also what is not annotated), for the
      responses ``when`` selects.
    """
    from flask import Blueprint, request, url_for
    from markupsafe import Markup

    app.register_blueprint(
        Blueprint(BLUEPRINT, __name__, static_folder=str(STATIC_DIR), static_url_path="/static"),
        url_prefix=url_prefix,
    )

    tags: dict = {}  # built once per script root

    def _tag(make, name) -> Markup:
        key = (request.script_root, name)
        if key not in tags:
            tags[key] = Markup(make(url_for("%s.static" % BLUEPRINT, filename=name)))
        return tags[key]

    def remote_nav_script() -> Markup:
        return _tag(script_tag, RUNTIME_NAME)

    def remote_nav_style() -> Markup:
        return _tag(style_tag, STYLE_NAME)

    def nav_annotate(html) -> Markup:
        return Markup(annotate(str(html)))

    app.add_template_global(remote_nav_script, "remote_nav_script")
    app.add_template_global(remote_nav_style, "remote_nav_style")
    app.add_template_filter(nav_annotate, "nav_annotate")

    if templates is not None:
        loader_class, template_class = jinja_parts()
        app.jinja_env.loader = loader_class(app.jinja_env.loader, templates)
        app.jinja_env.template_class = template_class

    if annotate_html:
        def _after(response):
            if when is None or when(request):
                debug = app.debug if check is None else check
                return annotate_response(response, check=debug, path=request.path)
            return response

        app.after_request(_after)
    elif check or (check is None and app.debug):
        def _check(response):
            if when is None or when(request):
                return check_response(response, path=request.path)
            return response

        app.after_request(_check)
