"""The session-wide log scan really fails a run that logs personal data."""

import subprocess
import sys
import textwrap

from tests.support.procs import ROOT


def test_a_run_that_logs_a_phone_number_fails(tmp_path):
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_leak.py").write_text(textwrap.dedent('''
        import logging
        def test_leak():
            logging.getLogger("services.leaky").info("sms to %s", "010-0000-0001")
    '''))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), str(tmp_path)],
                       capture_output=True, text=True, cwd=str(ROOT), timeout=120,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1, r.stdout
    assert "PERSONAL DATA IN LOGS" in r.stdout
    assert "010-0000-0001" not in r.stdout  # the report itself masks it
