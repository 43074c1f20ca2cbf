"""Issue 19 item 1, written as the attack: parallel guesses at a console
password; the answer for an unknown username; an anonymous address trying to
lock the admin out; an admin unlocking an account locked from everywhere.
All traffic goes through the Flask test client (127.0.0.1)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from broadcast_feed import store, workflow
from broadcast_feed.models import AuditEntry
from tests.security.conftest import console_login, csrf_token


def _attempt(app, username: str, password: str, addr: str = "127.0.0.1"):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    token = csrf_token(c, "/console/login")
    return c.post("/console/login", data={"username": username, "password": password,
                                          "csrf_token": token})


def _checked(runtime, action: str) -> int:
    with runtime.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_parallel_guesses_are_counted_before_they_are_checked(app, seeded):
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda n: _attempt(app, "editor", "wrong-%d" % n).status_code, range(40)))
    assert answers.count(401) == 40
    assert _checked(seeded, "login_failed") <= workflow.MAX_FAILURES  # at most 5 passwords were checked
    r = _attempt(app, "editor", "editor-demo-1234")
    assert r.status_code == 401 and "잠겼습니다" in r.get_data(as_text=True)


def test_unknown_and_known_usernames_get_the_same_answers(app, seeded):
    def answers(name):
        out = []
        for n in range(workflow.MAX_FAILURES + 2):
            body = _attempt(app, name, "wrong-%d" % n).get_data(as_text=True)
            out.append(re.sub(r'value="[^"]*"', "", body.replace(name, "NAME")))  # CSRF tokens differ
        return out

    known, unknown = answers("approver"), answers("nobody-here")
    assert known == unknown
    assert "잠겼습니다" in known[-1]


def test_an_anonymous_address_cannot_lock_the_admin_out(app, seeded):
    for n in range(3 * workflow.MAX_FAILURES):
        _attempt(app, "admin", "wrong-%d" % n, addr="127.0.0.2")
    assert _attempt(app, "admin", "admin-demo-1234", addr="127.0.0.2").status_code == 401
    assert _attempt(app, "admin", "admin-demo-1234", addr="127.0.0.1").status_code == 303


def test_an_address_is_limited_over_every_account(app, seeded):
    names = ["guess-%d" % n for n in range(workflow.ADDRESS_TRIES)]
    for name in names:
        _attempt(app, name, "wrong", addr="127.0.0.3")
    r = _attempt(app, "editor", "editor-demo-1234", addr="127.0.0.3")
    assert r.status_code == 401 and "잠겼습니다" in r.get_data(as_text=True)


def test_failures_from_everywhere_lock_the_account_until_an_admin_unlocks(app, seeded):
    rt = seeded
    per_address = workflow.MAX_FAILURES
    addresses = ["127.0.1.%d" % n for n in range(1, workflow.ACCOUNT_FAILURES // per_address + 2)]
    for addr in addresses:
        for n in range(per_address):
            try:
                workflow.authenticate(rt, "editor", "wrong-%d" % n, address=addr)
            except workflow.LoginFailed:
                pass
    r = _attempt(app, "editor", "editor-demo-1234", addr="127.0.2.1")  # a fresh address
    assert r.status_code == 401 and "잠겼습니다" in r.get_data(as_text=True)
    admin = console_login(app, "admin")
    with rt.session() as s:
        op_id = store.operator_by_name(s, "editor").id
    token = csrf_token(admin, "/console/operators")
    r = admin.post("/console/operators/%d" % op_id, data={"csrf_token": token, "action": "unlock"})
    assert r.status_code in (302, 303)
    assert _attempt(app, "editor", "editor-demo-1234", addr="127.0.2.1").status_code == 303


def test_login_fails_closed_without_redis(app, seeded, monkeypatch):
    monkeypatch.setattr(seeded.config, "REDIS_URL", None)
    r = _attempt(app, "editor", "editor-demo-1234")
    assert r.status_code == 503


def test_a_console_session_fails_closed_when_redis_cannot_confirm_it(app, seeded, monkeypatch):
    c = console_login(app, "editor")
    assert c.get("/console/").status_code == 200
    monkeypatch.setattr(seeded.config, "REDIS_URL", None)  # Redis unreachable
    r = c.get("/console/")
    assert r.status_code == 302 and "/console/login" in r.location
