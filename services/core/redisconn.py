"""Redis connections (one client per URL per process)."""

from __future__ import annotations

import redis

REDIS_MAX_CONNECTIONS = 64  # the default of Config.REDIS_MAX_CONNECTIONS

_clients: dict[str, redis.Redis] = {}


def get_redis(url: str, max_connections: int = REDIS_MAX_CONNECTIONS) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        # A blocking pool: a request that finds every connection in use waits
        # for one (up to the socket timeout) instead of failing at once - with
        # gevent's worker a process serves many more requests at a time than
        # it has connections.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=5,
                                                     socket_timeout=5, socket_connect_timeout=2)
        client = redis.Redis(connection_pool=pool)
        _clients[url] = client
    return client


def reset() -> None:
    _clients.clear()
