"""Tax payments: one row per payment order.

The row is created when the confirm screen is shown (its ``order_id`` and
``idempotency_key`` fixed then). ``active_key`` is the bill's 전자납부번호
while the payment may still take money (ready, processing, unknown,
waiting, paid): unique, so two boxes of one household showing the same
bill share one order; a declined or refused order gives the bill back
(``active_key`` = NULL) for a new try. Card data is never stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.db import Base
from services.models import AwareDateTime, utcnow

# statuses
READY = "ready"  # confirm screen shown, nothing sent
PROCESSING = "processing"  # OK pressed, charging now
UNKNOWN = "unknown"  # the provider did not answer: resolve by looking the order up
WAITING = "waiting"  # virtual account opened, waiting for the transfer
PAID = "paid"
DECLINED = "declined"  # the card company said no: nothing charged
REFUSED = "refused"  # the back end said no before any charge (already paid, amount changed)
NOT_CHARGED = "not_charged"  # provider refused or unreachable before money moved; or expired
ACTIVE = frozenset({READY, PROCESSING, UNKNOWN, WAITING, PAID})


class TaxPayment(Base):
    __tablename__ = "tax_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    active_key: Mapped[str | None] = mapped_column(String(19), unique=True, nullable=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    epay_no: Mapped[str] = mapped_column(String(19), index=True)
    bill_ref: Mapped[str] = mapped_column(String(32))
    payer_ref: Mapped[str] = mapped_column(String(32))
    tax_item: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    tax_year: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Integer)
    late_charge: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))  # card | phone | virtual_account
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=READY, index=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)  # Korean, for the resident
    payment_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_bank: Mapped[str | None] = mapped_column(String(32), nullable=True)
    account_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    backend_receipt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delivery_method: Mapped[str] = mapped_column(String(8), default="none")
    delivery_address_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery_masked: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)
