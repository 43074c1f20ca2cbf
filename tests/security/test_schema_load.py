"""Issue 19 item 10: the back-end schema loads reliably when many threads of a
web worker ask for it at once, and a process that cannot load it stops with
the reason instead of serving 503s.

The probe saw 2 web workers in about 8 production starts answer /healthz 503
for good. The cause (``services/bridge/protocol.py``): libxml2 sets up its XML
Schema built-in types on a process's first schema parse, not thread-safely;
threads answering their first /healthz at once parsed the XSD together and,
in 1 to 7 fresh processes in 100, broke that set-up, after which every parse
in the process failed. A failure shows only in a *fresh* process (the set-up
happens once), hence fresh processes here, and whole production starts.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from services import worker
from services.bridge import protocol
from tests.support import procs
from tvapp import create_app


def test_many_threads_load_and_use_the_schema_at_once():
    errors, start = [], threading.Barrier(16)

    def load():
        try:
            start.wait()
            for _ in range(5):
                protocol.validate(protocol.envelope("Request"))
        except protocol.ProtocolError:
            pass  # an incomplete envelope is refused by the schema: what counts is it loaded
        except Exception as exc:  # noqa: BLE001 - any load failure is the bug
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def _no_schema(monkeypatch, tmp_path):
    monkeypatch.setattr(protocol, "SCHEMA_PATH", tmp_path / "missing.xsd")
    monkeypatch.setattr(protocol, "_local", threading.local())


def test_a_web_worker_without_its_schema_does_not_start(runtime, monkeypatch, tmp_path):
    _no_schema(monkeypatch, tmp_path)
    with pytest.raises(protocol.SchemaUnavailable, match="missing.xsd"):
        create_app(runtime.config)


def test_a_job_worker_without_its_schema_exits_with_the_reason(runtime, monkeypatch, tmp_path, capsys):
    _no_schema(monkeypatch, tmp_path)
    assert worker.main() == 3
    assert "missing.xsd" in capsys.readouterr().err


# A fresh process imports the protocol module (as every web and job worker
# does), then 16 threads parse the XSD at once, bypassing schema()'s lock.
RACE = """
import sys, threading
from lxml import etree
from services.bridge import protocol
errors, start = [], threading.Barrier(16)
def parse():
    start.wait()
    try:
        etree.XMLSchema(etree.fromstring(protocol.SCHEMA_PATH.read_bytes()))
    except etree.XMLSchemaParseError as exc:
        errors.append(str(exc))
threads = [threading.Thread(target=parse) for _ in range(16)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(errors), errors[:1])
"""


def test_fresh_processes_parse_the_schema_from_many_threads_at_once():
    """Without the set-up on import, 1 to 7 such processes in 100 failed (14 to
    16 of its threads: "the given type is not a built-in type", and every parse
    after): 30 of them catch a regression only now and then - a guard, not a
    proof (with the set-up, none of 240 such processes failed; without, 7 of 300)."""
    def one(_):
        out = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=60,
                             cwd=str(procs.ROOT), env=procs.service_env())
        return out.stdout.strip() or out.stderr[-300:]

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(one, range(30)))
    assert results == ["0 []"] * 30, [r for r in results if r != "0 []"]


STARTS = 8


def _healthy_under_a_burst(url: str, deadline: float) -> bool:
    """/healthz from 16 threads at once as the workers come up (the launcher's
    wait, compose's health check and the first boxes), until three bursts in a
    row are all 200: a worker that broke its schema answers 503 every time."""
    ok_rounds = 0

    def probe(_):
        try:
            return requests.get(url + "/healthz", timeout=10).status_code
        except requests.RequestException:
            return None

    with ThreadPoolExecutor(16) as pool:
        while time.time() < deadline:
            answers = list(pool.map(probe, range(16)))
            ok_rounds = ok_rounds + 1 if set(answers) == {200} else 0
            if ok_rounds == 3:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.slow
def test_the_production_web_tier_becomes_healthy_every_time(demo, log_dir, tmp_path):
    """`launcher web` in production (gunicorn, its thread worker, 2 processes of
    8 threads: compose's web) started STARTS times, four at a time; each
    becomes healthy under /healthz bursts from its first moment."""
    cfg = demo.config
    prod = dict(TVGOV_ENV="production", SECRET_KEY=secrets.token_urlsafe(32), PII_KEY=secrets.token_urlsafe(32),
                DATABASE_URL=cfg.DATABASE_URL, REDIS_URL=cfg.REDIS_URL, BACKEND_URL=cfg.BACKEND_URL,
                VAR_DIR=tmp_path / "var")
    jobs = procs.Proc("prod-worker", [sys.executable, "-m", "services.worker"], log_dir,
                      procs.service_env(**prod)).start()  # /healthz wants a worker

    def start_one(i):
        port = procs.free_port()
        web = procs.Proc("prod-web-%d" % i, [sys.executable, "-m", "tvapp.launcher", "web"], log_dir,
                         procs.service_env(PORT=port, WEB_WORKERS=2, WEB_THREADS=8, **prod)).start()
        try:
            return _healthy_under_a_burst("http://127.0.0.1:%d" % port, time.time() + 45)
        finally:
            web.stop()

    try:
        with ThreadPoolExecutor(4) as pool:
            healthy = list(pool.map(start_one, range(STARTS)))
    finally:
        jobs.stop()
    assert healthy == [True] * STARTS
