"""Issue 17 item 9: the English screens say it all in English: a request's
timeline details, the tax names, dates in English form ("Dec 24, 2026", not
"2026년 12월 24일"), and "1 bill" / "2 bills"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from services.households import get_household
from services.models import Device, RequestEvent, utcnow
from tests.tvapp.test_tax_screens import html, taxtv  # noqa: F401  (fixture)
from tests.tvapp.test_tv_screens import add_request, device_of, tv  # noqa: F401  (fixture)
from tvapp.tv.labels import step_message, table
from tvapp.tv.service_texts import bill_subject, ko, ko_attr, svc

KOREAN_DATE = re.compile(r"\d+년|\d+월 \d+일")


def english(client, runtime):
    with runtime.session() as s:
        s.get(Device, device_of(client, runtime).id).lang = "en"


def test_timeline_details_and_dates_in_english(tv, demo):  # noqa: F811
    english(tv, demo)
    no = add_request(demo, tv.household_id, "land-register", events=[
        ("delivering", {"page": 0, "pages": 2, "message": "팩스 번호로 전화 거는 중 (1번째 시도)"}),
        ("waiting", {"reason": "fax_retry", "message": "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다."}),
        ("retried", {}),
        ("waiting", {"message": "메일 서버가 잠시 받지 않아 곧 다시 보냅니다."}),
        ("accepted", {"message": "구청 담당자 메모"}),
    ])
    with demo.session() as s:
        first = s.scalar(select(RequestEvent).where(RequestEvent.kind == "received").order_by(RequestEvent.id.desc()))
        first.created_at = utcnow() - timedelta(days=40)
        when = first.created_at
    page = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    assert "The receiving fax is busy. Trying again in 3 min." in page
    assert "The mail server is not taking mail just now" in page
    assert "통화 중" not in page and "메일 서버" not in page
    # a text with no English form is not shown in Korean: the step says where to read it
    assert "구청 담당자 메모" not in page and "The details are in Korean: choose 한국어 in Settings" in page
    month = ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())[(when + timedelta(hours=9)).month - 1]
    assert re.search(r"%s \d{1,2} \d{2}:\d{2}" % month, page)
    assert not KOREAN_DATE.search(page)
    # the Korean screen keeps the Korean
    with demo.session() as s:
        s.get(Device, device_of(tv, demo).id).lang = "ko"
    page = tv.get("/tv/requests/%s" % no).get_data(as_text=True)
    assert "받는 팩스가 통화 중입니다. 3분 뒤 다시 보냅니다." in page and KOREAN_DATE.search(page)


def test_tax_names_dates_and_plurals_in_english(taxtv, demo):  # noqa: F811
    english(taxtv, demo)
    page = html(taxtv.get("/tv/taxes/"))
    assert "2 bills to pay" in page
    assert "Automobile tax" in page and "Resident tax" in page
    assert "자동차세" not in page and "주민세" not in page
    assert re.search(r"due [A-Z][a-z]{2} \d{1,2}, \d{4}", page)
    assert not KOREAN_DATE.search(page)
    page = html(taxtv.get("/tv/taxes/bill/1144012611260000011"))
    assert "Automobile tax" in page and not KOREAN_DATE.search(page)
    # the car's kind in English, its plate a name: Korean, marked so
    assert '<span lang="ko">서울12가3456</span> (passenger car, 1,998cc)' in page and "승용" not in page
    page = html(taxtv.get("/tv/taxes/bill/1144012608260000022"))
    assert "Resident tax (individual)" in page and "개인분" not in page
    page = html(taxtv.get("/tv/taxes/bill/1144012611260000011/account"))  # the sandbox's bank, by its English name
    assert "<dd>Shinhan Bank</dd>" in page and "신한은행" not in page
    page = html(taxtv.get("/tv/taxes/history"))
    assert "Property tax" in page and re.search(r"Paid [A-Z][a-z]{2} \d{1,2}, \d{4}", page)
    # a household with one bill: "1 bill"
    with demo.session() as s:
        s.get(Device, device_of(taxtv, demo).id).household_id = get_household(s, "1144012-0003").id
    page = html(taxtv.get("/tv/taxes/"))
    assert "1 bill to pay" in page and "1 bills" not in page


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_timeline_without_an_english_form_says_where_to_read_it(app, lang):
    with app.test_request_context(), force_locale(lang):
        labels = table(lang)
        assert step_message("누구도 모르는 문장", labels) == (
            "The details are in Korean: choose 한국어 in Settings to read them." if lang == "en" else "누구도 모르는 문장")
        # a back end's own English, when it gave one
        assert step_message("누구도 모르는 문장", labels, "The office refused it.") == (
            "The office refused it." if lang == "en" else "누구도 모르는 문장")
        # a text the services joined from known sentences, with an amount and a tax's name in it
        assert step_message("자동차세 12,000원을 납부했습니다. 입금 기한이 지났습니다. 요금은 청구되지 않았습니다.", labels) == (
            "Automobile tax of KRW 12,000 paid. The deadline for the transfer has passed. Nothing was charged."
            if lang == "en" else "자동차세 12,000원을 납부했습니다. 입금 기한이 지났습니다. 요금은 청구되지 않았습니다.")
        busy = step_message("받는 팩스가 응답하지 않습니다. 1시간 뒤 다시 보냅니다.", labels)
        assert busy == ("The receiving fax does not answer. Trying again in 1 h." if lang == "en"
                        else "받는 팩스가 응답하지 않습니다. 1시간 뒤 다시 보냅니다.")


def test_the_services_korean_words_are_shown_in_english(app):
    """Relations, descriptions, option labels, 무료, refusals and the lock message (services' Korean,
    kept for SMS and documents) are translated at the screen (tvapp.tv.service_texts); back-end data
    without a translation stays as it came."""
    with app.test_request_context(), force_locale("en"):
        assert svc("배우자") == "Spouse" and svc("본인(세대주)") == "Self (head)"
        assert svc("한 사람의 주소 변동 내역이 나오는 증명서") == "One person's address history"
        assert svc("무료") == "free" and svc("표시 안 함 (권장)") == "Masked (best)"
        assert svc("060 유료 정보 서비스 번호로는 팩스를 보낼 수 없습니다.") == "Faxes cannot go to 060 premium-rate numbers."
        assert svc("인증번호를 5번 틀려 잠시 잠겼습니다. 7분 뒤에 새 인증번호를 받아 주세요.") == \
            "Wrong code 5 times: locked. Ask for a new code in 7 minutes."
        assert svc("신한은행") == "Shinhan Bank" and svc("KB국민은행") == "KB Kookmin Bank"
        assert svc("부산은행") == "부산은행" and svc("") == ""  # a bank we have no name for stays as sent
    with app.test_request_context(), force_locale("ko"):
        assert svc("배우자") == "배우자"


def test_bill_subjects_in_english_with_places_and_plates_marked_korean(app):
    """A bill's 과세대상 (the back end's Korean): the kind of tax and of car in English, the address
    or the plate (names) kept Korean in lang="ko"; a form not known stays as sent, marked Korean."""
    with app.test_request_context(), force_locale("en"):
        assert bill_subject("주택분 (월드컵북로 212)") == 'Housing (<span lang="ko">월드컵북로 212</span>)'
        assert bill_subject("토지분 (망원동 45-7 외 1필지)") == 'Land (<span lang="ko">망원동 45-7</span> and 1 more lot)'
        assert bill_subject("토지분 (망원동 45-7 외 3필지)").endswith("and 3 more lots)")
        assert bill_subject("건축물분 (도화동 173-12)") == 'Buildings (<span lang="ko">도화동 173-12</span>)'
        assert bill_subject("서울34나7890 (승용, 998cc)") == '<span lang="ko">서울34나7890</span> (passenger car, 998cc)'
        assert bill_subject("개인분 주민세") == "Resident tax (individual)"
        assert bill_subject("법인분 (<b>알 수 없음</b>)") == '<span lang="ko">법인분 (&lt;b&gt;알 수 없음&lt;/b&gt;)</span>'
        assert ko("Shinhan Bank") == "Shinhan Bank" and ko("부산은행") == '<span lang="ko">부산은행</span>'
        assert ko_attr("마포구 소식") == ' lang="ko"' and ko_attr("Mapo news") == ""
    with app.test_request_context(), force_locale("ko"):  # a Korean screen: as sent, nothing to mark
        assert bill_subject("서울34나7890 (승용, 998cc)") == "서울34나7890 (승용, 998cc)"
        assert ko("부산은행") == "부산은행" and ko_attr("마포구 소식") == ""


def test_a_services_joined_sentences_are_shown_in_english(app):
    """A decline joined with "nothing charged" (and the pending payment's two sentences) is no
    catalogue entry of its own: each sentence is (the audit's tax results in English)."""
    with app.test_request_context(), force_locale("en"):
        assert svc("카드 잔액(한도)이 부족합니다. 다른 카드로 납부해 주세요. 요금은 청구되지 않았습니다.") == (
            "The card's balance (limit) is not enough. Please pay with another card. Nothing was charged.")
        assert svc("결제 결과를 확인 중이며 나의 민원에 표시됩니다. 다시 납부하지 마세요.") == (
            "Checking the payment's result; it will show in My requests. Do not pay again.")
