"""Bulk households for the load run, in both stores, in a few seconds.

The reference back end (its own SQLite file) gets N households of its own
(``1144099-00000`` upward), two residents each and three local-tax bills
(one overdue, one due, one paid); tvapp's database mirrors them (as
``services.households.upsert_household`` would: personal data encrypted, the
phone as a keyed hash), each with one paired set-top box (a random device
token, stored as its keyed hash, mostly Korean and normal text, some English
or larger text) and two finished requests (나의 민원) with their timelines.

Written with SQLAlchemy Core ``executemany`` (one transaction per table),
so the services' per-row code (and its after-commit hooks) is not run: the
rows are exactly what that code stores. Finished requests only: the workers
and the sweep have nothing to pick up.

``seed(...)`` returns the boxes as dicts (token, household code, a receipt
number, an unpaid bill's 전자납부번호, the Cookie header a paired box sends:
its token and the front's ``tv_view`` and ``tv_who``) and writes them as CSV for the boxes (``bench.load.boxes``).
"""

from __future__ import annotations

import csv
import random
import secrets
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, select

SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ["민준", "서연", "영수", "순자", "지호", "하은", "도윤", "수빈", "현우", "지민", "예준", "옥자",
         "성민", "미경", "태희", "정호", "은지", "상철", "말순", "대현"]
ROADS = ["월드컵북로", "망원로", "도화길", "성미산로", "양화로", "독막로", "마포대로", "백범로"]
CODE = "1144099-%05d"
DISTRICT = "서울특별시 마포구"


def _rrn(rnd: random.Random, born: int, male: bool) -> str:
    yy = born % 100
    s = (1 if male else 2) if born < 2000 else (3 if male else 4)
    return "%02d%02d%02d-%d%06d" % (yy, rnd.randint(1, 12), rnd.randint(1, 28), s, rnd.randrange(10 ** 6))


def backend_rows(n: int, today: date, seed: int = 7):
    """Households, residents and bills for the back end's own tables."""
    from reference_backend.store import Household, Resident, TaxBill

    rnd = random.Random(seed)
    hh, res, bills = [], [], []
    for i in range(n):
        code = CODE % i
        hh.append({"code": code, "address": "%s %s %d, %d호" % (DISTRICT, rnd.choice(ROADS), rnd.randint(1, 300),
                                                              rnd.randint(101, 1505)),
                   "moved_in": date(2000 + rnd.randrange(25), rnd.randint(1, 12), rnd.randint(1, 28))})
        for pos in range(2):
            born = rnd.randint(1940, 2005)
            res.append({"ref": "L%05d%d" % (i, pos), "household_code": code, "position": pos,
                        "name": rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                        "relation": "본인(세대주)" if pos == 0 else "배우자",
                        "rrn": _rrn(rnd, born, pos == 0), "phone": "010-5%03d-%04d" % (i // 10000, i % 10000 * 2 + pos)
                        if pos == 0 else None,
                        "email": "box%05d@example.com" % i if pos == 0 else None,
                        "moved_in": hh[-1]["moved_in"], "past_addresses": []})
        for k, (item, days, paid) in enumerate((("주민세", -12, False), ("자동차세", 18, False),
                                                ("재산세", -60, True))):
            due = today + timedelta(days=days)
            bills.append({"ref": "LT%05d%d" % (i, k), "household_code": code, "payer_ref": "L%05d0" % i,
                          "tax_item": item, "epay_no": epay_no(i, k), "tax_year": today.year,
                          "subject": "개인분 주민세" if item == "주민세" else "%s 과세분" % item,
                          "amount": rnd.choice((10_000, 99_800, 186_420, 254_800)), "due_date": due,
                          "paid_at": datetime.combine(due - timedelta(days=3), datetime.min.time()) if paid else None})
    return (Household, hh), (Resident, res), (TaxBill, bills)


def epay_no(i: int, k: int) -> str:
    return "1144099%010d%02d" % (i, k)


def seed(n: int, backend_db: Path, database_url: str, pii_key: str, out_csv: Path,
         today: date | None = None, seed: int = 7) -> list[dict]:
    from services import pii
    from services.core.crypto import Crypto
    from services.households import phone_hash
    from services.models import Device, Household, Request, RequestEvent, Resident
    from tvapp.tv.device import HASH_PURPOSE, DeviceInfo, HouseholdInfo, front_cookies

    today = today or date.today()
    rnd = random.Random(seed + 1)
    crypto = Crypto(pii_key)
    now = datetime.now(timezone.utc)

    back = create_engine("sqlite:///%s" % backend_db, connect_args={"timeout": 60})
    tables = backend_rows(n, today, seed)
    with back.begin() as c:
        for model, rows in tables:
            c.execute(insert(model), rows)
    back.dispose()

    (_, hh_rows), (_, res_rows), (_, bill_rows) = tables
    eng = create_engine(database_url, connect_args={"timeout": 60} if database_url.startswith("sqlite") else {})
    with eng.begin() as c:
        c.execute(insert(Household), [{"code": h["code"], "address": h["address"], "synced_at": now}
                                      for h in hh_rows])
        ids = dict(c.execute(select(Household.code, Household.id).where(Household.code.like("1144099-%"))).all())
        c.execute(insert(Resident), [{
            "household_id": ids[r["household_code"]], "ref": r["ref"], "position": r["position"],
            "name": r["name"], "relation": r["relation"], "rrn_enc": crypto.encrypt(r["rrn"]),
            "rrn_masked": pii.mask_rrn(r["rrn"]),
            "phone_enc": crypto.encrypt(r["phone"]) if r["phone"] else None,
            "phone_hash": phone_hash(crypto, r["phone"]) if r["phone"] else None,
            "email_enc": crypto.encrypt(r["email"]) if r["email"] else None} for r in res_rows])
        boxes, devices, requests = [], [], []
        heads: dict[str, tuple[int, str]] = {}
        for r in res_rows:
            if r["household_code"] not in heads or r["position"] < heads[r["household_code"]][0]:
                heads[r["household_code"]] = (r["position"], r["name"])
        for i, h in enumerate(hh_rows):
            token = secrets.token_urlsafe(32)
            lang = "en" if rnd.random() < 0.05 else "ko"
            size = rnd.choices(("normal", "large", "xlarge"), (80, 15, 5))[0]
            devices.append({"token_hash": crypto.keyed_hash(token, HASH_PURPOSE), "household_id": ids[h["code"]],
                            "family": "keyboard", "lang": lang, "text_size": size, "paired_at": now,
                            "created_at": now, "last_seen_at": now})
            receipts = []
            for k in range(2):
                receipt = "20261101-%06d" % (i * 2 + k)
                receipts.append(receipt)
                when = now - timedelta(days=rnd.randint(1, 60))
                requests.append({
                    "receipt_no": receipt, "client_token": "load-%d-%d" % (i, k), "kind": "certificate",
                    "household_id": ids[h["code"]], "resident_id": None, "channel": "tv",
                    "delivery_method": "fax", "delivery_address_enc": crypto.encrypt("02-1234-5678"),
                    "delivery_address_masked": pii.mask_phone("02-1234-5678"),
                    "options": {"certificate_type": "resident-copy"}, "status": "delivered", "step_index": 0,
                    "attempts": 0, "next_run_at": when, "result": {}, "created_at": when, "updated_at": when})
            # the cookies the app gives a paired box (tvapp.tv.device.sync_front_cookies)
            view, who = front_cookies(DeviceInfo(0, ids[h["code"]], "keyboard", lang, size),
                                      HouseholdInfo(0, h["code"], "", pii.mask_name(heads[h["code"]][1])))
            boxes.append({"token": token, "household": h["code"], "receipt": receipts[0],
                          "epay": epay_no(i, 1), "lang": lang, "size": size,
                          "cookie": "tv_device=%s; tv_view=%s; tv_who=%s" % (token, view, who)})
        c.execute(insert(Device), devices)
        c.execute(insert(Request), requests)
        rids = dict(c.execute(select(Request.receipt_no, Request.id)
                              .where(Request.client_token.like("load-%"))).all())
        events = []
        for r in requests:
            for j, kind in enumerate(("received", "sent_to_backend", "accepted", "issued", "delivered")):
                events.append({"request_id": rids[r["receipt_no"]], "key": "%s-%d" % (kind, j), "kind": kind,
                               "detail": {}, "created_at": r["created_at"] + timedelta(minutes=j)})
        c.execute(insert(RequestEvent), events)
    eng.dispose()

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(boxes[0]))
        w.writeheader()
        w.writerows(boxes)
    return boxes
