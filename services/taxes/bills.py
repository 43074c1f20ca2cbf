"""A household's bills, from the back end through the bridge, and how they
read on a screen: 재산세 · 1144-0126-0726-0000-033 (groups of four for
reading aloud) · 1,234,560원 · 2026년 11월 9일."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.core.errors import AppError
from services.korean import korean_date  # noqa: F401 (2026년 11월 9일; receipts use it from here)

log = logging.getLogger(__name__)

# What the back end said about a household's bills is kept this long: a bill
# paid elsewhere (at a bank) shows as paid within it (a payment here drops
# it at once). The lists, a bill and its card screen show this copy; the
# phone and account screens ask the back end, and so does a card payment
# before any charge (payments.pay_card).
CACHE_SECONDS = 300


class BillsUnavailable(AppError):
    """The back end cannot tell us the bills now; the message is for people."""

    status_code = 503

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def won(n: int) -> str:
    return "{:,}원".format(int(n))


def group_epay(epay_no: str) -> str:
    """19 digits in groups of four (the last group three) for reading."""
    return "-".join(epay_no[i:i + 4] for i in range(0, len(epay_no), 4))


@dataclass(frozen=True)
class Bill:
    ref: str
    payer_ref: str
    payer_name: str
    tax_item: str
    epay_no: str
    tax_year: int
    subject: str
    amount: int
    late_charge: int
    total: int
    due_date: str
    status: str  # due | overdue | paid
    paid_at: str | None = None

    @property
    def paid(self) -> bool:
        return self.status == "paid"

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"

    @property
    def epay_grouped(self) -> str:
        return group_epay(self.epay_no)

    @property
    def due_text(self) -> str:
        return korean_date(self.due_date)

    @property
    def paid_text(self) -> str:
        return korean_date(self.paid_at) if self.paid_at else ""


def _cache_key(household_code: str) -> str:
    return "bills:%s" % household_code


def content_key(household_code: str) -> str:
    """Where the digest of the cached bills is kept while they are."""
    return "bills-digest:%s" % household_code


def content_digest(runtime, raw: list[dict]) -> str:
    return runtime.crypto.keyed_hash(json.dumps(raw, ensure_ascii=False, sort_keys=True), "bills-digest")[:20]


def _cached(runtime, household_code: str) -> list[dict] | None:
    try:
        raw = runtime.redis.get(_cache_key(household_code))
        return json.loads(runtime.crypto.decrypt(raw.decode())) if raw else None
    except (RedisError, RuntimeError, ValueError):
        return None


def _remember(runtime, household_code: str, raw: list[dict], digest: str) -> None:
    try:
        pipe = runtime.redis.pipeline(transaction=True)
        pipe.set(_cache_key(household_code), runtime.crypto.encrypt(json.dumps(raw, ensure_ascii=False)),
                 ex=CACHE_SECONDS)
        pipe.set(content_key(household_code), digest, ex=CACHE_SECONDS)
        pipe.execute()
    except (RedisError, RuntimeError):
        pass


def forget(runtime, household_code: str) -> None:
    """Drop a household's cached bills (a payment changed them)."""
    try:
        runtime.redis.delete(_cache_key(household_code), content_key(household_code))
    except (RedisError, RuntimeError):
        log.warning("cached bills not dropped; they expire within %d s", CACHE_SECONDS)


def household_bills(runtime, household_code: str, fresh: bool = False) -> list[Bill]:
    """Unpaid first (overdue, then by due date), then paid (latest first).

    What the back end said is kept for ``CACHE_SECONDS`` (encrypted, in Redis)
    so a box paging through its bills does not ask the back end each time;
    a payment drops it (:func:`forget`). ``fresh`` asks the back end anyway
    (whatever decides about money does: ``payments`` reads the back end
    itself)."""
    raw = None if fresh else _cached(runtime, household_code)
    fetched = raw is None
    if raw is None:
        try:
            raw = runtime.bridge.tax_bills(household_code)
        except (BackendUnavailable, BackendProtocolError) as exc:
            raise BillsUnavailable("구청 시스템에 연결할 수 없어 고지서를 불러오지 못했습니다.") from exc
        except BackendRefused as exc:
            raise BillsUnavailable(exc.message) from exc
    if fetched:
        _remember(runtime, household_code, raw, content_digest(runtime, raw))
    bills = [Bill(**b) for b in raw]
    unpaid = sorted((b for b in bills if not b.paid), key=lambda b: (not b.overdue, b.due_date, b.epay_no))
    paid = sorted((b for b in bills if b.paid), key=lambda b: b.paid_at or "", reverse=True)
    return unpaid + paid


def digest(runtime, household_code: str) -> str:
    """A digest of the household's bills as the screens would show them now
    (asks the back end when what it said last has lapsed); raises
    :class:`BillsUnavailable` like :func:`household_bills`."""
    try:
        found = runtime.redis.get(content_key(household_code))
    except (RedisError, RuntimeError):
        found = None
    if found is None:
        household_bills(runtime, household_code)
        found = runtime.redis.get(content_key(household_code))
    return found.decode() if isinstance(found, bytes) else str(found)


def find(bills: list[Bill], epay_no: str) -> Bill | None:
    return next((b for b in bills if b.epay_no == epay_no), None)
