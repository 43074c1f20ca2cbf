"""Redis connections (one client per URL per process)."""

from __future__ import annotations

import redis

_clients: dict[str, redis.Redis] = {}


def get_redis(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        _clients[url] = client
    return client


def reset() -> None:
    _clients.clear()
