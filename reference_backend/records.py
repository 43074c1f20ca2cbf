"""Answers to the back-end messages, built from the register."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from reference_backend.store import Building, Household, Parcel, Resident, TaxBill, TaxPaymentRecord
from services.bridge.protocol import child

ISSUING_OFFICE = "서울특별시 마포구청장"


class Refused(Exception):
    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(code)
        self.code, self.message, self.message_en = code, message, message_en


def _d(value: date | None) -> str:
    return value.strftime("%Y.%m.%d") if value else ""


def _won(n: int) -> str:
    return "{:,}원".format(n)


def household_record(s, parent, code: str) -> None:
    hh = s.get(Household, code)
    if hh is None:
        raise Refused("household_unknown", "등록되지 않은 세대입니다.", "No such household.")
    el = child(parent, "HouseholdRecord", householdCode=hh.code, address=hh.address)
    for r in s.scalars(select(Resident).where(Resident.household_code == code).order_by(Resident.position)):
        child(el, "Resident", ref=r.ref, name=r.name, relation=r.relation, rrn=r.rrn,
              phone=r.phone, email=r.email)


def _born(rrn: str) -> date | None:
    """The birth date a resident number says (YYMMDD, the century from the 7th digit)."""
    d = "".join(c for c in rrn if c.isdigit())
    if len(d) != 13:
        return None
    century = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900}.get(d[6], 2000)
    try:
        return date(century + int(d[:2]), int(d[2:4]), int(d[4:6]))
    except ValueError:
        return None


def electorate_count(s, parent, q) -> None:
    """Residents of the district (address prefix) aged minAge or more on asOf, and their households."""
    district, min_age = q.get("district"), int(q.get("minAge"))
    as_of = date.fromisoformat(q.get("asOf"))
    people, households = 0, set()
    rows = s.execute(select(Resident.rrn, Household.code).join(Household, Resident.household_code == Household.code)
                     .where(Household.address.startswith(district)))
    for rrn, code in rows:
        born = _born(rrn)
        if born and as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day)) >= min_age:
            people += 1
            households.add(code)
    child(parent, "ElectorateCount", district=district, minAge=min_age, asOf=as_of.isoformat(),
          residents=people, households=len(households))


def property_list(s, parent, q) -> None:
    resident = s.get(Resident, q.get("residentRef"))
    if resident is None or resident.household_code != q.get("householdCode"):
        raise Refused("not_in_household", "해당 세대의 세대원이 아닙니다.",
                      "This person is not a member of the household.")
    el = child(parent, "PropertyList", residentRef=resident.ref)
    parcels = list(s.scalars(select(Parcel).where(Parcel.owner_ref == resident.ref).order_by(Parcel.ref)))
    for p in parcels:
        child(el, "Parcel", ref=p.ref, location=p.location, lot=p.lot, category=p.land_category,
              area=p.area_m2 + "㎡")
    for b in s.scalars(select(Building).where(Building.owner_ref == resident.ref).order_by(Building.ref)):
        p = s.get(Parcel, b.parcel_ref)
        child(el, "Building", ref=b.ref, location="%s %s" % (p.location, p.lot), use=b.use)


def _section(parent, title: str, rows: list[list[tuple[str, str]]]) -> None:
    sec = child(parent, "Section", title=title)
    for cells in rows:
        row = child(sec, "Row")
        for name, value in cells:
            c = child(row, "Cell", name=name)
            c.text = value


def certificate_record(s, parent, q) -> None:
    ctype = q.get("certificateType")
    hh_code = q.get("householdCode")
    resident = s.get(Resident, q.get("residentRef"))
    if resident is None or resident.household_code != hh_code:
        raise Refused("not_in_household", "해당 세대의 세대원이 아닙니다.",
                      "This person is not a member of the household.")
    opts = {o.get("name"): o.get("value") for o in q}
    hh = s.get(Household, hh_code)
    rec = child(parent, "CertificateRecord", requestRef=q.get("requestRef"),
                certificateType=ctype, recordRef="%s-%s" % (ctype, resident.ref),
                issuingOffice=ISSUING_OFFICE, fee="0")
    child(rec, "Holder", name=resident.name, rrn=resident.rrn, address=hh.address)
    build = _BUILDERS[ctype]
    build(s, rec, resident, hh, opts)


def _resident_copy(s, rec, resident, hh, opts):
    members = s.scalars(select(Resident).where(Resident.household_code == hh.code).order_by(Resident.position))
    _section(rec, "세대 구성", [
        [("구분", m.relation), ("성명", m.name), ("주민등록번호", m.rrn),
         ("전입일", _d(m.moved_in)), ("변동사유", "전입")]
        for m in members
    ])
    _section(rec, "현 주소", [[("주소", hh.address), ("전입일", _d(hh.moved_in))]])


def _resident_abstract(s, rec, resident, hh, opts):
    rows = []
    if opts.get("past_addresses", "no") == "yes":
        for addr, start, end, reason in resident.past_addresses or []:
            rows.append([("주소", addr), ("전입일", start.replace("-", ".")),
                         ("전출일", end.replace("-", ".")), ("변동사유", reason)])
    rows.append([("주소", hh.address), ("전입일", _d(resident.moved_in)), ("전출일", ""),
                 ("변동사유", "전입")])
    _section(rec, "주소 변동 사항", rows)


def _land_register(s, rec, resident, hh, opts):
    parcel = s.get(Parcel, opts.get("parcel", ""))
    if parcel is None or parcel.owner_ref != resident.ref:
        raise Refused("parcel_not_owned", "이 분이 소유한 토지가 아닙니다.",
                      "This parcel is not owned by this person.")
    _section(rec, "토지 표시", [[("소재지", parcel.location), ("지번", parcel.lot),
                                ("지목", parcel.land_category), ("면적", parcel.area_m2 + "㎡")]])
    _section(rec, "소유자", [[("변동일자", _d(parcel.acquired)), ("변동원인", "소유권이전"),
                             ("성명", resident.name), ("주소", hh.address)]])
    _section(rec, "개별공시지가", [[("기준일", "%d.01.01" % date.today().year),
                                   ("공시지가", _won(parcel.official_price) + "/㎡")]])


def _building_register(s, rec, resident, hh, opts):
    b = s.get(Building, opts.get("building", ""))
    if b is None or b.owner_ref != resident.ref:
        raise Refused("building_not_owned", "이 분이 소유한 건축물이 아닙니다.",
                      "This building is not owned by this person.")
    parcel = s.get(Parcel, b.parcel_ref)
    _section(rec, "건축물 현황", [[("대지위치", parcel.location), ("지번", parcel.lot),
                                  ("주용도", b.use), ("구조", b.structure), ("층수", b.floors),
                                  ("연면적", b.total_area_m2 + "㎡"), ("사용승인일", _d(b.approved))]])
    _section(rec, "소유자 현황", [[("성명", resident.name), ("주소", hh.address), ("지분", "1/1")]])


def _tax_payment(s, rec, resident, hh, opts):
    today = date.today()
    overdue = list(s.scalars(select(TaxBill).where(
        TaxBill.payer_ref == resident.ref, TaxBill.paid_at.is_(None), TaxBill.due_date < today)))
    if overdue:
        raise Refused("tax_arrears", "체납된 지방세가 있어 납세증명서를 발급할 수 없습니다. 먼저 납부해 주세요.",
                      "There are overdue local taxes; pay them first.")
    _section(rec, "증명 내용", [[("체납액", "없음"), ("증명서 사용 목적", opts.get("purpose", "기타")),
                                ("유효기간", "발급일로부터 30일")]])


def _tax_assessment(s, rec, resident, hh, opts):
    year = int(opts.get("year") or date.today().year)
    bills = s.scalars(select(TaxBill).where(TaxBill.payer_ref == resident.ref,
                                            TaxBill.tax_year == year).order_by(TaxBill.due_date))
    _section(rec, "%d년 과세 내역" % year, [
        [("세목", b.tax_item), ("과세대상", b.subject), ("세액", _won(b.amount)),
         ("납기", _d(b.due_date)), ("납부여부", "납부" if b.paid_at else "미납")]
        for b in bills
    ])


_BUILDERS = {
    "resident-copy": _resident_copy,
    "resident-abstract": _resident_abstract,
    "land-register": _land_register,
    "building-register": _building_register,
    "tax-payment": _tax_payment,
    "tax-assessment": _tax_assessment,
}


# -- local taxes ----------------------------------------------------------------

LATE_RATE = 0.03  # 납부지연가산세: 3% of the tax once the due date has passed (simplified)


def late_charge(bill: TaxBill, today: date | None = None) -> int:
    """The late charge (가산금) on an unpaid bill after its due date, in whole 10 원."""
    today = today or date.today()
    if bill.paid_at is not None or bill.due_date >= today:
        return 0
    return int(bill.amount * LATE_RATE) // 10 * 10


def bill_total(bill: TaxBill, today: date | None = None) -> int:
    return bill.amount + late_charge(bill, today)


def tax_bill_list(s, parent, q) -> None:
    code = q.get("householdCode")
    if s.get(Household, code) is None:
        raise Refused("household_unknown", "등록되지 않은 세대입니다.", "No such household.")
    today = date.today()
    el = child(parent, "TaxBillList", householdCode=code, asOf=today.isoformat())
    bills = s.scalars(select(TaxBill).where(TaxBill.household_code == code).order_by(TaxBill.due_date))
    for b in bills:
        payer = s.get(Resident, b.payer_ref)
        status = "paid" if b.paid_at else ("overdue" if b.due_date < today else "due")
        charge = late_charge(b, today)
        if b.paid_at is not None:  # what was paid, late charge included
            rec = s.get(TaxPaymentRecord, b.epay_no)
            charge = max(0, rec.amount - b.amount) if rec else 0
        child(el, "TaxBill", ref=b.ref, payerRef=b.payer_ref, payerName=payer.name, taxItem=b.tax_item,
              epayNo=b.epay_no, taxYear=b.tax_year, subject=b.subject, amount=b.amount,
              lateCharge=charge, total=b.amount + charge, dueDate=b.due_date.isoformat(), status=status,
              paidAt=b.paid_at.replace(microsecond=0).isoformat() + "+00:00" if b.paid_at else None)


def payment_notice(s, parent, q) -> None:
    """Record a payment once. The same payment told twice (another idempotency
    key, same paymentRef) gets the same acknowledgement."""
    epay, ref, amount = q.get("epayNo"), q.get("paymentRef"), int(q.get("amount"))
    bill = s.scalar(select(TaxBill).where(TaxBill.epay_no == epay).with_for_update())
    if bill is None:
        raise Refused("bill_unknown", "전자납부번호에 해당하는 고지서가 없습니다.", "No bill with this number.")
    rec = s.get(TaxPaymentRecord, epay)
    if rec is not None and rec.payment_ref == ref:
        _ack(parent, rec)
        return
    if bill.paid_at is not None:
        raise Refused("already_paid", "이미 납부된 고지서입니다.", "This bill has already been paid.")
    if amount != bill_total(bill):
        raise Refused("amount_changed", "고지 금액이 바뀌었습니다. 바뀐 금액을 확인해 주세요.",
                      "The amount due has changed.")
    paid_at = datetime.fromisoformat(q.get("paidAt")).astimezone(timezone.utc).replace(tzinfo=None)
    bill.paid_at = paid_at
    n = s.scalar(select(func.count()).select_from(TaxPaymentRecord)) or 0
    rec = TaxPaymentRecord(epay_no=epay, payment_ref=ref, receipt_ref="RCPT-%08d" % (n + 1), amount=amount,
                           method=q.get("method"), paid_at=paid_at)
    s.add(rec)
    s.flush()
    _ack(parent, rec)


def _ack(parent, rec) -> None:
    child(parent, "PaymentAck", epayNo=rec.epay_no, paymentRef=rec.payment_ref, receiptRef=rec.receipt_ref,
          recordedAt=rec.recorded_at.replace(microsecond=0).isoformat() + "+00:00")
