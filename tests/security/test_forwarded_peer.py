"""Issue 19 item 7, as the attack: a forged ``X-Forwarded-For`` from a local
process. The probe connected from 127.0.0.2 straight to gunicorn's own port
with ``X-Forwarded-For: 127.0.0.1`` and its SMS passed Kannel's address check
(``KANNEL_ALLOW_IPS``) as a resident's. Then (``FRONT_ADDRESSES``) any process
connecting from 127.0.0.1 could still do it.

Here a real gunicorn (``launcher web``) behind a real nginx (``launcher
front``), as ``make run`` starts them: gunicorn listens on a unix socket only
(``WEB_SOCKET``, 0660 in a 0750 folder), and the forwarded address is
believed only for requests that came over it (``tvapp.frontpeer``). And a
gunicorn without a front (development, tests) on its TCP port: no forwarded
header is believed at all. Every connection is to 127.0.0.1 or the socket;
127.0.0.2 is only a source address.
"""

from __future__ import annotations

import http.client
import os
import stat
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psutil
import requests

from tests.support import procs
from tests.tvapp.test_front import front_stack, unix_request  # noqa: F401 - fixture: nginx before gunicorn

RESIDENT = "010-0000-0003"  # a demo resident's phone: an accepted MO acts as theirs
OUTSIDER = "127.0.0.2"  # a loopback address, but not Kannel's (KANNEL_ALLOW_IPS)


def mo_query() -> str:
    """One MO as Kannel's get-url passes it."""
    return "/gateway/kannel/mo?" + urlencode({"from": RESIDENT, "to": "1588-0000", "text": "도움말", "smsc": "fake",
                                              "ts": "2026-11-21 10:00:00", "id": uuid.uuid4().hex})


def mo(base: str, source: str, forwarded: str | None = None) -> tuple[int, str]:
    """The MO sent over TCP from ``source``."""
    u = urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15, source_address=(source, 0))
    try:
        conn.request("GET", mo_query(), headers={"X-Forwarded-For": forwarded} if forwarded else {})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def inet_listeners(proc: procs.Proc) -> list:
    parent = psutil.Process(proc.p.pid)
    return [c.laddr for p in [parent, *parent.children(recursive=True)]
            for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def test_behind_the_front_gunicorn_has_no_port_and_only_its_socket_is_believed(front_stack):  # noqa: F811
    front, sock, web = front_stack
    # nothing to connect to over TCP but the front: gunicorn listens on its socket alone
    assert inet_listeners(web) == []
    # the socket: gunicorn's user and group only, in a folder other users cannot enter
    st, folder = os.stat(sock), os.stat(Path(sock).parent)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
    assert stat.S_IMODE(folder.st_mode) == 0o750 and st.st_uid == folder.st_uid == os.geteuid()
    # the attack through the only port there is: nginx appends the real peer, which is believed
    assert mo(front, OUTSIDER, forwarded="127.0.0.1")[0] == 403
    assert mo(front, OUTSIDER, forwarded="127.0.0.1, 127.0.0.1")[0] == 403
    assert mo(front, OUTSIDER)[0] == 403
    # Kannel's own address through the front is accepted
    status, body = mo(front, "127.0.0.1")
    assert status == 200 and "등본 메일" in body
    # over the socket (nginx's way in) the forwarded address is the caller's, both ways
    assert unix_request(sock, "GET", mo_query(), headers={"X-Forwarded-For": OUTSIDER})[0] == 403
    assert unix_request(sock, "GET", mo_query(), headers={"X-Forwarded-For": "127.0.0.1"})[0] == 200


def test_without_a_front_no_forwarded_address_is_believed(demo, log_dir, tmp_path):
    """gunicorn on its TCP port, as `make run` runs it without nginx (WEB_FRONT=none)
    and with the default PROXY_HOPS: the peer's address is the caller's, whatever it writes."""
    cfg = demo.config
    port = procs.free_port()
    web = procs.Proc("no-front-web", [sys.executable, "-m", "tvapp.launcher", "web"], log_dir, procs.service_env(
        PORT=port, WEB_WORKERS=1, WEB_THREADS=4, DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL,
        BACKEND_URL=cfg.BACKEND_URL, VAR_DIR=tmp_path / "var")).start()
    url = "http://127.0.0.1:%d" % port
    try:
        procs.wait_for(lambda: requests.get(url + "/livez", timeout=1).status_code == 204, 30, "gunicorn")
        # the attack: a local process claims to be the front's client 127.0.0.1
        assert mo(url, OUTSIDER, forwarded="127.0.0.1")[0] == 403
        assert mo(url, OUTSIDER, forwarded="127.0.0.2, 127.0.0.1")[0] == 403
        # and Kannel's own address is not turned into another by a header either
        assert mo(url, "127.0.0.1", forwarded=OUTSIDER)[0] == 200
        assert mo(url, "127.0.0.1")[0] == 200
    finally:
        web.stop()
