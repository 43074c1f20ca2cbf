"""HylaFAX client protocol (hfaxd, port 4559), spoken over a plain socket.

The protocol is FTP-like: ``USER``, ``TYPE I``, ``PASV`` + ``STOT`` to upload
the TIFF to a server temp file, ``JNEW`` and ``JPARM NAME value`` to describe
the job, ``JPARM DOCUMENT <file>``, ``JSUBM``; ``JOB <id>`` + ``JPARM STATE``
to read a job; ``JKILL <id>`` to stop it; ``JOBFMT`` + ``LIST sendq`` to list
jobs. Each job carries the attempt key in ``JOBINFO`` so a repeated submit of
the same attempt finds the job already there instead of dialling again.

By default the server makes one dial per job (``MAXDIALS 1``, ``MAXTRIES 1``)
so retries, fairness and progress stay with :mod:`fax_bridge.lifecycle`, the
same for every transport; ``server_retries=True`` hands them to HylaFAX.
"""

from __future__ import annotations

import getpass
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import TransportError
from .base import FaxTransport, Phase, StatusUpdate, SubmitRequest

__all__ = ["HylaFaxTransport", "HylaFaxSession"]

_PASV = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")
_WAITING = {"SUSPENDED", "PENDING", "SLEEPING", "BLOCKED", "READY"}


class HylaFaxSession:
    """One logged-in control connection to hfaxd."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.file = self.sock.makefile("rwb")

    def reply(self) -> tuple[int, list[str]]:
        """Read one (possibly multi-line) reply: its code and text lines."""
        lines = []
        while True:
            raw = self.file.readline()
            if not raw:
                raise TransportError("hfaxd closed the connection")
            line = raw.decode("latin-1").rstrip("\r\n")
            lines.append(line)
            if len(line) >= 4 and line[:3].isdigit() and line[3] == " ":
                return int(line[:3]), lines
            if len(line) == 3 and line.isdigit():
                return int(line), lines

    def command(self, text: str, *, expect: tuple[int, ...] = (200, 213, 230)) -> list[str]:
        """Send a command and return the reply lines; any other code raises."""
        self.file.write(text.encode("latin-1") + b"\r\n")
        self.file.flush()
        code, lines = self.reply()
        if code not in expect:
            verb = text.split(" ", 1)[0]
            transient = code in (421, 425, 426, 450, 451, 452)
            raise TransportError("hfaxd refused %s: %d" % (verb, code), transient=transient)
        return lines

    def _data_connection(self) -> socket.socket:
        line = self.command("PASV", expect=(227,))[-1]
        match = _PASV.search(line)
        if not match:
            raise TransportError("hfaxd gave no passive address")
        parts = [int(x) for x in match.groups()]
        return socket.create_connection((self.host, parts[4] * 256 + parts[5]), timeout=self.timeout)

    def store_temp(self, data: bytes) -> str:
        """Upload ``data`` to a server temp file (``STOT``); return its name."""
        self.command("TYPE I")
        conn = self._data_connection()
        try:
            self.command("STOT", expect=(150, 125))
            conn.sendall(data)
        finally:
            conn.close()
        code, lines = self.reply()
        if code != 226:
            raise TransportError("hfaxd upload failed: %d" % code)
        match = re.search(r"FILE: (\S+?)\)?\.?$", lines[-1]) or re.search(r"FILE: (\S+)", lines[-1])
        if not match:
            raise TransportError("hfaxd did not name the uploaded file")
        return match.group(1).rstrip(").")

    def list_jobs(self, queue: str, fmt: str) -> list[str]:
        """Lines of ``LIST <queue>`` formatted with ``JOBFMT``."""
        self.command('JOBFMT "%s"' % fmt)
        conn = self._data_connection()
        try:
            self.command("LIST %s" % queue, expect=(150, 125))
            chunks = []
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            conn.close()
        code, _ = self.reply()
        if code != 226:
            raise TransportError("hfaxd listing failed: %d" % code)
        return [line for line in b"".join(chunks).decode("latin-1").splitlines() if line.strip()]

    def close(self) -> None:
        try:
            self.file.write(b"QUIT\r\n")
            self.file.flush()
        except OSError:
            pass
        self.file.close()
        self.sock.close()


def lasttime(seconds: float) -> str:
    """HylaFAX's ``LASTTIME``: ``DDHHMM``, days, hours and minutes after
    submission (hfaxd(8)); three hours is ``000300`` (``030000`` is three days)."""
    minutes = max(1, int(round(seconds / 60.0)))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return "%02d%02d%02d" % (min(days, 99), hours, minutes)


class HylaFaxTransport(FaxTransport):
    """Submit, follow and cancel fax jobs on a HylaFAX server."""

    name = "hylafax"
    idempotent_submit = True

    def __init__(self, host: str = "127.0.0.1", port: int = 4559, *, user: str | None = None,
                 password: str = "", timeout: float = 15.0, server_retries: bool = False,
                 kill_after: float = 3 * 3600.0, sender: str = "fax_bridge") -> None:
        self.host = host
        self.port = port
        self.user = user or getpass.getuser()
        self.password = password
        self.timeout = timeout
        self.server_retries = server_retries
        self.kill_time = lasttime(kill_after)
        self.sender = sender

    @contextmanager
    def session(self) -> Iterator[HylaFaxSession]:
        """A logged-in control connection, closed afterwards."""
        try:
            session = HylaFaxSession(self.host, self.port, self.timeout)
        except OSError as exc:
            raise TransportError("hfaxd unreachable: %s" % exc.__class__.__name__) from exc
        try:
            code, _ = session.reply()
            if code != 220:
                raise TransportError("hfaxd not ready: %d" % code)
            lines = session.command("USER %s" % self.user, expect=(230, 331))
            if lines[-1].startswith("331"):
                session.command("PASS %s" % self.password, expect=(230,))
            yield session
        except OSError as exc:
            raise TransportError("hfaxd connection failed: %s" % exc.__class__.__name__) from exc
        finally:
            session.close()

    def find_job(self, session: HylaFaxSession, key: str) -> str | None:
        """The id of a job tagged with ``key`` in the send or done queue."""
        for queue in ("sendq", "doneq"):
            for line in session.list_jobs(queue, "%j|%J"):
                job_id, _, tag = line.strip().partition("|")
                if tag.strip() == key:
                    return job_id.strip()
        return None

    def _submit(self, request: SubmitRequest) -> str:
        with self.session() as s:
            existing = self.find_job(s, request.key)
            if existing:
                return existing
            document = s.store_temp(request.tiff)
            line = s.command("JNEW")[-1]
            match = re.search(r"jobid: (\d+)", line)
            if not match:
                raise TransportError("hfaxd gave no job id")
            job_id = match.group(1)
            dials, tries = ("12", "3") if self.server_retries else ("1", "1")
            for param in (
                'FROMUSER "%s"' % self.sender,
                "LASTTIME %s" % self.kill_time,
                "MAXDIALS %s" % dials,
                "MAXTRIES %s" % tries,
                'DIALSTRING "%s"' % request.number.digits,
                "VRES %d" % (196 if request.fine else 98),
                "PAGEWIDTH 215",
                "PAGELENGTH 297",
                "NOTIFY NONE",
                'JOBINFO "%s"' % request.key,
            ):
                s.command("JPARM %s" % param)
            s.command("JPARM DOCUMENT %s" % document)
            s.command("JSUBM")
            return job_id

    def _status(self, provider_id: str) -> StatusUpdate:
        with self.session() as s:
            try:
                s.command("JOB %s" % provider_id)
            except TransportError:
                return StatusUpdate(provider_id, Phase.FAILED, reason="job no longer on the server")
            values = {}
            for name in ("STATE", "STATUS", "NPAGES", "TOTPAGES", "JOBINFO"):
                values[name] = s.command("JPARM %s" % name)[-1][4:].strip()
        state, text = values["STATE"].upper(), values["STATUS"]
        sent = int(values["NPAGES"] or 0)
        total = int(values["TOTPAGES"] or 0)
        common = {"pages_sent": sent, "pages": total, "key": values["JOBINFO"]}
        if state in _WAITING:
            return StatusUpdate(provider_id, Phase.QUEUED, reason=text, **common)
        if state == "ACTIVE":
            return StatusUpdate(provider_id, Phase.SENDING, page=sent + 1, **common)
        if state == "DONE":
            return StatusUpdate(provider_id, Phase.DELIVERED, **common)
        lowered = text.lower()
        if "aborted by request" in lowered or "removed" in lowered:
            phase = Phase.CANCELLED
        elif "busy" in lowered:
            phase = Phase.BUSY
        elif "no answer" in lowered or "no carrier" in lowered:
            phase = Phase.NO_ANSWER
        else:
            phase = Phase.FAILED
        return StatusUpdate(provider_id, phase, reason=text or state.lower(), **common)

    def _cancel(self, provider_id: str) -> bool:
        with self.session() as s:
            try:
                s.command("JKILL %s" % provider_id)
            except TransportError:
                return False
        return True
