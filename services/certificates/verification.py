"""Document verification numbers (문서확인번호): 16 digits in four groups.

The first 10 digits are random; the last 6 are a keyed check over them
(HMAC with the server's secret). A number that fails the check was never
issued by us and is refused without a database look-up; one that passes is
looked up in the issuance ledger. Numbers are not sequential and cannot be
made up without the key (one guess in a million passes the check, and
then it must also be in the ledger).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets


def _check(key: bytes, payload: str) -> str:
    mac = hmac.new(key, ("verify:" + payload).encode(), hashlib.sha256).digest()
    return "%06d" % (int.from_bytes(mac[:8], "big") % 1_000_000)


def key_from_secret(secret: str) -> bytes:
    return hashlib.sha256(("verification-number:" + secret).encode()).digest()


def new_number(key: bytes) -> str:
    payload = "%010d" % secrets.randbelow(10**10)
    return payload + _check(key, payload)


def normalise(text: str) -> str | None:
    digits = re.sub(r"[\s-]", "", text or "")
    return digits if re.fullmatch(r"\d{16}", digits) else None


def is_authentic(key: bytes, number: str) -> bool:
    n = normalise(number)
    return bool(n) and hmac.compare_digest(_check(key, n[:10]), n[10:])


def fmt(number: str) -> str:
    n = normalise(number) or number
    return "-".join(n[i:i + 4] for i in range(0, 16, 4))
