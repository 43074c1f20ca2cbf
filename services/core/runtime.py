"""The process's runtime: configuration plus the clients built from it.

Web and worker processes each build one at start; jobs look it up with
``get_runtime()`` (a worker's jobs run in the worker process).
"""

from __future__ import annotations

import os
import socket
import uuid
from functools import cached_property

from services.core.config import Config, load_config
from services.core.crypto import Crypto
from services.core.db import session_scope
from services.core.redisconn import get_redis


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.crypto = Crypto(config.PII_KEY)
        self.instance = "%s:%d:%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:6])

    def session(self):
        return session_scope(self.config.DATABASE_URL)

    @property
    def redis(self):
        if not self.config.REDIS_URL:
            raise RuntimeError("REDIS_URL is not set")
        return get_redis(self.config.REDIS_URL)

    @cached_property
    def bridge(self):
        from services.bridge.client import BackendClient

        return BackendClient.from_config(self.config)

    @cached_property
    def fax_transport(self):
        """The fax transport of ``FAX_TRANSPORT``, built when first used (the fax
        worker sends through it; the web process checks callbacks with it)."""
        from services.delivery.fax import transport_for

        return transport_for(self.config)


_current: Runtime | None = None


def get_runtime() -> Runtime:
    global _current
    if _current is None:
        _current = Runtime(load_config())
    return _current


def set_runtime(runtime: Runtime | None) -> None:
    global _current
    _current = runtime
