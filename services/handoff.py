"""Hand-off: text typed on a phone appears in a TV field.

The TV asks for a hand-off for one field (``start``) and shows a QR code of
``/m/h/<token>``. The phone page writes what the resident types
(``put``); the TV polls (``get``) and shows it live. The token is random and
lives :data:`TTL` seconds; only the box that started it may read it (the
``owner`` check), and anyone holding the QR may write it, once finished
(``done``) no more. Values are kept in Redis only, encrypted, never logged.
"""

from __future__ import annotations

import secrets

from services.core.errors import AppError

TTL = 900
MAX_LENGTH = 254  # an email address
KINDS = ("email", "text")


class HandoffError(AppError, ValueError):
    """Unknown or expired token, or a value that is not accepted."""

    status_code = 404


def _k(token: str) -> str:
    return "handoff:%s" % token


def _ok_token(token: str) -> bool:
    return bool(token) and len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def start(runtime, owner: str, field: str, kind: str = "text", initial: str = "") -> str:
    if kind not in KINDS:
        raise HandoffError("unknown kind")
    token = secrets.token_urlsafe(16)
    r = runtime.redis
    r.hset(_k(token), mapping={
        "owner": owner, "field": field[:64], "kind": kind, "v": runtime.crypto.encrypt(initial[:MAX_LENGTH]),
        "rev": 0, "done": 0,
    })
    r.expire(_k(token), TTL)
    return token


def _load(runtime, token: str) -> dict:
    if not _ok_token(token):
        raise HandoffError("unknown")
    data = runtime.redis.hgetall(_k(token))
    if not data:
        raise HandoffError("unknown")
    return {k.decode(): v.decode() for k, v in data.items()}


def info(runtime, token: str) -> dict:
    """Field name, kind, current value, revision and done flag (for the phone page)."""
    d = _load(runtime, token)
    return {"field": d["field"], "kind": d["kind"], "value": runtime.crypto.decrypt(d["v"]),
            "rev": int(d["rev"]), "done": d["done"] == "1"}


def put(runtime, token: str, value: str, done: bool = False) -> int:
    """Store what the phone typed; returns the new revision."""
    d = _load(runtime, token)
    if d["done"] == "1":
        raise HandoffError("finished")
    value = "".join(ch for ch in (value or "") if ch.isprintable())[:MAX_LENGTH]
    r = runtime.redis
    pipe = r.pipeline()
    pipe.hset(_k(token), mapping={"v": runtime.crypto.encrypt(value), "done": 1 if done else 0})
    pipe.hincrby(_k(token), "rev", 1)
    pipe.expire(_k(token), TTL)
    rev = pipe.execute()[1]
    return int(rev)


def get(runtime, token: str, owner: str) -> dict:
    """The TV's view: ``{"value", "rev", "done"}``; only for the box that started it."""
    d = _load(runtime, token)
    if d["owner"] != owner:
        raise HandoffError("unknown")
    return {"value": runtime.crypto.decrypt(d["v"]), "rev": int(d["rev"]), "done": d["done"] == "1"}


def looks_like_email(value: str) -> bool:
    local, at, domain = (value or "").partition("@")
    return bool(local and at and "." in domain and not domain.startswith(".")
                and not domain.endswith(".") and " " not in value)
