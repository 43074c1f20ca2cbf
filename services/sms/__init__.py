"""SMS behind one small interface.

Every message is a row in ``sms_messages`` first (the outbox), then handed to
the configured gateway. The embedded default gateway is the outbox itself:
the phone simulator page reads it. Kannel and a generic HTTP gateway plug
in behind the same ``SmsGateway`` base (SMS issue).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services import pii
from services.households import phone_hash
from services.models import SmsMessage

log = logging.getLogger(__name__)


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


def gateway_for(config) -> SmsGateway:
    return OutboxGateway()


def send_sms(session, runtime, phone: str, body: str, *, purpose: str, dedup_key: str,
             request_id: int | None = None) -> SmsMessage:
    """Record and send one SMS, once per ``dedup_key``."""
    existing = session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == dedup_key))
    if existing is not None:
        return existing
    gw = gateway_for(runtime.config)
    msg = SmsMessage(direction="mt", phone_enc=runtime.crypto.encrypt(phone),
                     phone_hash=phone_hash(runtime.crypto, phone), phone_masked=pii.mask_phone(phone),
                     body=body, purpose=purpose, dedup_key=dedup_key, request_id=request_id,
                     gateway=gw.name, status="queued")
    try:
        with session.begin_nested():
            session.add(msg)
            session.flush()
    except IntegrityError:
        return session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == dedup_key))
    msg.status = gw.send(phone, body, msg.id)
    log.info("sms %s via %s (%s)", purpose, gw.name, msg.status, extra={"req": request_id})
    return msg


def messages_for_phone(session, runtime, phone: str, limit: int = 50) -> list[SmsMessage]:
    return list(session.scalars(
        select(SmsMessage).where(SmsMessage.phone_hash == phone_hash(runtime.crypto, phone))
        .order_by(SmsMessage.id.desc()).limit(limit)))
