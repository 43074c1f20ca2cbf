"""A box's state while the resident walks a multi-screen task (a certificate
request's choices, where a tax receipt goes): kept in Redis, encrypted (it may
hold a fax number or an email address), keyed by the device, gone after
``TTL`` seconds. Nothing typed is lost going back and forth; nothing personal
is in the cookie or the URL.

One ``Flow`` per task::

    certificate = Flow("certflow")
    f = certificate.load()          # {} when there is none
    certificate.save(f)
    certificate.clear()

``Flow.key`` (a function of the device id) is what ``tvapp.caching`` needs
to validate a screen that shows the state.
"""

from __future__ import annotations

import json

from flask import current_app, g

TTL = 1800


class Flow:
    def __init__(self, prefix: str, ttl: int = TTL):
        self.prefix, self.ttl = prefix, ttl

    def key(self, device_id: int) -> str:
        return "%s:%d" % (self.prefix, device_id)

    def load(self) -> dict:
        rt = current_app.extensions["runtime"]
        raw = rt.redis.get(self.key(g.device.id))
        if not raw:
            return {}
        try:
            return json.loads(rt.crypto.decrypt(raw.decode()))
        except ValueError:
            return {}

    def save(self, state: dict) -> None:
        rt = current_app.extensions["runtime"]
        rt.redis.set(self.key(g.device.id), rt.crypto.encrypt(json.dumps(state, ensure_ascii=False)), ex=self.ttl)

    def clear(self) -> None:
        current_app.extensions["runtime"].redis.delete(self.key(g.device.id))
