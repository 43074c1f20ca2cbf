"""The state of one box's certificate request while the resident walks the
screens: kept in Redis, encrypted (it holds a fax number or an email
address), keyed by the device, gone after 30 minutes. Nothing typed is lost
going back and forth; nothing personal is in the cookie or the URL."""

from __future__ import annotations

import json

TTL = 1800


def key(device_id: int) -> str:
    return "certflow:%d" % device_id


def load(runtime, device_id: int) -> dict:
    raw = runtime.redis.get(key(device_id))
    if not raw:
        return {}
    try:
        return json.loads(runtime.crypto.decrypt(raw.decode()))
    except ValueError:
        return {}


def save(runtime, device_id: int, flow: dict) -> None:
    runtime.redis.set(key(device_id), runtime.crypto.encrypt(json.dumps(flow, ensure_ascii=False)), ex=TTL)


def clear(runtime, device_id: int) -> None:
    runtime.redis.delete(key(device_id))
