"""The services' Korean words and sentences, in the screen's language.

The services speak Korean: their texts go into SMS, documents and the
ledger as they are. A TV screen shows them through ``|svc`` (a Jinja filter)
or :func:`svc`: in English the Flask-Babel catalogue's translation, found by
the Korean text itself (the msgids are marked below so that ``pybabel
extract`` and ``tests/tvapp/test_i18n_catalogue.py`` see them). A sentence
with a number in it is matched by its pattern. Anything not listed stays as
the service wrote it.

What stays Korean on an English screen - a name, an address, a car's plate,
the district's own news, a bank or a category we have no English for - is
marked so (``lang="ko"``: ``|ko`` wraps a text in a span, ``|ko_attr`` gives
an element the attribute), which screen readers need to read it as Korean.
"""

from __future__ import annotations

import re

from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")

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
    # the banks of virtual accounts, by their official English names (the payment sandbox's is 신한은행)
    _l("신한은행"), _l("KB국민은행"), _l("국민은행"), _l("우리은행"), _l("하나은행"), _l("NH농협은행"), _l("농협은행"),
    _l("IBK기업은행"), _l("기업은행"),
    # the news categories (the district's feeds and the console)
    _l("행정"), _l("복지"), _l("문화"), _l("교통"), _l("안전"), _l("환경"), _l("나눔"), _l("골목상권"), _l("건강"),
    _l("교육"), _l("경제"), _l("일자리"), _l("주민"), _l("재난"), _l("보건"), _l("체육"), _l("관광"), _l("공지"),
    _l("행사"), _l("주택"), _l("청소년"), _l("어르신"), _l("여성가족"), _l("도시"),
)

#: A bill's 과세대상 (what is taxed), as the back end writes it: its kind, and the
#: place or the car that is a name and stays Korean.
SUBJECT_KINDS = {"주택분": _l("주택분"), "토지분": _l("토지분"), "건축물분": _l("건축물분"), "선박분": _l("선박분"),
                 "항공기분": _l("항공기분")}
CAR_KINDS = {"승용": _l("승용"), "승합": _l("승합"), "화물": _l("화물"), "특수": _l("특수"), "이륜": _l("이륜")}
_PLACE_SUBJECT = re.compile(r"^(%s) \((.+?)(?: 외 (\d+)필지)?\)$" % "|".join(SUBJECT_KINDS))
_CAR_SUBJECT = re.compile(r"^(\S+) \((%s), ([\d,]+ ?cc)\)$" % "|".join(CAR_KINDS))

#: Sentences with a number: (pattern of the Korean, msgid with %(n)s).
PATTERNS = (
    (re.compile(r"^인증번호를 5번 틀려 잠시 잠겼습니다\. (\d+)분 뒤에 새 인증번호를 받아 주세요\.$"),
     "인증번호를 5번 틀려 잠시 잠겼습니다. %(n)s분 뒤에 새 인증번호를 받아 주세요."),
)
_PATTERN_MSGIDS = (_l("인증번호를 5번 틀려 잠시 잠겼습니다. %(n)s분 뒤에 새 인증번호를 받아 주세요.", n=0),)


def _korean_screen() -> bool:
    return get_locale() is None or get_locale().language == "ko"


def ko_attr(text) -> Markup:
    """`` lang="ko"`` for an element whose ``text`` is Korean on a screen in
    another language (a news title, a name, an address), else nothing."""
    if text and not _korean_screen() and HANGUL.search(str(text)):
        return Markup(' lang="ko"')
    return Markup("")


def ko(text) -> Markup:
    """``text`` (escaped), inside ``<span lang="ko">`` when it is Korean on a
    screen in another language."""
    if text is None:
        return Markup("")
    if ko_attr(text):
        return Markup('<span lang="ko">%s</span>') % text
    return escape(text)


def bill_subject(text) -> Markup:
    """A bill's 과세대상 in the screen's language: in English the kind of tax
    and of car translated, the address or the car's plate kept Korean and
    marked so (``주택분 (월드컵북로 212)`` -> Housing (<span lang=ko>월드컵북로
    212</span>)); a subject of another form through :func:`svc`, else as sent."""
    if not text or _korean_screen():
        return escape(text or "")
    found = _PLACE_SUBJECT.match(text)
    if found:
        kind, place, lots = found.groups()
        place = ko(place)
        if lots:
            place = Markup(ngettext("%(place)s 외 %(num)d필지", "%(place)s 외 %(num)d필지", int(lots), place=place))
        return Markup("%s (%s)") % (str(SUBJECT_KINDS[kind]), place)
    found = _CAR_SUBJECT.match(text)
    if found:
        plate, kind, engine = found.groups()
        return Markup("%s (%s, %s)") % (ko(plate), str(CAR_KINDS[kind]), engine)
    return ko(svc(text))


def svc(text):
    """``text`` (a service's Korean) in the screen's language."""
    if not text or _korean_screen():
        return text
    for pattern, msgid in PATTERNS:
        found = pattern.match(text)
        if found:
            return gettext(msgid, n=found.group(1))
    whole = gettext(text)
    sentences = _SENTENCES.split(text)
    if whole == text and len(sentences) > 1:  # a service's sentences joined (a decline and "nothing charged")
        return " ".join(svc(t) for t in sentences)
    return whole


_SENTENCES = re.compile(r"(?<=[.?!])\s+")
