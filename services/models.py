"""Records: households and residents (a mirror of the back end's register,
personal data encrypted), and the request ledger (a request row with an
append-only list of events)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from services.core.db import Base


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class AwareDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # back end's household id
    address: Mapped[str] = mapped_column(String(255))
    synced_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    residents: Mapped[list["Resident"]] = relationship(
        back_populates="household", order_by="Resident.position"
    )


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)  # back end's resident id
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32), default="")
    rrn_enc: Mapped[str] = mapped_column(Text)  # encrypted 주민등록번호
    rrn_masked: Mapped[str] = mapped_column(String(16))
    phone_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    email_enc: Mapped[str | None] = mapped_column(Text, nullable=True)

    household: Mapped[Household] = relationship(back_populates="residents")


# Request statuses. Terminal ones end the request.
RECEIVED = "received"
VERIFIED = "verified"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
ISSUED = "issued"
DELIVERING = "delivering"
DELIVERED = "delivered"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
TERMINAL = frozenset({DELIVERED, COMPLETED, FAILED, CANCELLED})


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(32), unique=True)
    client_token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(8))  # tv | sms
    delivery_method: Mapped[str] = mapped_column(String(8), default="none")  # fax|email|none
    delivery_address_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivery_address_masked: Mapped[str | None] = mapped_column(String(64), nullable=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RECEIVED, index=True)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_run_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", order_by="RequestEvent.id"
    )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


class RequestEvent(Base):
    """One step of a request's timeline. ``key`` makes appending idempotent."""

    __tablename__ = "request_events"
    __table_args__ = (UniqueConstraint("request_id", "key", name="uq_event_request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)

    request: Mapped[Request] = relationship(back_populates="events")


class Device(Base):
    """A set-top box. Its cookie holds a random token; we keep only its hash."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True)
    family: Mapped[str] = mapped_column(String(16), default="keyboard")  # key map family
    lang: Mapped[str] = mapped_column(String(2), default="ko")
    text_size: Mapped[str] = mapped_column(String(8), default="normal")
    paired_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class SmsMessage(Base):
    """Every SMS we send (MT) or receive (MO). The number is encrypted; a keyed
    hash lets the phone simulator and the gateway match it."""

    __tablename__ = "sms_messages"
    __table_args__ = (UniqueConstraint("dedup_key", name="uq_sms_dedup"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(2))  # mt | mo
    phone_enc: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32), default="")
    dedup_key: Mapped[str] = mapped_column(String(96))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    gateway: Mapped[str] = mapped_column(String(16), default="outbox")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued sent delivered failed
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)


class Certificate(Base):
    """The issuance ledger: every certificate issued, once per request."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    verification_no: Mapped[str] = mapped_column(String(16), unique=True)
    cert_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(64))
    holder_masked: Mapped[str] = mapped_column(String(64))
    office: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    destination_masked: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)  # no full resident number
    pdf_enc: Mapped[str] = mapped_column(Text)  # encrypted, base64 inside
    issued_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class Delivery(Base):
    """One delivery of a request's document (email or fax), with its state.

    ``key`` is unique: a retried job finds the row and never sends twice
    what was already sent."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    method: Mapped[str] = mapped_column(String(8))
    destination_masked: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending sending sent delivered failed
    message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)


class SmsOptOut(Base):
    """Phones that said 수신거부/STOP: no message goes to them but the confirmation."""

    __tablename__ = "sms_optouts"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


# Fax jobs (fax_bridge's JobStore in the database: services.delivery.fax_store).
# Times are fax_bridge's: seconds since the epoch. The number is encrypted.

class FaxJobRow(Base):
    """One fax to deliver (a fax_bridge FaxJob); ``job_id`` is the receipt number."""

    __tablename__ = "fax_jobs"
    __table_args__ = (Index("ix_fax_jobs_ready", "state", "next_at"),)

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    number_enc: Mapped[str] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer)
    fine: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    dials: Mapped[int] = mapped_column(Integer)
    tries: Mapped[int] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[float] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    reason_ko: Mapped[str] = mapped_column(Text)
    provider_id: Mapped[str] = mapped_column(String(128))


class FaxDocumentRow(Base):
    """A fax job's TIFF (Class F), as the transports send it."""

    __tablename__ = "fax_documents"

    job_id: Mapped[str] = mapped_column(ForeignKey("fax_jobs.job_id"), primary_key=True)
    tiff: Mapped[bytes] = mapped_column(LargeBinary)


class FaxAttemptRow(Base):
    """One call attempt of a fax job; ``key`` is what transports deduplicate on."""

    __tablename__ = "fax_attempts"

    job_id: Mapped[str] = mapped_column(ForeignKey("fax_jobs.job_id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(96), unique=True)
    provider_id: Mapped[str] = mapped_column(String(128), index=True)
    phase: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer)
    pages_sent: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float)


class FaxOwnerRow(Base):
    """When each owner (household) was last given a line: the fair round robin."""

    __tablename__ = "fax_owners"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    served: Mapped[int] = mapped_column(Integer)


# -- participation (주민 참여): votes and budget ballots (services.participation) --
#
# Secrecy: the roll (who voted) and the ballot box (what was chosen) share
# nothing but the vote's id. A ballot has a random id, no time, no voter and
# no sequence; it carries only a keyed hash of the receipt code its voter holds.

class Vote(Base):
    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # question | approval | knapsack
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    max_choices: Mapped[int] = mapped_column(Integer, default=1)  # approval ballots
    budget: Mapped[int] = mapped_column(Integer, default=0)  # knapsack ballots, in won
    electorate: Mapped[str] = mapped_column(String(16), default="residents")  # residents | households
    min_age: Mapped[int] = mapped_column(Integer, default=14)
    district: Mapped[str] = mapped_column(String(64))  # the start of an eligible household's address
    opens_at: Mapped[datetime] = mapped_column(AwareDateTime)
    closes_at: Mapped[datetime] = mapped_column(AwareDateTime)
    show_running: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # the published tally
    published_at: Mapped[datetime | None] = mapped_column(AwareDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow, onupdate=utcnow)

    options: Mapped[list["VoteOption"]] = relationship(order_by="VoteOption.number")


class VoteOption(Base):
    """An answer of a question, or a project of a budget ballot (with its cost)."""

    __tablename__ = "vote_options"
    __table_args__ = (UniqueConstraint("vote_id", "number", name="uq_vote_options_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1..9: the remote's number key
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(300), default="")
    cost: Mapped[int] = mapped_column(Integer, default=0)


class VoteRoll(Base):
    """Who has voted (a resident, or a household): one row per voter per vote.
    No time and nothing of the ballot."""

    __tablename__ = "vote_roll"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    voter_key: Mapped[str] = mapped_column(String(32), primary_key=True)  # resident:<id> | household:<id>
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)


class VoteBallot(Base):
    """What was chosen. A random id; the choices; a keyed hash of the receipt."""

    __tablename__ = "vote_ballots"
    __table_args__ = (UniqueConstraint("vote_id", "receipt_hash", name="uq_vote_ballots_receipt"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not a sequence
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    choices: Mapped[str] = mapped_column(String(40))  # option numbers, ascending: "1,3,7"
    receipt_hash: Mapped[str] = mapped_column(String(64))


class VotePaperCount(Base):
    """Paper ballots from a booth, entered by an officer: a count per option."""

    __tablename__ = "vote_paper_counts"
    __table_args__ = (UniqueConstraint("vote_id", "booth", "number", name="uq_vote_paper_booth_option"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    booth: Mapped[str] = mapped_column(String(60))
    number: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)


class VoteAudit(Base):
    """Every step of a vote's workflow and every paper entry (never a voter's act)."""

    __tablename__ = "vote_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime, default=utcnow)
