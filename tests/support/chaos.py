"""Machinery for the fault tests (tests/services/test_faults.py).

``ForkServer`` runs ``python -m tests.support.chaos``: a process that imports
everything a worker needs once (the pipelines, reportlab and its fonts,
fax_bridge), then forks a pipeline worker each time it is asked. Each child
runs ``services.worker.main()``, the very code of ``python -m
services.worker``, in a process of its own that the test kills with SIGKILL.
Forking from a warm process makes "work for a random 0.05-0.5 s, then
SIGKILL" time spent on jobs, not on a second of Python imports per worker.
The fork server opens no database, Redis or HTTP connection: each child
builds its own runtime, as a worker started from the shell does.

Also: counting what the fake outside world received, per request (fax calls
in the spool folder), and what the requests' rows say.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from tests.support import procs


class ForkServer(procs.Proc):
    """Forks warm pipeline workers on demand; ``spawn()`` returns the child's pid."""

    def __init__(self, log_dir: Path, name: str, settings: dict):
        super().__init__(name, [sys.executable, "-m", "tests.support.chaos"], log_dir,
                         procs.service_env(**settings))
        self.log_dir = log_dir

    def start(self) -> "ForkServer":
        out = open(self.log_path, "ab")
        self.p = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=out, cwd=str(procs.ROOT), start_new_session=True)
        out.close()
        if self.p.stdout.readline().strip() != b"ready":
            raise RuntimeError("fork server did not start: %s" % self.output()[-2000:])
        return self

    def spawn(self, name: str) -> int:
        """Start a worker (its output in ``<log_dir>/<name>.log``); returns its pid."""
        path = self.log_dir / ("%s.log" % name)
        procs.LOG_FILES.append(path)
        self.p.stdin.write(("%s\n" % path).encode())
        self.p.stdin.flush()
        return int(self.p.stdout.readline())

    @staticmethod
    def kill_worker(pid: int, sig: int = signal.SIGKILL) -> None:
        """Kill a worker and wait until it is gone (the fork server reaps it)."""
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        procs.wait_for(lambda: not _exists(pid), 10, "worker %d to die" % pid)

    def stop(self) -> None:
        if self.alive:
            self.p.stdin.close()  # children still working get SIGTERM with the group
        super().stop()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie not reaped yet is dead too
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def status_counts(rt) -> Counter:
    """{status: number of requests} in one query (polling 1,000 rows one by one
    would take a core from the workers)."""
    from services.models import Request

    with rt.session() as s:
        return Counter(dict(s.execute(select(Request.status, func.count()).group_by(Request.status)).all()))


def leased_steps(rt, pid: int) -> list[str]:
    """The steps that the worker process ``pid`` held leases in (what a kill of it interrupted)."""
    from services import pipeline
    from services.models import Request

    steps = pipeline.pipeline_for("certificate")
    with rt.session() as s:
        rows = s.execute(select(Request.step_index).where(
            Request.lease_owner.like("%%:%d:%%" % pid), Request.lease_until.is_not(None))).all()
    return [steps[i].name if i < len(steps) else "finishing" for (i,) in rows]


def fax_calls(spool: Path) -> dict[str, list[str]]:
    """{fax job id (the receipt number): [final status of each call placed]} from the
    spool folder: one folder is one call attempt handed to the fax server."""
    calls: dict[str, list[str]] = {}
    out = Path(spool) / "outgoing"
    if not out.exists():
        return calls
    for folder in out.iterdir():
        job = json.loads((folder / "job.json").read_text())
        try:
            status = json.loads((folder / "status.json").read_text())["status"]
        except FileNotFoundError:
            status = "queued"
        calls.setdefault(job["key"].rsplit(":", 1)[0], []).append(status)
    return calls


def count_with_event(rt, ids, kind: str) -> int:
    """How many of ``ids`` have at least one ``kind`` event (one query)."""
    from services.models import RequestEvent

    with rt.session() as s:
        return s.scalar(select(func.count(func.distinct(RequestEvent.request_id))).where(
            RequestEvent.request_id.in_(ids), RequestEvent.kind == kind))


def tv_client(runtime, household_code: str = "1144012-0001"):
    """A Flask test client of the TV app, paired to a household, on ``runtime``'s database."""
    from services.core.runtime import set_runtime
    from services.households import get_household
    from services.models import Device, utcnow
    from tvapp import create_app
    from tvapp.tv.device import COOKIE, HASH_PURPOSE

    app = create_app(runtime.config)
    app.config.update(TESTING=True)
    set_runtime(runtime)  # create_app made its own: keep the test's as the current one
    client = app.test_client()
    assert client.get("/tv/").status_code == 302  # an unpaired box gets its cookie
    token = client.get_cookie(COOKIE).value
    with runtime.session() as s:
        device = s.scalar(select(Device).where(
            Device.token_hash == runtime.crypto.keyed_hash(token, HASH_PURPOSE)))
        device.household_id = get_household(s, household_code).id
        device.paired_at = utcnow()
    return client


def restart_smtp(server) -> None:
    """Start a stopped ``tests.support.smtp.SmtpServer`` again, on its port, keeping what it received."""
    from aiosmtpd.controller import Controller

    server.controller = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    server.controller.start()


class FaxApiServer(procs.Proc):
    """fax_bridge's loopback HTTP fax server (``fax_bridge.testing.fax_server``) as a
    process, on a port chosen before it starts (so it can start late)."""

    API_KEY, SECRET = "fault-test-key", "fault-test-secret"

    def __init__(self, log_dir: Path, name: str, script: dict[str, list[str]]):
        self.port = procs.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        super().__init__(name, [
            sys.executable, "-m", "fax_bridge.testing.fax_server", "--port", str(self.port),
            "--api-key", self.API_KEY, "--secret", self.SECRET, "--script", json.dumps(script),
            "--lines", "4", "--dial-seconds", "0.05", "--page-seconds", "0.02"], log_dir)

    def settings(self) -> dict:
        """The settings that send our faxes to this server."""
        return dict(FAX_TRANSPORT="http", FAX_API_URL=self.url, FAX_API_KEY=self.API_KEY,
                    FAX_CALLBACK_SECRET=self.SECRET)

    def start(self) -> "FaxApiServer":
        import requests

        super().start()
        procs.wait_for(lambda: requests.get(self.url + "/stats", timeout=1).ok, 20, "fax server")
        return self

    def calls_by_job(self) -> dict[str, list[str]]:
        """{fax job id (receipt number): [outcome of each call, in order]}."""
        import requests

        out: dict[str, list[tuple[float, str]]] = {}
        auth = {"Authorization": "Bearer %s" % self.API_KEY}
        for call in requests.get(self.url + "/stats", timeout=5).json()["calls"]:
            key = requests.get("%s/faxes/%s" % (self.url, call["id"]), headers=auth, timeout=5).json()["key"]
            out.setdefault(key.rsplit(":", 1)[0], []).append((call["start"], call["outcome"]))
        return {job: [o for _, o in sorted(calls)] for job, calls in out.items()}


def warm_up() -> None:
    import fax_bridge  # noqa: F401
    import services.worker  # noqa: F401
    from services import pipeline  # noqa: F401  (and with it every pipeline)
    from services.certificates import pdf
    from services.delivery import email, fax  # noqa: F401

    pdf._fonts()


def _child(log_path: str) -> None:
    code = 70
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        from services.worker import main as worker_main

        code = worker_main()
    finally:
        os._exit(code or 0)


def main() -> int:
    warm_up()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they die
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            break
        pid = os.fork()
        if pid == 0:
            _child(line.strip())
        sys.stdout.write("%d\n" % pid)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
