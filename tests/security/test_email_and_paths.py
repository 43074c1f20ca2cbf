"""Email header injection and path tricks.

Email: CR, LF and other line breaks in an address typed on the phone
(hand-off) or posted to the TV's email form are refused or stripped; the
one message the real SMTP server (aiosmtpd) receives has one recipient and
no header we did not write. The address check itself refuses a trailing
newline (a ``$`` in the pattern let one through).

Paths: static routes with ``..``, ``%2e%2e``, encoded slashes, backslashes
and NUL read nothing outside their folder; an uploaded feed's file name is
only a label; fax spool ids and email outbox names cannot leave their
folders.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.delivery import email as email_delivery
from tests.security.conftest import console_login, csrf_token
from tests.support.smtp import SmtpServer
from tests.tvapp.test_certificate_screens import post, walk_to_delivery
from tests.tvapp.test_tv_screens import pair

REPO = Path(__file__).resolve().parents[2]
INJECTIONS = [
    "victim@example.com\r\nBcc: evil@attacker.example",
    "victim@example.com\nBcc:evil@attacker.example",
    "victim@example.com\rBcc:evil@attacker.example",
    "victim@example.com\n",
    "victim@example.com\r\n",
    "victim@example.com\u2028Bcc:evil@attacker.example",
    "victim@example.com\x85Bcc: evil@attacker.example",
    "victim@example.com\x00Bcc: evil@attacker.example",
    "victim@example.com\x0bBcc: evil@attacker.example",
    '"Evil" <evil@attacker.example>, victim@example.com',
    "victim@example.com,evil@attacker.example",
    "=?utf-8?q?x=0D=0ABcc:_evil@attacker.example?= <victim@example.com>",
]


@pytest.mark.parametrize("address", INJECTIONS)
def test_address_check_refuses_line_breaks_and_lists(address):
    assert not email_delivery.valid_address(address)
    with pytest.raises(email_delivery.EmailPermanentError):
        email_delivery.build_message(to=address, subject="s", body="b", message_id="<m@x>",
                                     sender="no-reply@tvgov.local", sender_name="구청", attachments=[],
                                     when=datetime.now(timezone.utc))


@pytest.fixture
def smtp(runtime, monkeypatch):
    server = SmtpServer().start()
    envelopes = []
    handle = server.handler.handle_DATA

    async def recording(srv, session, envelope):
        envelopes.append(list(envelope.rcpt_tos))
        return await handle(srv, session, envelope)

    server.handler.handle_DATA = recording
    server.envelopes = envelopes
    monkeypatch.setattr(runtime.config, "SMTP_URL", server.url)  # the app's too: one Config
    yield server
    server.stop()


def test_certificate_email_by_handoff_and_form(demo, app, smtp):
    from services import pipeline
    from services.models import Request

    tv = app.test_client()
    pair(tv, demo)
    walk_to_delivery(tv, demo, ctype="resident-copy", ref="R1001", phone="010-0000-0001")
    page = tv.get("/tv/certificates/delivery/email").get_data(as_text=True)
    token = re.search(r'data-ho-poll="/tv/h/([A-Za-z0-9_-]+)\.json"', page).group(1)

    phone = app.test_client()
    form = phone.get("/m/h/%s" % token).get_data(as_text=True)
    hostile = INJECTIONS[0]
    r = phone.post("/m/h/%s/live" % token, data={"value": hostile, "csrf_token": csrf_token(phone, "/m/h/%s" % token)})
    assert r.status_code == 200
    shown = tv.get("/tv/h/%s.json" % token).get_json()["value"]
    assert "\r" not in shown and "\n" not in shown  # neutralised on the way in
    r = phone.post("/m/h/%s" % token, data={"value": hostile, "csrf_token": csrf_token(phone, "/m/h/%s" % token)})
    assert r.status_code == 200 and form
    final = tv.get("/tv/h/%s.json" % token).get_json()
    assert final["done"] is False and "\n" not in final["value"]  # refused: not an address

    trailing = [a for a in INJECTIONS if a.strip() == "victim@example.com"]
    for address in INJECTIONS:  # what a forged TV form could post
        if address in trailing:
            continue
        r = post(tv, "/tv/certificates/delivery/email", page, use="new", email=address)
        assert r.status_code == 302 and "error=" in r.location, repr(address)
    # a trailing line break is neutralised (stripped): the message below proves it
    r = post(tv, "/tv/certificates/delivery/email", page, use="new", email=trailing[0])
    assert r.location.endswith("/tv/certificates/confirm")
    confirm = tv.get(r.location).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', confirm).group(1)
    done = post(tv, "/tv/certificates/confirm", confirm, token=token)
    assert "/done/" in done.location
    with demo.session() as s:
        rid = s.query(Request).one().id
    for _ in range(6):  # run the pipeline here, step by step, as the worker would
        if pipeline.process_request(rid) in ("delivered", "completed", "failed"):
            break
    assert len(smtp.messages) == 1, smtp.messages
    raw = smtp.messages[0].as_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_all("To") == ["victim@example.com"]
    assert msg.get_all("Bcc") is None and msg.get_all("Cc") is None
    assert smtp.envelopes == [["victim@example.com"]]
    assert b"attacker" not in raw


# -- paths -----------------------------------------------------------------------

TRAVERSALS = [
    "/static/../tvapp/__init__.py", "/static/%2e%2e/%2e%2e/tvapp/__init__.py",
    "/static/..%2f..%2ftvapp%2f__init__.py", "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/static/..%5c..%5cpyproject.toml", "/static/tv/..%2f..%2f..%2fpyproject.toml",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/tv/tv.css%00.py",
    "/static/tv/%00../../../pyproject.toml", "/static/%252e%252e/%252e%252e/pyproject.toml",
    "/static/....//....//pyproject.toml", "/console/static/../views.py",
    "/console/static/..%2fviews.py", "/console/static/%2e%2e/%2e%2e/workflow.py",
    "/remote_nav/static/..%2f__init__.py", "/remote_nav/static/%2e%2e/focus.py",
    "/tv/news/image/..%2f..%2f1.jpg", "/verify/..%2f..%2fstatic%2f..%2fpyproject.toml",
]
SECRETS = (b"root:x:0:", b"def create_app", b"[project]", b"import ", b"workflow", b"FocusGraph")


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_routes_stay_in_their_folder(client, path):
    r = client.get(path)
    assert r.status_code in (308, 400, 403, 404), (path, r.status_code)
    if r.status_code == 308:  # werkzeug merges slashes: follow once, still inside
        r = client.get(r.location)
        assert r.status_code in (400, 403, 404), (path, r.status_code)
    assert not any(s in r.data for s in SECRETS), path


def test_a_real_static_file_is_served(client):
    """The traversal check is not passing because static files are broken."""
    assert client.get("/static/tv/tv.css").status_code == 200


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def test_uploaded_file_names_are_labels_only(app, seeded, tmp_path):
    admin = console_login(app, "admin")
    token = csrf_token(admin, "/console/sources")
    before = _files(tmp_path)
    names = ["../../../../../tmp/evil-%d.xml", "/etc/evil-%d", "..\\..\\evil-%d.xml", "evil-%d\x00.xml",
             "%%2e%%2e%%2fevil-%d.xml"]
    doc = b'<rss version="2.0"><channel><title>t</title><item><guid>g</guid><title>x</title></item></channel></rss>'
    for n, name in enumerate(names):
        r = admin.post("/console/sources/upload", data={
            "name": "", "csrf_token": token, "file": (io.BytesIO(doc), name % n)},
            content_type="multipart/form-data")
        assert r.status_code == 303
    created = {p for p in _files(tmp_path) - before if "evil" in p.name}
    assert not created, created
    assert not list(Path("/tmp").glob("evil-*"))
    from broadcast_feed import store

    with seeded.session() as s:
        labels = [src.name for src in store.list_sources(s) if "evil" in src.name]
    assert len(labels) == len(names)  # the name is kept as a label, nothing more


@pytest.mark.parametrize("bad", ["..", ".", "../outgoing", "a/b", "/etc", "x\x00", ".hidden", ""])
def test_fax_spool_ids_cannot_leave_the_folder(tmp_path, bad):
    from fax_bridge.errors import TransportError
    from fax_bridge.transports.spool import SpoolTransport

    spool = SpoolTransport(tmp_path / "spool")
    with pytest.raises(TransportError):
        spool.folder(bad)
    assert not (tmp_path / "cancel").exists() and not (tmp_path / "spool" / "cancel").exists()


@pytest.mark.parametrize("key", ["../../etc/x", "..", ".", "/abs/path", "a\x00b", "..\\..\\x", ".hidden"])
def test_fax_spool_folder_names_stay_inside(tmp_path, key):
    from fax_bridge.transports.spool import SpoolTransport, folder_name

    spool = SpoolTransport(tmp_path / "spool")
    name = folder_name(key)
    target = (spool.outgoing / name).resolve()
    assert target.parent == spool.outgoing.resolve() and not name.startswith(".")
    assert spool.folder(name) == spool.outgoing / name


@pytest.mark.parametrize("mid", ["<../../../evil@x>", "<..>", "</etc/evil@x>", "<a\x00b@x>", "<..\\..\\evil@x>"])
def test_email_outbox_files_stay_inside(tmp_path, mid):
    folder = tmp_path / "outbox" / "email"
    msg = email_delivery.build_message(to="victim@example.com", subject="s", body="b", message_id=mid,
                                       sender="no-reply@tvgov.local", sender_name="구청", attachments=[],
                                       when=datetime.now(timezone.utc))
    email_delivery.OutboxMailer(folder).send(msg)
    written = _files(tmp_path)
    assert len(written) == 1 and next(iter(written)).parent == folder, written


def test_tax_receipt_email_is_never_typed(app, demo):
    """The receipt goes to the payer's registered address only: an address
    posted with the form (header injection or not) is ignored."""
    from tests.tvapp.test_tax_screens import DUE

    tv = app.test_client()
    pair(tv, demo)
    page = tv.get("/tv/taxes/bill/%s/receipt" % DUE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = tv.post("/tv/taxes/bill/%s/receipt" % DUE, data={
        "use": "email", "email": INJECTIONS[0], "address": INJECTIONS[0], "csrf_token": token})
    assert r.status_code == 302
    bill = tv.get("/tv/taxes/bill/%s" % DUE).get_data(as_text=True)
    assert "영수증" in bill and "attacker" not in bill and "Bcc" not in bill
    import json

    flows = [json.loads(demo.crypto.decrypt(demo.redis.get(k).decode())) for k in demo.redis.scan_iter("taxflow:*")]
    assert flows and all("attacker" not in json.dumps(f) for f in flows)
    chosen = flows[0]["delivery"][DUE]
    assert chosen["method"] in ("email", "none") and chosen.get("address", "").count("@") <= 1
