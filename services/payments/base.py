"""The payment provider interface: what the tax service needs from a card
gateway, whichever it is.

A provider charges a card for an order once (the idempotency key is derived
from the order), opens virtual accounts, and tells an order's state (the
only way an unknown outcome is resolved: never by paying again). Its errors
say what the resident may be told:

- ``Declined``: the card company said no (a plain Korean reason); nothing charged.
- ``NotCharged``: refused or unreachable before any money moved.
- ``OutcomeUnknown``: the charge may have happened (a timeout on confirm);
  look the order up later.

Card data (``Card``) passes through in memory only: it has no readable
``repr`` and is never stored or logged.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from services.core.errors import AppError

log = logging.getLogger(__name__)


class PaymentError(AppError):
    status_code = 402

    def __init__(self, code: str, message: str = "", message_en: str = ""):
        super().__init__(code)
        self.code, self.message, self.message_en = code, message, message_en


class Declined(PaymentError):
    """The card was refused; nothing was charged."""


class NotCharged(PaymentError):
    """The provider refused or could not be reached before charging."""


class OutcomeUnknown(PaymentError):
    """We do not know whether money moved: resolve with ``get_order``."""


@dataclass(frozen=True)
class Card:
    number: str = field(repr=False)
    expiry: str = field(repr=False)  # MMYY
    birth: str = field(repr=False)  # YYMMDD
    password2: str = field(repr=False)  # first two digits of the card password

    def __repr__(self) -> str:
        return "Card(<hidden>)"

    __str__ = __repr__

    LENGTHS = (("number", 16, "카드 번호는 16자리입니다."), ("expiry", 4, "유효기간은 월 2자리, 년 2자리로 4자리입니다."),
               ("birth", 6, "생년월일은 6자리입니다 (예: 480312)."), ("password2", 2, "비밀번호는 앞 두 자리만 입력합니다."))

    def problems(self) -> dict:
        """Fields of the wrong length or not digits -> a Korean sentence each."""
        out = {}
        for name, n, message in self.LENGTHS:
            value = getattr(self, name)
            if not (value.isdigit() and len(value) == n):
                out[name] = message
        if "expiry" not in out and not 1 <= int(self.expiry[:2]) <= 12:
            out["expiry"] = "유효기간의 월은 01부터 12까지입니다."
        return out


@dataclass
class ProviderOrder:
    order_id: str
    amount: int
    status: str  # created authorized waiting_deposit paid expired
    payment_key: str | None = None
    approved_at: str | None = None
    account: dict | None = None  # virtual account: bank, accountNumber, holder


class PaymentProvider(ABC):
    name = "provider"

    def charge_card(self, *, order_id: str, amount: int, order_name: str, card: Card,
                    idempotency_key: str) -> ProviderOrder:
        """Charge once; raises Declined / NotCharged / OutcomeUnknown."""
        return self._timed("charge_card", order_id, lambda: self._charge_card(
            order_id=order_id, amount=amount, order_name=order_name, card=card, idempotency_key=idempotency_key))

    def open_virtual_account(self, *, order_id: str, amount: int, order_name: str) -> ProviderOrder:
        return self._timed("open_virtual_account", order_id, lambda: self._open_virtual_account(
            order_id=order_id, amount=amount, order_name=order_name))

    def get_order(self, order_id: str) -> ProviderOrder | None:
        """The provider's truth about an order (None: it never heard of it)."""
        return self._timed("get_order", order_id, lambda: self._get_order(order_id))

    def _timed(self, what: str, order_id: str, call):
        started = time.monotonic()
        try:
            return call()
        except PaymentError as exc:
            log.info("payment %s %s: %s", self.name, what, exc.code, extra={"order": order_id})
            raise
        finally:
            log.debug("payment %s %s took %.0f ms", self.name, what, 1000 * (time.monotonic() - started),
                      extra={"order": order_id})

    @abstractmethod
    def _charge_card(self, *, order_id, amount, order_name, card, idempotency_key) -> ProviderOrder: ...

    @abstractmethod
    def _open_virtual_account(self, *, order_id, amount, order_name) -> ProviderOrder: ...

    @abstractmethod
    def _get_order(self, order_id: str) -> ProviderOrder | None: ...
