"""The certificates a resident can ask for on the TV or by SMS.

Fees: issued online (TV, SMS) they are free, as on 정부24; the counter fee
is shown beside it so residents see what they save.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    value: str
    label_ko: str
    label_en: str


@dataclass(frozen=True)
class Option:
    name: str
    label_ko: str
    label_en: str
    choices: tuple[Choice, ...] = ()
    source: str = ""  # "parcels" / "buildings": choices come from the back end


@dataclass(frozen=True)
class CertificateType:
    code: str
    name_ko: str
    name_en: str
    title_ko: str  # the document's own title
    description_ko: str
    fee_online: int
    fee_counter: int
    options: tuple[Option, ...] = field(default_factory=tuple)
    sms_words: tuple[str, ...] = ()


YES_NO = (Choice("no", "아니요", "No"), Choice("yes", "예", "Yes"))

FULL_RRN = Option("full_rrn", "주민등록번호 뒷자리 표시", "Show full resident number",
                  (Choice("no", "표시 안 함 (권장)", "Masked (recommended)"),
                   Choice("yes", "모두 표시", "Show all digits")))

CATALOGUE: tuple[CertificateType, ...] = (
    CertificateType(
        "resident-copy", "주민등록표 등본", "Resident registration copy", "주민등록표 (등본)",
        "세대주와 세대원 전체가 나오는 증명서", 0, 400, (FULL_RRN,), ("등본",)),
    CertificateType(
        "resident-abstract", "주민등록표 초본", "Resident registration abstract", "주민등록표 (초본)",
        "한 사람의 주소 변동 내역이 나오는 증명서", 0, 400,
        (Option("past_addresses", "과거 주소 변동 사항 포함", "Include past addresses", YES_NO), FULL_RRN),
        ("초본",)),
    CertificateType(
        "land-register", "토지대장", "Land register", "토지대장",
        "소유한 토지의 지목, 면적, 소유자", 0, 500,
        (Option("parcel", "토지 선택", "Parcel", source="parcels"),), ("토지대장", "토지")),
    CertificateType(
        "building-register", "건축물대장", "Building register", "일반건축물대장",
        "소유한 건물의 용도, 구조, 면적", 0, 500,
        (Option("building", "건물 선택", "Building", source="buildings"),), ("건축물대장", "건축물")),
    CertificateType(
        "tax-payment", "지방세 납세증명서", "Local tax payment certificate", "지방세 납세증명서",
        "체납한 지방세가 없음을 증명 (30일간 유효)", 0, 0,
        (Option("purpose", "사용 목적", "Purpose",
                (Choice("기타", "기타", "Other"), Choice("대금 수령", "대금 수령", "Receiving payment"),
                 Choice("해외 이주", "해외 이주", "Emigration"), Choice("체류 기간 연장", "체류 기간 연장", "Visa extension"))),),
        ("납세증명", "납세증명서", "납세")),
    CertificateType(
        "tax-assessment", "지방세 세목별 과세증명서", "Local tax assessment certificate",
        "지방세 세목별 과세증명서", "해당 연도에 부과된 지방세 내역", 0, 0,
        (Option("year", "과세 연도", "Tax year", source="years"),), ("과세증명", "과세증명서", "과세")),
)

BY_CODE = {c.code: c for c in CATALOGUE}


def get(code: str) -> CertificateType:
    try:
        return BY_CODE[code]
    except KeyError as exc:
        raise KeyError("unknown certificate type %r" % code) from exc


def fee_text(amount: int) -> str:
    return "무료" if amount == 0 else "{:,}원".format(amount)
