"""The process's runtime: configuration plus the clients built from it.

Web and worker processes each build one at start; jobs look it up with
``get_runtime()`` (a worker's jobs run in the worker process).

Adapters (the SMS gateway, the mailer, the payment provider) are built once,
from the config, the first time they are used: ``runtime.sms_gateway``,
``runtime.mailer``, ``runtime.payments``. ``reconfigure(config)`` gives the
runtime another config and drops the adapters built from the old one.
"""

from __future__ import annotations

import os
import socket
import uuid
from functools import cached_property

from services.bridge.client import BackendClient
from services.core.config import Config, load_config
from services.core.crypto import Crypto
from services.core.db import get_engine, session_scope
from services.core.redisconn import get_redis
from services.delivery.email import mailer_for
from services.delivery.fax import transport_for
from services.payments import provider_for
from services.sms import gateway_for


class adapter(cached_property):
    """A client built once from the runtime's config (``Runtime.reconfigure`` drops it)."""


class Runtime:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.crypto = Crypto(config.PII_KEY)
        self.instance = "%s:%d:%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:6])

    def session(self):
        """A unit of work on the database (``services.core.versions`` finds the
        runtime's Redis in ``session.info``)."""
        return session_scope(self.config.DATABASE_URL, {"runtime": self})

    def connect(self):
        """A plain connection (no ORM unit of work) for a screen's reads: a
        screen's few queries, executed as prebuilt statements, cost a fraction
        of a session's."""
        return get_engine(self.config.DATABASE_URL).connect()

    @property
    def redis(self):
        if not self.config.REDIS_URL:
            raise RuntimeError("REDIS_URL is not set")
        return get_redis(self.config.REDIS_URL, self.config.REDIS_MAX_CONNECTIONS, self.config.REDIS_TIMEOUT,
                         self.config.REDIS_CONNECT_TIMEOUT)

    @cached_property
    def bridge(self):
        return BackendClient.from_config(self.config)

    # -- adapters: built once from the config -----------------------------------

    @adapter
    def sms_gateway(self):
        return gateway_for(self.config, self.crypto)

    @adapter
    def mailer(self):
        return mailer_for(self.config)

    @adapter
    def payments(self):
        return provider_for(self.config)

    def reconfigure(self, config: Config) -> None:
        """Use ``config`` from now on; adapters are built again from it when next used."""
        self.config = config
        for cls in type(self).__mro__:
            for name, attr in vars(cls).items():
                if isinstance(attr, adapter):
                    self.__dict__.pop(name, None)

    @adapter
    def fax_transport(self):
        """The fax transport of ``FAX_TRANSPORT``, built when first used (the fax
        worker sends through it; the web process checks callbacks with it)."""
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
