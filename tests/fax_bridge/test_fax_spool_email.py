"""Spool folder transport (with a fax server played by a thread) and the email gateway (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import threading

import pytest
from aiosmtpd.controller import Controller
from fax_helpers import free_port

from fax_bridge.lifecycle import FaxDispatcher, RetryPolicy
from fax_bridge.numbers import parse
from fax_bridge.render import FINE, FaxDocument, render_fax
from fax_bridge.store import JobState, SqliteJobStore
from fax_bridge.transports.base import Phase, SubmitRequest
from fax_bridge.transports.email_gateway import EmailGatewayTransport
from fax_bridge.transports.spool import SpoolTransport, write_status

FAST = RetryPolicy(busy_delay=0.02, no_answer_delay=0.02, failed_delay=0.02)


@pytest.fixture(scope="module")
def fax_doc(certificate_pdf):
    return render_fax(certificate_pdf, workers=1)


def _request(key, doc, **kw):
    return SubmitRequest(key=key, number=parse("031-123-4567"), tiff=doc.tiff, pages=doc.pages, **kw)


# -- spool ------------------------------------------------------------------

def test_spool_job_folder_holds_tiff_and_job_file(tmp_path, fax_doc):
    spool = SpoolTransport(tmp_path)
    job_id = spool.submit(_request("req-1:1", fax_doc, first_page=2))
    folder = tmp_path / "outgoing" / job_id
    assert sorted(p.name for p in folder.iterdir()) == ["fax.tif", "job.json"]
    assert (folder / "fax.tif").read_bytes() == fax_doc.tiff
    job = json.loads((folder / "job.json").read_text())
    assert job == {**job, "version": 1, "key": "req-1:1", "number": "0311234567", "pages": 2,
                   "first_page": 2, "resolution": "fine", "document": "fax.tif", "id": job_id}
    assert list((tmp_path / "tmp").iterdir()) == []  # staging cleaned
    assert spool.submit(_request("req-1:1", fax_doc)) == job_id  # same attempt: same folder
    assert len(list((tmp_path / "outgoing").iterdir())) == 1


def test_spool_reads_status_written_by_the_server_and_cancels(tmp_path, fax_doc):
    spool = SpoolTransport(tmp_path)
    job_id = spool.submit(_request("req-2:1", fax_doc))
    assert spool.status(job_id).phase is Phase.QUEUED
    write_status(tmp_path / "outgoing" / job_id, "sending", page=2, pages_sent=1)
    update = spool.status(job_id)
    assert (update.phase, update.page, update.pages_sent, update.key) == (Phase.SENDING, 2, 1, "req-2:1")
    assert spool.cancel(job_id) is True
    assert (tmp_path / "outgoing" / job_id / "cancel").exists()


def _fake_fax_server(root, outcomes, stop):
    """Plays the fax server on the spool: one outcome per job folder, in order of arrival."""
    seen = set()
    while not stop.is_set():
        for folder in sorted((root / "outgoing").iterdir()):
            if folder.name in seen:
                continue
            seen.add(folder.name)
            job = json.loads((folder / "job.json").read_text())
            outcome = outcomes.pop(0) if outcomes else "answered"
            write_status(folder, "dialing")
            if outcome == "busy":
                write_status(folder, "busy", reason="busy signal")
                continue
            for page in range(job["first_page"], job["pages"] + 1):
                write_status(folder, "sending", page=page, pages_sent=page - 1)
            write_status(folder, "delivered", pages_sent=job["pages"])
        stop.wait(0.01)


def test_spool_lifecycle_busy_then_delivered(tmp_path, fax_doc):
    events = []
    stop = threading.Event()
    server = threading.Thread(target=_fake_fax_server, args=(tmp_path, ["busy", "answered"], stop))
    fax = FaxDispatcher(SqliteJobStore(), SpoolTransport(tmp_path), retry=FAST,
                        on_event=events.append, poll_interval=0.01)
    server.start()
    try:
        fax.enqueue("r1", "h", "031-123-4567", fax_doc)
        assert fax.run(timeout=30)
    finally:
        stop.set()
        server.join()
    job = fax.job("r1")
    assert job.state is JobState.DELIVERED and job.dials == 2
    assert [e.kind for e in events][:3] == ["queued", "dialing", "retry"]
    assert events[-1].kind == "delivered"
    assert len(list((tmp_path / "outgoing").iterdir())) == 2  # one folder per attempt


# -- email gateway ------------------------------------------------------------

class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_email_gateway_sends_number_at_domain_with_tiff(smtp_server, fax_doc):
    controller, inbox = smtp_server
    gateway = EmailGatewayTransport("127.0.0.1", controller.port,
                                    domain="fax.example.net", sender="minwon@gangnam.example")
    message_id = gateway.submit(_request("req-3:1", fax_doc))
    assert gateway.status(message_id).phase is Phase.HANDED_OFF
    (sender, recipients, content), = inbox.messages
    assert sender == "minwon@gangnam.example"
    assert recipients == ["0311234567@fax.example.net"]
    msg = email.message_from_bytes(content, policy=email.policy.default)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "image/tiff"
    assert attachment.get_content() == fax_doc.tiff
    assert gateway.cancel(message_id) is False


def test_email_gateway_can_attach_the_pdf(smtp_server, fax_doc, certificate_pdf):
    controller, inbox = smtp_server
    gateway = EmailGatewayTransport("127.0.0.1", controller.port,
                                    domain="fax.example.net", sender="a@b.example", attach="pdf")
    gateway.submit(_request("req-4:1", fax_doc, pdf=certificate_pdf))
    msg = email.message_from_bytes(inbox.messages[0][2], policy=email.policy.default)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == certificate_pdf


def test_email_gateway_lifecycle_ends_handed_off(smtp_server, fax_doc):
    controller, inbox = smtp_server
    gateway = EmailGatewayTransport("127.0.0.1", controller.port,
                                    domain="fax.example.net", sender="a@b.example")
    events = []
    fax = FaxDispatcher(SqliteJobStore(), gateway, on_event=events.append, poll_interval=0.01)
    fax.enqueue("r5", "h", "02-1234-5678", FaxDocument(fax_doc.tiff, fax_doc.pages, FINE))
    assert fax.run(timeout=30)
    assert fax.job("r5").state is JobState.HANDED_OFF
    assert [e.kind for e in events] == ["queued", "dialing", "handed_off"]
    assert len(inbox.messages) == 1
