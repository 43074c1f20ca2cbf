"""The one interface every SMS gateway implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from services.core.errors import AppError


class GatewayError(AppError, RuntimeError):
    """The gateway could not take the message (the message says why, without numbers)."""

    status_code = 502


class SmsGateway(ABC):
    name = "base"

    @abstractmethod
    def send(self, to: str, body: str, message_id: int) -> str:
        """Hand one message to the network; return the status ('sent', 'queued')."""


class OutboxGateway(SmsGateway):
    """The embedded default: the row is the delivery; the phone simulator shows it."""

    name = "outbox"

    def send(self, to: str, body: str, message_id: int) -> str:
        return "sent"
