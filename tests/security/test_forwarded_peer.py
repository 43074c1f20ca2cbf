"""Issue 19 item 7, as the attack: a forged ``X-Forwarded-For`` on gunicorn's
own port. The probe connected from 127.0.0.2 straight to gunicorn with
``X-Forwarded-For: 127.0.0.1`` and its SMS passed Kannel's address check
(``KANNEL_ALLOW_IPS``). Here a real gunicorn (``launcher web``, PROXY_HOPS=1)
behind a real nginx (``launcher front``), as ``make run`` starts them: the
forwarded address is believed only from the front (``FRONT_ADDRESSES``).
Every connection is to 127.0.0.1; 127.0.0.2 is only the source address.
"""

from __future__ import annotations

import http.client
import uuid
from urllib.parse import urlencode, urlparse

from tests.tvapp.test_front import front_stack  # noqa: F401 - fixture: nginx before gunicorn

RESIDENT = "010-0000-0003"
OUTSIDER = "127.0.0.2"  # a loopback address, but not Kannel's (KANNEL_ALLOW_IPS)


def mo(base: str, source: str, forwarded: str | None = None) -> tuple[int, str]:
    """One MO as Kannel's get-url passes it, sent from ``source``."""
    u = urlparse(base)
    q = urlencode({"from": RESIDENT, "to": "1588-0000", "text": "도움말", "smsc": "fake",
                   "ts": "2026-11-21 10:00:00", "id": uuid.uuid4().hex})
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15, source_address=(source, 0))
    try:
        conn.request("GET", "/gateway/kannel/mo?" + q,
                     headers={"X-Forwarded-For": forwarded} if forwarded else {})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_a_forged_forwarded_address_on_gunicorns_own_port_is_refused(front_stack):  # noqa: F811
    front, gunicorn, _web = front_stack
    # the attack: straight to gunicorn, from 127.0.0.2, claiming to be 127.0.0.1
    assert mo(gunicorn, OUTSIDER, forwarded="127.0.0.1")[0] == 403
    assert mo(gunicorn, OUTSIDER, forwarded="127.0.0.1, 127.0.0.1")[0] == 403
    assert mo(gunicorn, OUTSIDER)[0] == 403
    # through the front, the same forgery: nginx appends the real peer, which is believed
    assert mo(front, OUTSIDER, forwarded="127.0.0.1")[0] == 403
    # Kannel's own address through the front, and straight to gunicorn, is accepted
    status, body = mo(front, "127.0.0.1")
    assert status == 200 and "등본 메일" in body
    assert mo(gunicorn, "127.0.0.1")[0] == 200
