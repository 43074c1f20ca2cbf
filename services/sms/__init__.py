"""SMS behind one small interface.

Every message is a row in ``sms_messages`` first (the outbox), then handed to
the configured gateway. The embedded default gateway is the outbox itself:
the phone simulator page reads it. Kannel (``services.sms.kannel``) and a
generic HTTP gateway (``services.sms.http``) plug in behind the same
``SmsGateway`` base; ``gateway_for`` is the one place that chooses, and the
runtime builds the gateway once with it (``runtime.sms_gateway``).

Incoming (MO) messages are rows too (direction ``mo``), their ``dedup_key``
made from the gateway's message id, so a retried message is handled once
(no id: each message is handled). A text too long for one message is sent
whole: one LMS where enabled, else numbered SMS parts. Delivery reports move
an MT row's status forward only (queued -> sent -> buffered -> delivered |
failed), the send's own status included; a report that overtakes the
commit of its message is kept and applied later.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services import phones, pii
from services.core.crypto import Crypto
from services.households import phone_hash
from services.models import SmsMessage, SmsOptOut, utcnow
from services.sms.base import GatewayError, OutboxGateway, SmsGateway
from services.sms.http import HttpGateway
from services.sms.kannel import KannelGateway
from services.sms.text import cp949_len, fit_for, kind_of, limit_for, parts_for

__all__ = [
    "GatewayError", "OutboxGateway", "SmsGateway", "gateway_for", "send_sms", "messages_for_phone",
    "record_mo", "record_reply", "record_dlr", "is_opted_out", "opt_out", "opt_in", "is_ours_or_short",
    "normal_digits", "cp949_len", "fit_for", "limit_for", "kind_of", "parts_for", "advance",
    "send_more_parts", "apply_early_dlrs", "exists",
]

log = logging.getLogger(__name__)

GATEWAYS = ("outbox", "kannel", "http")

# Forward-only status ranks: a late "buffered" never undoes "delivered".
RANK = {"queued": 0, "sent": 1, "buffered": 2, "delivered": 3, "failed": 3}
# Kannel dlr types (dlr-mask bits) to our statuses.
DLR_TYPES = {1: "delivered", 2: "failed", 4: "buffered", 8: "sent", 16: "failed"}


def gateway_for(config, crypto=None) -> SmsGateway:
    """The configured gateway (``SMS_GATEWAY``: outbox, kannel or http)."""
    name = getattr(config, "SMS_GATEWAY", "outbox") or "outbox"
    if name == "outbox":
        return OutboxGateway()
    if name == "kannel":
        return KannelGateway(config, crypto or Crypto(config.PII_KEY))
    if name == "http":
        return HttpGateway(config)
    raise ValueError("SMS_GATEWAY must be one of %s" % ", ".join(GATEWAYS))


# -- numbers ------------------------------------------------------------------

def normal_digits(phone: str) -> str:
    """Digits in national form (``+82 10 ...`` -> ``010...``): :func:`services.phones.national_digits`."""
    return phones.national_digits(phone)


def is_ours_or_short(config, phone: str) -> bool:
    """Our own numbers, short codes, representative numbers (15xx/16xx/18xx) and
    anything that is not a phone number: never answered (no SMS loops)."""
    raw = (phone or "").strip()
    d = normal_digits(raw)
    if not d or len(d) < 10 or len(d) > 11 or not d.startswith("0"):
        return True
    if any(ch.isalpha() for ch in raw):  # an alphanumeric sender id
        return True
    ours = [config.SMS_SERVICE_NUMBER] + [n for n in (getattr(config, "SMS_OWN_NUMBERS", "") or "").split(",")]
    return any(normal_digits(n) == d for n in ours if n.strip())


# -- opt-out ------------------------------------------------------------------

def is_opted_out(session, runtime, phone: str) -> bool:
    return session.get(SmsOptOut, phone_hash(runtime.crypto, phone)) is not None


def opt_out(session, runtime, phone: str) -> bool:
    """Record 수신거부; True when it is new (confirm it once)."""
    h = phone_hash(runtime.crypto, phone)
    if session.get(SmsOptOut, h) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SmsOptOut(phone_hash=h))
            session.flush()
    except IntegrityError:
        return False
    return True


def opt_in(session, runtime, phone: str) -> bool:
    row = session.get(SmsOptOut, phone_hash(runtime.crypto, phone))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# -- outgoing -----------------------------------------------------------------

def _stored_text(runtime, body: str, gateway: str) -> str:
    """Codes are never stored in clear (issue 19), but in development's outbox,
    whose row is the delivery itself (the phone simulator is the phone)."""
    if gateway == OutboxGateway.name and not runtime.config.is_production:
        return body
    return pii.mask_codes(body)


def _row(runtime, direction, phone, body, purpose, dedup_key, request_id, gateway, status):
    return SmsMessage(direction=direction, phone_enc=runtime.crypto.encrypt(phone),
                      phone_hash=phone_hash(runtime.crypto, phone), phone_masked=pii.mask_phone(phone),
                      body=_stored_text(runtime, body, gateway), purpose=purpose, dedup_key=dedup_key, request_id=request_id,
                      gateway=gateway, status=status)


def _insert_once(session, msg: SmsMessage) -> tuple[SmsMessage, bool]:
    existing = session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == msg.dedup_key))
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(msg)
            session.flush()
    except IntegrityError:
        return session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == msg.dedup_key)), False
    return msg, True


def send_sms(session, runtime, phone: str, body: str, *, purpose: str, dedup_key: str,
             request_id: int | None = None) -> SmsMessage:
    """Record and send one text, once per ``dedup_key``; returns its first message.

    The text is never cut: it goes whole as one SMS, as one LMS where
    ``LMS_ENABLED``, or else as numbered SMS parts ``(1/2)`` (one row each,
    keys ``dedup_key``, ``dedup_key#2``...). Nothing goes to our own numbers
    or short codes, nor to a phone that opted out (the row records why:
    ``blocked``, ``optout``).
    """
    parts = parts_for(runtime.config, body)
    first = None
    for i, part in enumerate(parts, 1):
        key = dedup_key if i == 1 else "%s#%d" % (dedup_key, i)
        msg = _send_one(session, runtime, phone, part, purpose=purpose, dedup_key=key, request_id=request_id)
        first = first or msg
    return first


def _send_one(session, runtime, phone, body, *, purpose, dedup_key, request_id) -> SmsMessage:
    config = runtime.config
    gw = runtime.sms_gateway
    msg, created = _insert_once(session, _row(runtime, "mt", phone, body, purpose, dedup_key,
                                              request_id, gw.name, "queued"))
    if not created:
        return msg
    if is_ours_or_short(config, phone):
        msg.status = "blocked"
    elif is_opted_out(session, runtime, phone):
        msg.status = "optout"
    else:
        try:
            status = gw.send(phone, body, msg.id)
        except GatewayError as exc:
            status = "failed"
            log.warning("sms %s not sent: %s", purpose, exc, extra={"req": request_id})
        session.flush()
        advance(session, msg, status)
    session.flush()
    log.info("sms %s via %s (%s, %s)", purpose, gw.name, msg.status, kind_of(config, body),
             extra={"req": request_id})
    return msg


def advance(session, msg: SmsMessage, status: str) -> bool:
    """Move ``msg`` to ``status`` only forward (one conditional UPDATE, so a
    delivery report applied meanwhile by another transaction is never undone)."""
    if status not in RANK:
        return False
    lower = [s for s, r in RANK.items() if r < RANK[status]]
    done = session.execute(update(SmsMessage).where(SmsMessage.id == msg.id, SmsMessage.status.in_(lower))
                           .values(status=status, updated_at=utcnow())
                           .execution_options(synchronize_session=False)).rowcount
    session.refresh(msg)
    return bool(done)


def record_reply(session, runtime, phone: str, body: str, *, mo: SmsMessage, gateway: str) -> SmsMessage:
    """The answer to an MO message that goes back in the gateway's HTTP reply
    (Kannel, the HTTP webhook) or is shown by the phone simulator (outbox).
    ``body`` must fit one message (``parts_for`` first)."""
    msg, _ = _insert_once(session, _row(runtime, "mt", phone, body, "reply",
                                        "reply:%d" % mo.id, mo.request_id, gateway, "sent"))
    return msg


def send_more_parts(session, runtime, phone: str, parts: list[str], *, mo: SmsMessage) -> None:
    """Parts 2.. of a reply that did not fit one message: sent as their own messages."""
    for i, part in enumerate(parts[1:], 2):
        _send_one(session, runtime, phone, part, purpose="reply", dedup_key="reply:%d#%d" % (mo.id, i),
                  request_id=mo.request_id)


def reply_to(session, mo: SmsMessage) -> SmsMessage | None:
    return session.scalar(select(SmsMessage).where(SmsMessage.dedup_key == "reply:%d" % mo.id))


# -- incoming -----------------------------------------------------------------

def record_mo(session, runtime, phone: str, body: str, *, dedup_key: str, gateway: str,
              purpose: str = "") -> tuple[SmsMessage, bool]:
    """Record an incoming message once; returns (row, is_new)."""
    return _insert_once(session, _row(runtime, "mo", phone, body, purpose, dedup_key, None,
                                      gateway, "received"))


def record_dlr(session, message_id: int, status: str, redis=None) -> bool:
    """Move an MT message's status forward; repeated or late reports change nothing.

    A report for a message whose row is not committed yet (the report can
    overtake the transaction that sent it) is kept in Redis when ``redis``
    is given and applied by :func:`apply_early_dlrs`.
    """
    if status not in RANK:
        return False
    msg = session.get(SmsMessage, message_id)
    if msg is None:
        if redis is not None:
            redis.zadd(EARLY_DLRS, {"%d:%s" % (message_id, status): time.time()})
        return False
    if msg.direction != "mt":
        return False
    return advance(session, msg, status)


def exists(session, message_id: int) -> bool:
    return session.get(SmsMessage, message_id) is not None


EARLY_DLRS = "sms:dlr:early"
EARLY_KEEP = 86400


def apply_early_dlrs(session, redis) -> int:
    """Apply kept reports whose messages now exist; forget those older than a day."""
    redis.zremrangebyscore(EARLY_DLRS, 0, time.time() - EARLY_KEEP)
    applied = 0
    for raw in redis.zrange(EARLY_DLRS, 0, -1):
        item = raw.decode() if isinstance(raw, bytes) else raw
        mid, _, status = item.partition(":")
        msg = session.get(SmsMessage, int(mid))
        if msg is None:
            continue
        if msg.direction == "mt":
            applied += advance(session, msg, status)
        redis.zrem(EARLY_DLRS, raw)
    return applied


def messages_for_phone(session, runtime, phone: str, limit: int = 50) -> list[SmsMessage]:
    return list(session.scalars(
        select(SmsMessage).where(SmsMessage.phone_hash == phone_hash(runtime.crypto, phone))
        .order_by(SmsMessage.id.desc()).limit(limit)))
