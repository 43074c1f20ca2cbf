"""HylaFAX transport against a real faxq + hfaxd on loopback, in a private spool.

No modem is configured, so jobs wait in the queue (they cannot be transmitted
here; transmission is covered with the loopback fax server). What is checked:
the client protocol submits a real job that ``faxstat -s`` lists, reads its
state, finds it again by its attempt key instead of submitting twice, and the
job can be removed with ``faxrm`` or with our cancel.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from fax_helpers import free_port, need_tool
from sqlalchemy import select

from fax_bridge import FINE, FaxDocument, JobState
from fax_bridge.numbers import parse
from fax_bridge.render import render_fax
from fax_bridge.transports.base import Phase, SubmitRequest
from fax_bridge.transports.hylafax import HylaFaxTransport, lasttime
from services import ledger
from services.certificates import requests as certs
from services.delivery import fax
from services.models import DELIVERING, Household, Request, Resident

SPOOL = "/var/spool/hylafax"
CONFIG = "/etc/hylafax"


def _wait_for_port(port: int, proc: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("hfaxd exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("hfaxd did not listen")


@pytest.fixture(scope="module")
def hylafax():
    """faxq and hfaxd started from a copy of the package's spool and configuration."""
    faxq, hfaxd = need_tool("faxq"), need_tool("hfaxd")
    need_tool("faxstat")
    if not os.path.isdir(SPOOL) or not os.path.isdir(CONFIG):
        pytest.fail("hylafax-server spool or configuration missing: run `make test` as root")
    if os.geteuid() != 0:
        pytest.fail("faxq/hfaxd must start as root to switch to the uucp user: run `make test` as root")
    # faxq and hfaxd drop to the uucp user: the spool's parents must be
    # traversable by it (pytest's own temp root is private to root).
    top = pathlib.Path(tempfile.mkdtemp(prefix="fax_bridge-hylafax-"))
    top.chmod(0o755)
    spool = top / "spool"
    subprocess.run(["cp", "-a", SPOOL, str(spool)], check=True)
    subprocess.run(["cp", "-a", CONFIG + "/.", str(spool / "etc")], check=True)
    port = free_port()
    procs = [subprocess.Popen([faxq, "-q", str(spool), "-D"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 15
        while not (spool / "FIFO").exists():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("faxq did not start")
            time.sleep(0.05)
        procs.append(subprocess.Popen(
            [hfaxd, "-q", str(spool), "-d", "-l", "127.0.0.1", "-i", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _wait_for_port(port, procs[1], deadline)
        yield {"port": port, "spool": spool, "host": "127.0.0.1:%d" % port}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope="module")
def fax_tiff(certificate_pdf):
    return render_fax(certificate_pdf, workers=1).tiff


def _request(key: str, tiff: bytes) -> SubmitRequest:
    return SubmitRequest(key=key, number=parse("02-1234-5678"), tiff=tiff, pages=2)


def _faxstat(hylafax) -> str:
    return subprocess.run(["faxstat", "-h", hylafax["host"], "-s"], capture_output=True, text=True,
                          timeout=30, check=True).stdout


def test_submit_is_listed_by_faxstat_and_removed_by_faxrm(hylafax, fax_tiff):
    transport = HylaFaxTransport("127.0.0.1", hylafax["port"])
    job_id = transport.submit(_request("req-1:1", fax_tiff))
    assert job_id.isdigit()

    listing = _faxstat(hylafax)
    rows = [line.split() for line in listing.splitlines() if line.split()[:1] == [job_id]]
    assert rows, listing
    assert "0212345678" in rows[0]

    status = transport.status(job_id)
    assert status.phase is Phase.QUEUED  # no modem: it waits in the queue
    assert status.key == "req-1:1"

    # The same attempt submitted again finds the job instead of adding one.
    assert transport.submit(_request("req-1:1", fax_tiff)) == job_id
    assert sum(1 for line in _faxstat(hylafax).splitlines() if "0212345678" in line) == 1

    need_tool("faxrm")
    out = subprocess.run(["faxrm", "-h", hylafax["host"], job_id], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and "removed" in out.stdout, out.stdout + out.stderr
    assert job_id not in [line.split()[0] for line in _faxstat(hylafax).splitlines() if line.split()]
    assert transport.status(job_id).phase is Phase.CANCELLED


def test_cancel_through_the_client_protocol(hylafax, fax_tiff):
    transport = HylaFaxTransport("127.0.0.1", hylafax["port"])
    job_id = transport.submit(_request("req-2:1", fax_tiff))
    assert transport.cancel(job_id) is True
    status = transport.status(job_id)
    assert status.phase is Phase.CANCELLED
    assert "aborted" in status.reason.lower()


def test_stored_document_is_our_tiff(hylafax, fax_tiff):
    transport = HylaFaxTransport("127.0.0.1", hylafax["port"])
    job_id = transport.submit(_request("req-3:1", fax_tiff))
    with transport.session() as session:
        session.command("JOB %s" % job_id)
        lines = session.command("JPARM DOCUMENT")
        assert any(line[4:].startswith("TIFF ") for line in lines), lines
        assert session.command("JPARM VRES")[-1].endswith("196")
    transport.cancel(job_id)


def test_unreachable_server_raises_transport_error():
    from fax_bridge.errors import TransportError

    transport = HylaFaxTransport("127.0.0.1", free_port(), timeout=2)
    with pytest.raises(TransportError):
        transport.status("1")


def _queue_file(hylafax, job_id: str) -> dict:
    """The queue file hfaxd wrote for the job (``sendq/q<id>``), as ``name -> value``."""
    path = hylafax["spool"] / "sendq" / ("q%s" % job_id)
    fields = {}
    for line in path.read_text(errors="replace").splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    return fields


def test_lasttime_is_days_hours_minutes():
    assert lasttime(3 * 3600) == "000300"
    assert lasttime(90 * 60) == "000130"
    assert lasttime(3 * 86400 + 3600 + 60) == "030101"
    assert lasttime(1) == "000001"


@pytest.mark.parametrize("kill_after", [3 * 3600.0, 45 * 60.0])
def test_the_queue_file_kills_the_job_after_the_setting(hylafax, fax_tiff, kill_after):
    """Read back from the real hfaxd's queue file: the kill time is the setting
    after submission (a job that LASTTIME 030000 made live 259,200 s)."""
    transport = HylaFaxTransport("127.0.0.1", hylafax["port"], kill_after=kill_after)
    job_id = transport.submit(_request("req-kill-%d:1" % kill_after, fax_tiff))
    try:
        q = _queue_file(hylafax, job_id)
        assert q["jobtag"] == "req-kill-%d:1" % kill_after  # our JOBINFO: it is our job's file
        lifetime = int(q["killtime"]) - int(q["tts"])
        assert abs(lifetime - kill_after) <= 60, q
    finally:
        transport.cancel(job_id)


def test_cancel_removes_the_queue_file(hylafax, fax_tiff):
    transport = HylaFaxTransport("127.0.0.1", hylafax["port"])
    job_id = transport.submit(_request("req-gone:1", fax_tiff))
    assert (hylafax["spool"] / "sendq" / ("q%s" % job_id)).exists()
    assert transport.cancel(job_id) is True
    assert not (hylafax["spool"] / "sendq" / ("q%s" % job_id)).exists()
    assert job_id not in [line.split()[0] for line in _faxstat(hylafax).splitlines() if line.split()]


def test_cancelling_the_request_kills_the_hylafax_job(hylafax, fax_tiff, demo):
    """Issue 19 item 9: a request cancelled anywhere (here ledger.cancel, as
    SMS 취소 and the TV do) reaches the job on the real hfaxd: JKILL, the queue
    file gone, faxstat no longer lists it, the line is free."""
    with demo.session() as s:
        hh = s.scalar(select(Household).where(Household.code == "1144012-0001"))
        res = s.scalar(select(Resident).where(Resident.household_id == hh.id))
        req, _ = ledger.create_request(s, demo.crypto, client_token="jkill-1", kind="certificate",
                                       household_id=hh.id, resident_id=res.id, channel="tv",
                                       delivery_method="fax", delivery_address="02-1234-5678",
                                       options={"certificate_type": "resident-copy"})
        receipt, request_id = req.receipt_no, req.id
    fax.enqueue(demo, receipt, "household-1", "02-1234-5678", FaxDocument(fax_tiff, 2, FINE))
    dispatcher = fax._dispatcher(demo, HylaFaxTransport("127.0.0.1", hylafax["port"]))
    dispatcher.step()
    job = dispatcher.job(receipt)
    assert job.state is JobState.SENDING and job.provider_id
    queue_file = hylafax["spool"] / "sendq" / ("q%s" % job.provider_id)
    assert queue_file.exists()

    assert fax.cancel_for_cancelled_requests(demo, dispatcher) == []  # not cancelled: left alone
    with demo.session() as s:
        assert ledger.cancel(s, s.get(Request, request_id), reason="cancelled by SMS")
    assert fax.cancel_for_cancelled_requests(demo, dispatcher) == [receipt]
    assert dispatcher.job(receipt).state is JobState.CANCELLED
    assert not queue_file.exists()
    assert job.provider_id not in [line.split()[0] for line in _faxstat(hylafax).splitlines() if line.split()]
    assert fax.cancel_for_cancelled_requests(demo, dispatcher) == []  # once


def test_the_tv_cancel_and_switch_kill_the_hylafax_job(hylafax, fax_tiff, demo):
    """Issue 17 item 3: the TV's 신청 취소 and 메일로 받기 reach the job on the
    real hfaxd as SMS 취소 does: JKILL, the queue file gone, the line free."""
    dispatcher = fax._dispatcher(demo, HylaFaxTransport("127.0.0.1", hylafax["port"]))
    outcomes = {}
    for action in ("cancel", "switch"):
        with demo.session() as s:
            hh = s.scalar(select(Household).where(Household.code == "1144012-0001"))
            res = s.scalar(select(Resident).where(Resident.household_id == hh.id, Resident.ref == "R1003"))
            req, _ = ledger.create_request(s, demo.crypto, client_token="tv-%s" % action, kind="certificate",
                                           household_id=hh.id, resident_id=res.id, channel="tv",
                                           delivery_method="fax", delivery_address="02-1234-5678",
                                           options={"certificate_type": "resident-copy"})
            req.status = DELIVERING
            receipt, hid = req.receipt_no, hh.id
        fax.enqueue(demo, receipt, "household-1", "02-1234-5678", FaxDocument(fax_tiff, 2, FINE))
        dispatcher.step()
        job = dispatcher.job(receipt)
        assert job.state is JobState.SENDING and job.provider_id
        queue_file = hylafax["spool"] / "sendq" / ("q%s" % job.provider_id)
        assert queue_file.exists()
        if action == "cancel":
            outcomes[action] = ledger.cancel_by_household(demo, receipt, hid)
        else:
            outcomes[action] = certs.switch_delivery(demo, receipt, hid, "email")
        assert fax.cancel_for_cancelled_requests(demo, dispatcher) == [receipt]
        assert dispatcher.job(receipt).state is JobState.CANCELLED
        assert not queue_file.exists()
        assert job.provider_id not in [line.split()[0] for line in _faxstat(hylafax).splitlines() if line.split()]
    assert outcomes == {"cancel": "cancelled", "switch": "switched"}
