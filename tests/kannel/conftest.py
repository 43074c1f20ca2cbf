"""A real Kannel on loopback: bearerbox + smsbox from a generated kannel.conf
in a temp dir, and Kannel's own fake SMS centre client (``fakesmsc`` from
kannel-extras) playing the phones. Our app is served by a real HTTP server
in a thread. Kannel's own logs stay in the temp dir (a gateway's logs hold
phone numbers by nature); nothing of ours logs one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

import pytest
import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.procs import free_port, wait_for

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
SERVICE = "15880000"

CONF = """\
group = core
admin-port = {admin}
admin-password = {secret}
admin-interface = 127.0.0.1
smsbox-port = {box}
box-allow-ip = "127.0.0.1"
log-level = 2
log-file = "{dir}/bearerbox.log"
store-type = spool
store-location = "{dir}/spool"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
mo-recode = true
log-level = 2
log-file = "{dir}/smsbox.log"

group = sendsms-user
username = tvgov
password = {secret}
max-messages = 3
concatenation = true

group = sms-service
keyword = default
catch-all = true
get-url = "{app}/gateway/kannel/mo?from=%p&to=%P&text=%a&smsc=%i&id=%I&coding=%c&charset=%C&ts=%t"
accept-x-kannel-headers = true
omit-empty = true
max-messages = 3
concatenation = true
"""

GOT_RE = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) ?(.*)>")


def decode(kind: str, data: str) -> str:
    raw = unquote_to_bytes(data.replace("+", "%20"))
    if kind in ("ucs-2", "ucs2"):
        return raw.decode("utf-16-be", errors="replace")
    return raw.decode("utf-8", errors="replace") if kind == "data" else data


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # request lines carry phone numbers
        pass


class AppServer:
    def __init__(self, app, port: int):
        self.server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Quiet)
        self.url = "http://127.0.0.1:%d" % port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "AppServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Kannel:
    def __init__(self, workdir: Path, app_url: str):
        self.dir = workdir
        (workdir / "spool").mkdir(parents=True, exist_ok=True)
        self.ports = {k: free_port() for k in ("admin", "box", "smsc", "sendsms")}
        self.secret = "k%d" % os.getpid()
        self.app_url = app_url
        self.procs: list[subprocess.Popen] = []
        self.sendsms_url = "http://127.0.0.1:%d/cgi-bin/sendsms" % self.ports["sendsms"]

    def _spawn(self, cmd, name):
        out = open(self.dir / ("%s.out" % name), "ab")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.dir)
        out.close()
        self.procs.append(p)
        return p

    def start(self) -> "Kannel":
        conf = self.dir / "kannel.conf"
        conf.write_text(CONF.format(dir=self.dir, secret=self.secret, app=self.app_url, **self.ports))
        self._spawn([str(BEARERBOX), str(conf)], "bearerbox")
        wait_for(lambda: requests.get("http://127.0.0.1:%d/status.txt?password=%s" % (
            self.ports["admin"], self.secret), timeout=1).status_code == 200, 20, "bearerbox")
        self._spawn([str(SMSBOX), str(conf)], "smsbox")
        wait_for(lambda: requests.get(self.sendsms_url, timeout=1).status_code in (200, 202, 400, 403), 20,
                 "smsbox sendsms")
        return self

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(5)

    def text(self, sender: str, body: str, *, until=None, seconds: float = 15.0,
             settle: float = 0.0, charset: str = "ucs2") -> list[str]:
        """One MO message from ``sender`` through fakesmsc; returns what the phone
        received (decoded) by the time ``until(replies)`` holds (or ``settle`` seconds).
        ``charset`` ``ucs2`` (a smartphone) or ``euc-kr`` (an old phone: 8-bit data)."""
        out_path = self.dir / ("fakesmsc-%d.out" % time.monotonic_ns())
        if charset == "euc-kr":
            msg = "%s %s data %s" % (sender, SERVICE, quote(body.encode("cp949")))
        else:
            msg = "%s %s ucs2 %s" % (sender, SERVICE, quote(body.encode("utf-16-be")))
        p = self._spawn([str(FAKESMSC), "-H", "127.0.0.1", "-r", str(self.ports["smsc"]), "-i", "0.1",
                         "-m", "1", msg], out_path.stem)
        out_file = self.dir / ("%s.out" % out_path.stem)

        def received():
            seen = []
            for line in out_file.read_text(errors="replace").splitlines():
                m = GOT_RE.search(line)
                if m:
                    text = decode(m.group(3), m.group(4))
                    if text not in seen:  # the fake SMSC may hand a message over twice
                        seen.append(text)
            return seen

        try:
            if until is not None:
                wait_for(lambda: until(received()), seconds, "replies through Kannel")
            else:
                time.sleep(settle)
            return received()
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)


def _have_kannel() -> bool:
    return BEARERBOX.exists() and SMSBOX.exists() and FAKESMSC.exists()


@pytest.fixture
def kannel_bins():
    if not _have_kannel():
        pytest.fail("kannel / kannel-extras (fakesmsc) not installed: run `make test` as root")


@pytest.fixture
def start_kannel(kannel_bins, tmp_path):
    started = []

    def start(app_url: str) -> Kannel:
        k = Kannel(tmp_path / "kannel", app_url)
        started.append(k)
        return k.start()

    yield start
    for k in started:
        k.stop()
