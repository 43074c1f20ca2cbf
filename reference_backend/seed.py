"""Demo municipality data: one district (서울특별시 마포구), three households,
eight residents, land and buildings, and local tax bills some due, some
overdue, some paid. Created idempotently: running it twice changes nothing.

Resident registration numbers have the valid shape (YYMMDD-SNNNNNN, the
back six random as issued since October 2020) but belong to nobody.
Phones are 010-0000-0001 upward.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from reference_backend.store import Building, Household, Parcel, Resident, TaxBill

DISTRICT = "서울특별시 마포구"

HOUSEHOLDS = [
    ("1144012-0001", DISTRICT + " 월드컵북로 212, 101동 1203호 (성산동, 성산시영아파트)", date(2009, 3, 14)),
    ("1144012-0002", DISTRICT + " 망원로 45-7 (망원동)", date(1994, 11, 2)),
    ("1144012-0003", DISTRICT + " 도화길 33, 2층 (도화동)", date(2016, 6, 20)),
]

# ref, household, position, name, relation, rrn, phone, email, moved_in, past addresses
RESIDENTS = [
    ("R1001", "1144012-0001", 0, "김영수", "본인(세대주)", "480312-1738204", "010-0000-0001",
     "youngsoo.kim@example.com", date(2009, 3, 14),
     [["서울특별시 서대문구 연희로 101 (연희동)", "1979-05-02", "2009-03-13", "전출"]]),
    ("R1002", "1144012-0001", 1, "이순자", "배우자", "510823-2046519", "010-0000-0002",
     None, date(2009, 3, 14),
     [["서울특별시 서대문구 연희로 101 (연희동)", "1979-05-02", "2009-03-13", "전출"]]),
    ("R1003", "1144012-0001", 2, "김민준", "자", "790115-1592037", "010-0000-0003",
     "minjun.kim@example.com", date(2009, 3, 14),
     [["경기도 성남시 분당구 판교역로 235", "2005-02-01", "2009-03-13", "전출"]]),
    ("R2001", "1144012-0002", 0, "박철민", "본인(세대주)", "550607-1827341", "010-0000-0004",
     "cheolmin.park@example.com", date(1994, 11, 2), []),
    ("R2002", "1144012-0002", 1, "최말순", "배우자", "570921-2310658", "010-0000-0005",
     None, date(1994, 11, 2), []),
    ("R2003", "1144012-0002", 2, "박서연", "손녀", "030405-4201967", "010-0000-0006",
     "seoyeon.park@example.com", date(2021, 3, 1),
     [["부산광역시 해운대구 센텀중앙로 79", "2003-04-05", "2021-02-28", "전출"]]),
    ("R3001", "1144012-0003", 0, "정옥자", "본인(세대주)", "400228-2659130", "010-0000-0007",
     None, date(2016, 6, 20),
     [["서울특별시 마포구 대흥로 20 (대흥동)", "1988-09-10", "2016-06-19", "전출"]]),
    ("R3002", "1144012-0003", 1, "정대현", "자", "681102-1445872", "010-0000-0008",
     "daehyun.jung@example.com", date(2016, 6, 20), []),
]

PARCELS = [
    ("P-1144012-0101", "R2001", DISTRICT + " 망원동", "45-7", "대", "198.00", 6_812_000, date(1994, 10, 28)),
    ("P-1144012-0102", "R2001", DISTRICT + " 망원동", "402-3", "대", "142.50", 6_240_000, date(2003, 7, 15)),
    ("P-1144012-0201", "R3002", DISTRICT + " 도화동", "173-12", "대", "211.30", 8_105_000, date(2015, 12, 1)),
]

BUILDINGS = [
    ("B-1144012-0101", "R2001", "P-1144012-0101", "단독주택(다가구주택)", "철근콘크리트구조",
     "지하 1층 / 지상 3층", "412.56", date(1995, 4, 30)),
    ("B-1144012-0201", "R3002", "P-1144012-0201", "제2종근린생활시설 및 다세대주택",
     "철근콘크리트구조", "지상 4층", "598.20", date(2016, 5, 27)),
]


def _bills(today: date):
    y = today.year
    # ref, household, payer, item, epay no (19 digits), year, subject, amount, due, paid?
    return [
        ("T-0001", "1144012-0001", "R1001", "자동차세", "1144012611260000011", y,
         "서울12가3456 (승용, 1,998cc)", 254_800, today + timedelta(days=18), False),
        ("T-0002", "1144012-0001", "R1001", "주민세", "1144012608260000022", y,
         "개인분 주민세", 10_000, today - timedelta(days=12), False),
        ("T-0003", "1144012-0001", "R1001", "재산세", "1144012607260000033", y,
         "주택분 (월드컵북로 212)", 186_420, today - timedelta(days=60), True),
        ("T-0004", "1144012-0002", "R2001", "재산세", "1144012609260000044", y,
         "토지분 (망원동 45-7 외 1필지)", 1_284_300, today + timedelta(days=9), False),
        ("T-0005", "1144012-0002", "R2001", "재산세", "1144012607260000055", y,
         "주택분 (망원로 45-7)", 642_150, today - timedelta(days=55), True),
        ("T-0006", "1144012-0002", "R2003", "자동차세", "1144012606260000066", y,
         "서울34나7890 (승용, 998cc)", 99_800, today - timedelta(days=20), False),
        ("T-0007", "1144012-0003", "R3002", "재산세", "1144012609260000077", y,
         "건축물분 (도화동 173-12)", 873_600, today + timedelta(days=25), False),
        ("T-0008", "1144012-0003", "R3001", "주민세", "1144012608260000088", y,
         "개인분 주민세", 10_000, today - timedelta(days=70), True),
    ]


def seed(session, today: date | None = None) -> bool:
    """Insert the demo data once. Returns True if anything was created."""
    if session.scalar(select(Household.code).limit(1)) is not None:
        return False
    today = today or date.today()
    for code, address, moved_in in HOUSEHOLDS:
        session.add(Household(code=code, address=address, moved_in=moved_in))
    session.flush()
    for ref, hh, pos, name, rel, rrn, phone, email, moved_in, past in RESIDENTS:
        session.add(Resident(ref=ref, household_code=hh, position=pos, name=name, relation=rel,
                             rrn=rrn, phone=phone, email=email, moved_in=moved_in,
                             past_addresses=past))
    session.flush()
    for ref, owner, loc, lot, cat, area, price, acquired in PARCELS:
        session.add(Parcel(ref=ref, owner_ref=owner, location=loc, lot=lot, land_category=cat,
                           area_m2=area, official_price=price, acquired=acquired))
    session.flush()
    for ref, owner, parcel, use, structure, floors, area, approved in BUILDINGS:
        session.add(Building(ref=ref, owner_ref=owner, parcel_ref=parcel, use=use,
                             structure=structure, floors=floors, total_area_m2=area,
                             approved=approved))
    for ref, hh, payer, item, epay, year, subject, amount, due, paid in _bills(today):
        session.add(TaxBill(ref=ref, household_code=hh, payer_ref=payer, tax_item=item,
                            epay_no=epay, tax_year=year, subject=subject, amount=amount,
                            due_date=due,
                            paid_at=datetime.combine(due - timedelta(days=3), datetime.min.time())
                            if paid else None))
    return True
