"""The services' Korean words and sentences, in the screen's language.

The services speak Korean: their texts go into SMS, documents and the
ledger as they are. A TV screen shows them through ``|svc`` (a Jinja filter)
or :func:`svc`: in English the Flask-Babel catalogue's translation, found by
the Korean text itself (the msgids are marked below so that ``pybabel
extract`` and ``tests/tvapp/test_i18n_catalogue.py`` see them). A sentence
with a number in it is matched by its pattern. Anything not listed stays as
the service wrote it (back-end data such as a bank's name).
"""

from __future__ import annotations

import re

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

#: Fixed texts of the services shown on TV screens (marked for extraction).
MARKED = (
    # relations in a household (the registry's words)
    _l("본인(세대주)"), _l("본인"), _l("세대주"), _l("배우자"), _l("자"), _l("부"), _l("모"), _l("손자"), _l("손녀"),
    _l("며느리"), _l("사위"), _l("형제"), _l("자매"), _l("동거인"), _l("세대원"),
    # the certificates' descriptions (services.certificates.catalogue)
    _l("세대주와 세대원 전체가 나오는 증명서"), _l("한 사람의 주소 변동 내역이 나오는 증명서"),
    _l("소유한 토지의 지목, 면적, 소유자"), _l("소유한 건물의 용도, 구조, 면적"),
    _l("체납한 지방세가 없음을 증명 (30일간 유효)"), _l("해당 연도에 부과된 지방세 내역"),
    # option labels and choices
    _l("과거 주소 변동 사항 포함"), _l("주민등록번호 뒷자리 표시"), _l("표시 안 함 (권장)"), _l("모두 표시"),
    _l("아니요"), _l("예"), _l("토지 선택"), _l("건물 선택"), _l("사용 목적"), _l("기타"), _l("대금 수령"),
    _l("해외 이주"), _l("체류 기간 연장"), _l("과세 연도"),
    # fees (services.certificates.catalogue.fee_text)
    _l("무료"),
    # fax numbers refused (fax_bridge.numbers)
    _l("휴대전화 번호로는 팩스를 보낼 수 없습니다. 받으실 곳의 팩스 번호(예: 02-1234-5678)를 입력해 주세요."),
    _l("050으로 시작하는 개인 번호로는 팩스를 보낼 수 없습니다. 일반 팩스 번호를 입력해 주세요."),
    _l("060 유료 정보 서비스 번호로는 팩스를 보낼 수 없습니다."),
    _l("080 수신자 부담 번호로는 팩스를 보낼 수 없습니다. 받으실 곳의 팩스 번호를 입력해 주세요."),
    _l("1588, 1644 같은 대표 번호로는 팩스를 보낼 수 없습니다. 지역 번호가 있는 팩스 번호를 입력해 주세요."),
    _l("해외 번호로는 팩스를 보낼 수 없습니다. 국내 팩스 번호를 입력해 주세요."),
    _l("114, 119 같은 특수 번호로는 팩스를 보낼 수 없습니다."),
    _l("팩스 번호가 올바르지 않습니다. 지역 번호부터 다시 입력해 주세요(예: 02-1234-5678)."),
    _l("이 번호로는 팩스를 보낼 수 없습니다."),
    _l("070 인터넷 전화 번호로는 팩스를 보낼 수 없습니다."),
    _l("이 번호로는 팩스를 보낼 수 없습니다. 다른 팩스 번호를 입력해 주세요."),
    # the bills' back end out of reach (services.taxes.bills)
    _l("구청 시스템에 연결할 수 없어 고지서를 불러오지 못했습니다."),
    # a payment's status (services.taxes.payments)
    _l("입금을 기다리는 중입니다. 입금되면 납부가 끝나고 나의 민원에 표시됩니다."),
)

#: Sentences with a number: (pattern of the Korean, msgid with %(n)s).
PATTERNS = (
    (re.compile(r"^인증번호를 5번 틀려 잠시 잠겼습니다\. (\d+)분 뒤에 새 인증번호를 받아 주세요\.$"),
     "인증번호를 5번 틀려 잠시 잠겼습니다. %(n)s분 뒤에 새 인증번호를 받아 주세요."),
)
_PATTERN_MSGIDS = (_l("인증번호를 5번 틀려 잠시 잠겼습니다. %(n)s분 뒤에 새 인증번호를 받아 주세요.", n=0),)


def svc(text):
    """``text`` (a service's Korean) in the screen's language."""
    if not text or get_locale() is None or get_locale().language == "ko":
        return text
    for pattern, msgid in PATTERNS:
        found = pattern.match(text)
        if found:
            return gettext(msgid, n=found.group(1))
    return gettext(text)
