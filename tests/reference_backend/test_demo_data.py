"""The reference back end's demo municipality, created idempotently."""

import re
from datetime import date

from sqlalchemy import func, select

from reference_backend import seed
from reference_backend.store import (
    Building,
    Household,
    Parcel,
    Resident,
    TaxBill,
    make_sessionmaker,
)


def test_demo_data_is_complete_and_created_once(tmp_path):
    Session = make_sessionmaker("sqlite:///%s" % (tmp_path / "b.sqlite3"))
    with Session.begin() as s:
        assert seed.seed(s, today=date(2026, 11, 21))
    with Session.begin() as s:
        assert not seed.seed(s, today=date(2026, 11, 21))
    with Session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) >= 3
        residents = list(s.scalars(select(Resident).order_by(Resident.phone)))
        assert len(residents) >= 8
        assert [r.phone for r in residents][:8] == ["010-0000-%04d" % i for i in range(1, 9)]
        for r in residents:
            assert re.fullmatch(r"\d{6}-[1-4]\d{6}", r.rrn)
            assert re.fullmatch(r"[가-힣]{2,4}", r.name)
            assert s.get(Household, r.household_code).address.startswith("서울특별시 마포구")
        assert s.scalar(select(func.count()).select_from(Parcel)) >= 2
        assert s.scalar(select(func.count()).select_from(Building)) >= 1
        bills = list(s.scalars(select(TaxBill)))
        items = {b.tax_item for b in bills}
        assert {"재산세", "자동차세", "주민세"} <= items
        today = date(2026, 11, 21)
        assert any(b.paid_at for b in bills)
        assert any(not b.paid_at and b.due_date < today for b in bills)
        assert any(not b.paid_at and b.due_date >= today for b in bills)
        assert all(len(b.epay_no) == 19 and b.epay_no.isdigit() for b in bills)
