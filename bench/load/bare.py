"""The ceiling: a bare WSGI callable answering with the bytes in the file
``BARE_BODY`` (no Flask, no Redis), run by the same gunicorn as the app."""

import os

_body = open(os.environ["BARE_BODY"], "rb").read()
_headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_body))),
            ("Cache-Control", "private, no-cache")]


def app(environ, start_response):
    start_response("200 OK", _headers)
    return [_body]
