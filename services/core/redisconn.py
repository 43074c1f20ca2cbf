"""Redis connections (one client per URL and timeouts per process)."""

from __future__ import annotations

import redis

REDIS_MAX_CONNECTIONS = 64  # the default of Config.REDIS_MAX_CONNECTIONS
REDIS_TIMEOUT = 5.0  # Config.REDIS_TIMEOUT's
REDIS_CONNECT_TIMEOUT = 2.0  # Config.REDIS_CONNECT_TIMEOUT's

_clients: dict[tuple, redis.Redis] = {}


def get_redis(url: str, max_connections: int = REDIS_MAX_CONNECTIONS, timeout: float = REDIS_TIMEOUT,
              connect_timeout: float = REDIS_CONNECT_TIMEOUT) -> redis.Redis:
    """The client of ``url``: a command that takes longer than ``timeout``
    seconds (a connection, ``connect_timeout``) raises ``redis.TimeoutError``
    (``redis.ConnectionError`` when Redis is down)."""
    key = (url, max_connections, timeout, connect_timeout)
    client = _clients.get(key)
    if client is None:
        # A blocking pool: a request that finds every connection in use waits
        # for one (up to 5 s) instead of failing at once - with gevent's
        # worker a process serves many more requests at a time than it has
        # connections.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=5,
                                                     socket_timeout=timeout, socket_connect_timeout=connect_timeout)
        client = redis.Redis(connection_pool=pool)
        _clients[key] = client
    return client


def reset() -> None:
    _clients.clear()
