"""The back end's own store (its own SQLite file; nothing shared with tvapp)."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Household(Base):
    __tablename__ = "households"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(255))
    moved_in: Mapped[date] = mapped_column(Date)


class Resident(Base):
    __tablename__ = "residents"
    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    household_code: Mapped[str] = mapped_column(ForeignKey("households.code"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(32))
    rrn: Mapped[str] = mapped_column(String(14))
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    email: Mapped[str | None] = mapped_column(String(128), nullable=True)
    moved_in: Mapped[date] = mapped_column(Date)
    past_addresses: Mapped[list] = mapped_column(JSON, default=list)  # [[address, from, to, reason]]


class Parcel(Base):
    __tablename__ = "parcels"
    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_ref: Mapped[str] = mapped_column(ForeignKey("residents.ref"))
    location: Mapped[str] = mapped_column(String(128))  # 소재지
    lot: Mapped[str] = mapped_column(String(32))  # 지번
    land_category: Mapped[str] = mapped_column(String(16))  # 지목
    area_m2: Mapped[str] = mapped_column(String(16))
    official_price: Mapped[int] = mapped_column(Integer)  # 개별공시지가 원/㎡
    acquired: Mapped[date] = mapped_column(Date)


class Building(Base):
    __tablename__ = "buildings"
    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_ref: Mapped[str] = mapped_column(ForeignKey("residents.ref"))
    parcel_ref: Mapped[str] = mapped_column(ForeignKey("parcels.ref"))
    use: Mapped[str] = mapped_column(String(32))  # 주용도
    structure: Mapped[str] = mapped_column(String(32))
    floors: Mapped[str] = mapped_column(String(32))
    total_area_m2: Mapped[str] = mapped_column(String(16))
    approved: Mapped[date] = mapped_column(Date)  # 사용승인일


class TaxBill(Base):
    __tablename__ = "tax_bills"
    ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    household_code: Mapped[str] = mapped_column(ForeignKey("households.code"), index=True)
    payer_ref: Mapped[str] = mapped_column(ForeignKey("residents.ref"), index=True)
    tax_item: Mapped[str] = mapped_column(String(16))  # 재산세, 자동차세, 주민세
    epay_no: Mapped[str] = mapped_column(String(19), unique=True)  # 전자납부번호
    tax_year: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(128))  # 과세대상
    amount: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class TaxPaymentRecord(Base):
    """A payment the back end was told of (PaymentNotice): one per bill."""

    __tablename__ = "tax_payment_records"
    epay_no: Mapped[str] = mapped_column(String(19), primary_key=True)
    payment_ref: Mapped[str] = mapped_column(String(128), unique=True)
    receipt_ref: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProcessedMessage(Base):
    """Idempotency: one answer per key, replayed on repeats."""

    __tablename__ = "processed_messages"
    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    body_sha: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    replays: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def make_sessionmaker(url: str) -> sessionmaker:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _rec):
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    Base.metadata.create_all(engine)
    for table in Base.metadata.sorted_tables:  # a file made before an index was declared gets it too
        for index in table.indexes:
            index.create(engine, checkfirst=True)
    return sessionmaker(bind=engine, expire_on_commit=False)
