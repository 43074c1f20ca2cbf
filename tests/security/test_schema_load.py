"""Issue 19 item 10: the back-end schema loads reliably when many threads of a
web worker ask for it at once, and a process that cannot load it stops with
the reason instead of serving 503s."""

from __future__ import annotations

import threading

import pytest

from services import worker
from services.bridge import protocol
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
