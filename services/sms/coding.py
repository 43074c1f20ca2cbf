"""Incoming text as Kannel passes it: bytes plus ``%c`` (coding: 0 7-bit,
1 8-bit, 2 UCS-2) and ``%C`` (charset). Old phones send EUC-KR; without
``mo-recode`` Hangul arrives as UCS-2 (UTF-16BE); with it, UTF-8.
"""

from __future__ import annotations

import codecs
from urllib.parse import unquote_to_bytes

# What Kannel or an SMSC may call a charset, to the codec that reads it
# (CP949 is a superset of EUC-KR / KS C 5601).
ALIASES = {"ucs-2": "utf-16-be", "ucs2": "utf-16-be", "utf-16": "utf-16-be", "utf-16be": "utf-16-be",
           "euc-kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949", "ksc5601": "cp949",
           "cp949": "cp949", "uhc": "cp949", "windows-949": "cp949"}


def raw_query_value(query_string: bytes, name: str) -> bytes:
    """The raw bytes of one query parameter (Flask would decode them as UTF-8)."""
    want = name.encode()
    for pair in query_string.split(b"&"):
        k, _, v = pair.partition(b"=")
        if unquote_to_bytes(k.replace(b"+", b" ")) == want:
            return unquote_to_bytes(v.replace(b"+", b" "))
    return b""


def _codec(charset: str) -> str | None:
    name = (charset or "").strip().lower()
    if not name:
        return None
    name = ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_mo(raw: bytes, coding: str = "", charset: str = "") -> str:
    """Text of an incoming message; never raises (undecodable bytes become U+FFFD)."""
    codec = _codec(charset)
    if codec is None and str(coding).strip() == "2" and len(raw) % 2 == 0:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            codec = "utf-16-be"
    if codec is not None:
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            pass
    for guess in ("utf-8", "cp949"):
        try:
            return raw.decode(guess)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace")
