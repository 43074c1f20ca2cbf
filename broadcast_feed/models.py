"""News storage: sources, items and their revisions, ticker messages,
operators and the audit log (tables on the shared ``services.core.db.Base``;
migration 0005)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.core.db import Base
from services.models import AwareDateTime, utcnow

# Item states, in workflow order.
INGESTED = "ingested"
DRAFT = "draft"
SUBMITTED = "submitted"
PUBLISHED = "published"
UNPUBLISHED = "unpublished"
ITEM_STATES = (INGESTED, DRAFT, SUBMITTED, PUBLISHED, UNPUBLISHED)

# Ticker states.
T_PENDING = "pending"
T_PUBLISHED = "published"
T_EXPIRED = "expired"
T_IGNORED = "ignored"  # a CAP alert that is not for the district or not severe
TICKER_STATES = (T_PENDING, T_PUBLISHED, T_EXPIRED, T_IGNORED)

# Source kinds and statuses.
SOURCE_KINDS = ("rss", "atom", "cap", "upload")
S_NEW, S_OK, S_REFUSED, S_FAILED = "new", "ok", "refused", "failed"

# Operator roles.
EDITOR, APPROVER, ADMIN = "editor", "approver", "admin"
ROLES = (EDITOR, APPROVER, ADMIN)


class NewsSource(Base):
    __tablename__ = "news_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # rss | atom | cap | upload
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    etag: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    poll_minutes: Mapped[int] = mapped_column(Integer, default=30)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default=S_NEW)
    last_reason: Mapped[str] = mapped_column(Text, default="")
    last_counts: Mapped[str] = mapped_column(String(120), default="")
    last_polled_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class NewsItem(Base):
    __tablename__ = "news_items"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_news_items_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("news_sources.id"), index=True)
    key: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), default=INGESTED, index=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    link: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    author: Mapped[str] = mapped_column(String(120), default="")
    image_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    image: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # TV JPEG <= 1 MP
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True, index=True)
    publish_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    went_live_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)


class NewsRevision(Base):
    """Each saved version of an item's text (corrections keep history)."""

    __tablename__ = "news_revisions"
    __table_args__ = (UniqueConstraint("item_id", "number", name="uq_news_revisions_item_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("news_items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(60), default="")
    author: Mapped[str] = mapped_column(String(64))  # operator username or "feed"
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class TickerMessage(Base):
    __tablename__ = "news_tickers"
    __table_args__ = (UniqueConstraint("source_id", "cap_key", name="uq_news_tickers_source_cap"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    severity: Mapped[str] = mapped_column(String(16), default="Severe")
    state: Mapped[str] = mapped_column(String(16), default=T_PENDING, index=True)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("news_sources.id"), nullable=True)
    cap_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))  # username or "cap"
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class Operator(Base):
    __tablename__ = "news_operators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "news_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, index=True)
