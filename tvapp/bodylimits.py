"""Request limits (issue 19): how many bytes and form fields a request may carry.

Small bodies everywhere (``MAX_BODY_BYTES``); the console's item editor gets
``CONSOLE_MAX_BODY_BYTES``; only the feed upload gets ``UPLOAD_MAX_BODY_BYTES``
(a 5 MB feed plus its multipart envelope). The same table sets nginx's
``client_max_body_size`` per location (``tvapp.front``), so a body too large is
refused by the front with 413 before it reaches Python; behind no front the app
refuses it on its length, before any parser reads it.

Werkzeug caps the fields of a multipart form (``MAX_FORM_PARTS``) but reads an
urlencoded body whole and splits it without a count: :class:`LimitedRequest`
counts the fields first and refuses more than ``MAX_FORM_PARTS`` with 413.
"""

from __future__ import annotations

from flask import Request, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

UPLOAD_PATH = "/console/sources/upload"


def body_limits(config) -> list[tuple[str, int]]:
    """``(path prefix, most bytes)``, the most specific first; ``/`` is everything else."""
    return [
        (UPLOAD_PATH, config.UPLOAD_MAX_BODY_BYTES),
        ("/console/", config.CONSOLE_MAX_BODY_BYTES),
        ("/", config.MAX_BODY_BYTES),
    ]


def body_limit(config, path: str) -> int:
    for prefix, most in body_limits(config):
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return most
    return config.MAX_BODY_BYTES


class FieldCountingParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        if self.max_form_parts is not None:
            data = stream.read()  # already capped by the request's max_content_length
            if data.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge("too many form fields")
            stream = _Replay(data)
        return super()._parse_urlencoded(stream, mimetype, content_length, options)


class _Replay:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, *_args) -> bytes:
        data, self._data = self._data, b""
        return data


class LimitedRequest(Request):
    form_data_parser_class = FieldCountingParser


def init_app(app) -> None:
    """Before every other hook (CSRF reads the form): this request's byte limit."""
    app.request_class = LimitedRequest
    config = app.extensions["runtime"].config

    @app.before_request
    def _limit_body():
        request.max_content_length = body_limit(config, request.path)
