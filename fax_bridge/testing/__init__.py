"""Test helpers shipped with fax_bridge: a loopback fax server run as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import requests

__all__ = ["LoopbackFaxServer", "start_fax_server"]


@dataclass
class LoopbackFaxServer:
    """A running :mod:`fax_bridge.testing.fax_server` process."""

    url: str
    api_key: str
    secret: bytes
    process: subprocess.Popen = field(repr=False)

    def stats(self) -> dict:
        """Dials per number, calls with start/end/outcome, callbacks sent."""
        return requests.get(self.url + "/stats", timeout=5).json()

    def stop(self) -> None:
        """Terminate the process and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()

    def __enter__(self) -> LoopbackFaxServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_fax_server(script: dict[str, list[str]] | None = None, *, lines: int = 4,
                     dial_seconds: float = 0.01, page_seconds: float = 0.01,
                     callbacks: str = "inline", api_key: str = "test-key",
                     secret: str = "test-secret") -> LoopbackFaxServer:
    """Start the loopback fax server in its own process and wait until it listens."""
    cmd = [sys.executable, "-m", "fax_bridge.testing.fax_server", "--port", "0",
           "--api-key", api_key, "--secret", secret, "--script", json.dumps(script or {}),
           "--lines", str(lines), "--dial-seconds", str(dial_seconds),
           "--page-seconds", str(page_seconds), "--callbacks", callbacks]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        process.wait()
        raise RuntimeError("loopback fax server did not start")
    return LoopbackFaxServer(json.loads(line)["url"], api_key, secret.encode(), process)
