"""A loopback fax server speaking the HTTP fax API, with scripted outcomes.

Run it as a process (tests and the benchmark do)::

    python -m fax_bridge.testing.fax_server --port 0 --api-key K --secret S \\
        --script '{"0212345678": ["busy", "answered"], "0311234567": ["fail_at:2"]}'

It prints one JSON line ``{"url": "http://127.0.0.1:PORT"}`` when ready.

Each dial to a number takes the next outcome from that number's script (the
last one repeats; numbers without a script are answered):

- ``answered``: every page is sent, then ``delivered``;
- ``busy`` / ``no_answer``: the call ends before any page;
- ``fail_at:N``: pages before N go through, the call drops while sending N.

Calls take ``--dial-seconds`` plus ``--page-seconds`` per page and use one of
``--lines`` lines (others wait, ``queued``). Status callbacks are signed like
:func:`fax_bridge.transports.http_api.sign_callback` and sent ``inline`` (as
they happen), ``duplicate`` (each twice) or ``reverse`` (held until the call
ends, then sent newest first, each twice). ``GET /stats`` reports dials per
number and each call's start, end and outcome (for line utilisation).
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import itertools
import json
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..transports.http_api import SIGNATURE_HEADER, sign_callback

TERMINAL = {"delivered", "busy", "no_answer", "failed", "cancelled"}


class Fax:
    """One submitted fax (one call attempt)."""

    def __init__(self, fax_id: str, key: str, to: str, pages: int, first_page: int,
                 callback_url: str) -> None:
        self.id = fax_id
        self.key = key
        self.to = to
        self.pages = pages
        self.first_page = first_page
        self.callback_url = callback_url
        self.status = "queued"
        self.page = 0
        self.pages_sent = first_page - 1
        self.reason = ""
        self.cancel = threading.Event()

    def view(self) -> dict:
        return {"id": self.id, "status": self.status, "page": self.page,
                "pages_sent": self.pages_sent, "pages": self.pages, "reason": self.reason,
                "key": self.key}


class FaxServer:
    """State and behaviour of the loopback server (HTTP handling is below)."""

    def __init__(self, *, api_key: str, secret: bytes, script: dict[str, list[str]],
                 lines: int, dial_seconds: float, page_seconds: float, callbacks: str) -> None:
        self.api_key = api_key
        self.secret = secret
        self.script = {k: list(v) for k, v in script.items()}
        self.lines = threading.BoundedSemaphore(lines)
        self.line_count = lines
        self.dial_seconds = dial_seconds
        self.page_seconds = page_seconds
        self.callbacks = callbacks
        self.lock = threading.Lock()
        self.faxes: dict[str, Fax] = {}
        self.by_key: dict[str, Fax] = {}
        self.dials: dict[str, int] = {}
        self.calls: list[dict] = []
        self.repeated_keys = 0
        self.callbacks_sent = 0
        self.ids = itertools.count(1)

    # -- outcomes --------------------------------------------------------
    def next_outcome(self, number: str) -> str:
        with self.lock:
            self.dials[number] = self.dials.get(number, 0) + 1
            plan = self.script.get(number)
            if not plan:
                return "answered"
            return plan.pop(0) if len(plan) > 1 else plan[0]

    def submit(self, key: str, to: str, pages: int, first_page: int, callback_url: str) -> tuple[Fax, bool]:
        with self.lock:
            if key and key in self.by_key:
                self.repeated_keys += 1
                return self.by_key[key], False
            fax = Fax("fx%d" % next(self.ids), key, to, pages, first_page, callback_url)
            self.faxes[fax.id] = fax
            if key:
                self.by_key[key] = fax
        threading.Thread(target=self._run, args=(fax,), daemon=True).start()
        return fax, True

    def _set(self, fax: Fax, sink: list, **changes) -> None:
        with self.lock:
            for name, value in changes.items():
                setattr(fax, name, value)
            view = fax.view()
        if self.callbacks == "reverse":
            sink.append(view)
        elif fax.callback_url:
            for _ in range(2 if self.callbacks == "duplicate" else 1):
                self._post(fax.callback_url, view)

    def _post(self, url: str, view: dict) -> None:
        body = json.dumps(view).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign_callback(self.secret, body)})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                response.read()
            with self.lock:
                self.callbacks_sent += 1
        except OSError as exc:
            sys.stderr.write("callback failed: %s\n" % exc)

    def _run(self, fax: Fax) -> None:
        sink: list[dict] = []
        self.lines.acquire()
        start = time.monotonic()
        outcome = "cancelled"
        try:
            if fax.cancel.is_set():
                self._set(fax, sink, status="cancelled", reason="cancelled before dialling")
                return
            outcome = self.next_outcome(fax.to)
            self._set(fax, sink, status="dialing")
            time.sleep(self.dial_seconds)
            if outcome in ("busy", "no_answer"):
                self._set(fax, sink, status=outcome,
                          reason="busy signal" if outcome == "busy" else "no answer")
                return
            fail_at = int(outcome.split(":", 1)[1]) if outcome.startswith("fail_at:") else 0
            for page in range(fax.first_page, fax.pages + 1):
                if fax.cancel.is_set():
                    outcome = "cancelled"
                    self._set(fax, sink, status="cancelled", page=0, reason="cancelled")
                    return
                self._set(fax, sink, status="sending", page=page)
                time.sleep(self.page_seconds)
                if page == fail_at:
                    self._set(fax, sink, status="failed", page=0,
                              reason="call dropped while sending page %d" % page)
                    return
                with self.lock:
                    fax.pages_sent = page
            self._set(fax, sink, status="delivered", page=0)
        finally:
            end = time.monotonic()
            self.lines.release()
            with self.lock:
                self.calls.append({"id": fax.id, "start": start, "end": end, "outcome": outcome,
                                   "pages_sent": fax.pages_sent})
            if sink and fax.callback_url:
                for view in reversed(sink):
                    self._post(fax.callback_url, view)
                    self._post(fax.callback_url, view)

    def stats(self) -> dict:
        with self.lock:
            return {"dials": dict(self.dials), "calls": list(self.calls), "lines": self.line_count,
                    "faxes": len(self.faxes), "repeated_keys": self.repeated_keys,
                    "callbacks_sent": self.callbacks_sent, "now": time.monotonic()}


class Handler(BaseHTTPRequestHandler):
    """HTTP front of :class:`FaxServer`."""

    server_version = "LoopbackFax/1.0"
    fax: FaxServer  # set on the subclass made by serve()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet
        pass

    def _reply(self, code: int, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == "Bearer %s" % self.fax.api_key:
            return True
        self._reply(401, {"error": "unauthorised"})
        return False

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/stats":
            self._reply(200, self.fax.stats())
            return
        if not self._authorised():
            return
        fax = self.fax.faxes.get(self.path.rsplit("/", 1)[-1])
        if fax is None or not self.path.startswith("/faxes/"):
            self._reply(404, {"error": "not found"})
            return
        with self.fax.lock:
            view = fax.view()
        self._reply(200, view)

    def do_DELETE(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        fax = self.fax.faxes.get(self.path.rsplit("/", 1)[-1])
        if fax is None:
            self._reply(404, {"error": "not found"})
        elif fax.status in TERMINAL:
            self._reply(409, {"error": "already finished", "status": fax.status})
        else:
            fax.cancel.set()
            self._reply(202, {"id": fax.id, "status": "cancelling"})

    def do_POST(self) -> None:  # noqa: N802
        if self.path != "/faxes" or not self._authorised():
            if self.path != "/faxes":
                self._reply(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + raw)
        fields: dict[str, bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[name] = part.get_payload(decode=True) or b""
        try:
            to = fields["to"].decode()
            pages = int(fields["pages"])
            first_page = int(fields.get("first_page", b"1"))
            if not fields.get("file", b"").startswith((b"II*\0", b"MM\0*")):
                raise ValueError("file is not a TIFF")
        except (KeyError, ValueError) as exc:
            self._reply(400, {"error": str(exc)})
            return
        fax, created = self.fax.submit(self.headers.get("Idempotency-Key", ""), to, pages,
                                       first_page, fields.get("callback_url", b"").decode())
        with self.fax.lock:
            view = fax.view()
        self._reply(201 if created else 200, view)


def serve(server: FaxServer, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Bind an HTTP server for ``server`` (call ``serve_forever`` on the result)."""
    handler = type("BoundHandler", (Handler,), {"fax": server})
    httpd = ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    return httpd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--secret", default="test-secret")
    parser.add_argument("--script", default="{}", help="JSON: number -> list of outcomes")
    parser.add_argument("--lines", type=int, default=4)
    parser.add_argument("--dial-seconds", type=float, default=0.01)
    parser.add_argument("--page-seconds", type=float, default=0.01)
    parser.add_argument("--callbacks", choices=["inline", "duplicate", "reverse"], default="inline")
    args = parser.parse_args(argv)
    server = FaxServer(api_key=args.api_key, secret=args.secret.encode(),
                       script=json.loads(args.script), lines=args.lines,
                       dial_seconds=args.dial_seconds, page_seconds=args.page_seconds,
                       callbacks=args.callbacks)
    httpd = serve(server, args.host, args.port)
    sys.stdout.write(json.dumps({"url": "http://%s:%d" % httpd.server_address[:2]}) + "\n")
    sys.stdout.flush()
    try:
        httpd.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
