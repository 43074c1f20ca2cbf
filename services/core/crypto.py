"""Encryption for personal data at rest, keyed hashes where only matching is needed,
and signed tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class Crypto:
    def __init__(self, pii_key: str) -> None:
        raw = hashlib.sha256(("fernet:" + pii_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(raw))
        self._hash_key = hashlib.sha256(("hmac:" + pii_key).encode()).digest()

    def encrypt(self, text: str | None) -> str | None:
        if text is None:
            return None
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: wrong PII_KEY or damaged value") from exc

    def keyed_hash(self, text: str, purpose: str) -> str:
        return hmac.new(self._hash_key, (purpose + ":" + text).encode(), hashlib.sha256).hexdigest()

    def sign(self, message: str, purpose: str) -> str:
        return hmac.new(self._hash_key, (purpose + "|" + message).encode(), hashlib.sha256).hexdigest()

    def verify(self, message: str, signature: str, purpose: str) -> bool:
        return hmac.compare_digest(self.sign(message, purpose), signature)
