"""SMS U-petitions: the parser and the conversation (identity, challenge,
requests, status, cancel, opt-out, limits, our own numbers)."""

import re

import pytest
from sqlalchemy import select

from services import petitions, sms
from services.households import resident_by_phone
from services.models import Request, RequestEvent, Resident, SmsMessage
from services.petitions import handle_mo, parse
from services.sms.text import cp949_len

MINJUN = "010-0000-0003"  # 김민준, minjun.kim@example.com
SOONJA = "010-0000-0002"  # 이순자, no email
STRANGER = "010-9876-5432"


@pytest.mark.parametrize("text,name,cert,method,number", [
    ("등본 팩스 02-1234-5678", "cert", "resident-copy", "fax", "02-1234-5678"),
    ("등본팩스 02—1234—5678", "cert", "resident-copy", "fax", "02-1234-5678"),
    ("  초본   메일 ", "cert", "resident-abstract", "email", None),
    ("초본 이메일로", "cert", "resident-abstract", "email", None),
    ("납세증명 팩스 031-123-4567", "cert", "tax-payment", "fax", "031-123-4567"),
    ("납세증명서 팩스로 031 123 4567", "cert", "tax-payment", "fax", "0311234567"),
    ("주민등록등본 메일", "cert", "resident-copy", "email", None),
    ("Resident copy FAX 02-1234-5678", "cert", "resident-copy", "fax", "02-1234-5678"),
    ("팩스 등본 02-1234-5678", "cert", "resident-copy", "fax", "02-1234-5678"),
    ("등본", "cert", "resident-copy", None, None),
    ("ｅｍａｉｌ 초본", "cert", "resident-abstract", "email", None),
])
def test_parse_certificate_requests(text, name, cert, method, number):
    cmd = parse(text)
    assert (cmd.name, cmd.cert, cmd.method, cmd.number) == (name, cert, method, number)


@pytest.mark.parametrize("text,name,extra", [
    ("상태", "status", {"receipt": None}),
    ("상태 20261121-123456", "status", {"receipt": "20261121-123456"}),
    ("status 20261121123456", "status", {"receipt": "20261121-123456"}),
    ("세금", "taxes", {}), ("세금 조회", "taxes", {}), ("TAX", "taxes", {}),
    ("취소 20261121-123456", "cancel", {"receipt": "20261121-123456"}),
    ("cancel", "cancel", {"receipt": None}),
    ("도움말", "help", {}), ("help", "help", {}), ("?", "help", {}),
    ("확인 123456", "confirm", {"code": "123456"}), ("확인123 456", "confirm", {"code": "123456"}),
    ("123456", "confirm", {"code": "123456"}),
    ("연결 BCDF-GHJK", "pair", {"code": "BCDFGHJK"}), ("연결 bcdf ghjk", "pair", {"code": "BCDFGHJK"}),
    ("수신거부", "stop", {}), ("STOP", "stop", {}), ("수신 거부", "stop", {}),
    ("수신허용", "start", {}), ("ㅋㅋㅋ", "unknown", {}), ("", "empty", {}), (None, "empty", {}),
])
def test_parse_other_commands(text, name, extra):
    cmd = parse(text)
    assert cmd.name == name
    for k, v in extra.items():
        assert getattr(cmd, k) == v


def _code(runtime, phone):
    with runtime.session() as s:
        for m in sms.messages_for_phone(s, runtime, phone):
            if m.purpose == "otp":
                return re.search(r"\d{6}", m.body).group(0)
    raise AssertionError("no code sent")


def _requests(runtime):
    with runtime.session() as s:
        return list(s.scalars(select(Request)))


def test_certificate_by_email_after_the_challenge(demo, monkeypatch):
    rt = demo
    started = []
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: started.append(rid) or True)
    out = handle_mo(rt, MINJUN, "등본 메일", ts="1")
    assert "인증번호" in out.reply and "확인 123456" in out.reply
    assert _requests(rt) == []  # nothing before the challenge is answered
    wrong = handle_mo(rt, MINJUN, "확인 000000", ts="2").reply
    code = _code(rt, MINJUN)
    if code != "000000":
        assert "맞지 않습니다" in wrong
    out = handle_mo(rt, MINJUN, "확인 %s" % code, ts="3")
    reqs = _requests(rt)
    assert len(reqs) == 1 and out.started == [reqs[0].id] == started
    req = reqs[0]
    assert req.channel == "sms" and req.delivery_method == "email" and req.kind == "certificate"
    assert req.options["certificate_type"] == "resident-copy" and req.options["full_rrn"] == "no"
    assert rt.crypto.decrypt(req.delivery_address_enc) == "minjun.kim@example.com"
    assert req.receipt_no in out.reply and "메일로 보낸 뒤 문자로 알려드립니다" in out.reply
    with rt.session() as s:
        assert s.scalar(select(RequestEvent).where(RequestEvent.request_id == req.id,
                                                   RequestEvent.kind == "verified"))
    # The same code again: nothing pending, nothing created twice.
    assert "확인할 신청이 없습니다" in handle_mo(rt, MINJUN, "확인 %s" % code, ts="4").reply
    assert len(_requests(rt)) == 1
    # Status tells the receipt and the state, only of this resident's requests.
    status = handle_mo(rt, MINJUN, "상태", ts="5").reply
    assert req.receipt_no in status and "등본 접수" in status
    detail = handle_mo(rt, MINJUN, "상태 %s" % req.receipt_no, ts="6").reply
    assert req.receipt_no in detail and "(메일)" in detail
    assert "신청하신 증명서가 없습니다" in handle_mo(rt, SOONJA, "상태", ts="7").reply
    assert "찾을 수 없습니다" in handle_mo(rt, SOONJA, "상태 %s" % req.receipt_no, ts="8").reply
    assert "찾을 수 없습니다" in handle_mo(rt, SOONJA, "취소 %s" % req.receipt_no, ts="9").reply
    # Cancel, then cancelling again says it is already cancelled.
    assert "취소했습니다" in handle_mo(rt, MINJUN, "취소 %s" % req.receipt_no, ts="10").reply
    assert "이미 취소된 신청입니다" in handle_mo(rt, MINJUN, "취소 %s" % req.receipt_no, ts="11").reply
    assert "취소됨" in handle_mo(rt, MINJUN, "상태", ts="12").reply


def test_fax_request_checks_the_number_first(demo, monkeypatch):
    rt = demo
    monkeypatch.setattr("services.steps.start", lambda runtime, rid: True)
    assert "대표 번호" in handle_mo(rt, SOONJA, "등본 팩스 1588-1234", ts="1").reply
    assert "팩스 번호를 함께" in handle_mo(rt, SOONJA, "등본 팩스", ts="2").reply
    assert "메일 주소가 없습니다" in handle_mo(rt, SOONJA, "초본 메일", ts="3").reply
    assert "받을 방법" in handle_mo(rt, SOONJA, "초본", ts="4").reply
    assert "문자로 신청할 수 없습니다" in handle_mo(rt, SOONJA, "토지대장 메일", ts="5").reply
    assert "인증번호를 보냈습니다" in handle_mo(rt, SOONJA, "납세증명 팩스 031-123-4567", ts="6").reply
    out = handle_mo(rt, SOONJA, "확인 %s" % _code(rt, SOONJA), ts="7")
    req = _requests(rt)[0]
    assert req.delivery_method == "fax" and req.options["certificate_type"] == "tax-payment"
    assert req.delivery_address_masked == "031-****-4567" and "팩스로" in out.reply


def test_unknown_numbers_get_one_polite_answer_a_day(demo):
    first = handle_mo(demo, STRANGER, "등본 메일", ts="1").reply
    assert "등록된 주민의 휴대전화 번호가 아닙니다" in first
    assert handle_mo(demo, STRANGER, "도움말", ts="2").reply is None
    assert handle_mo(demo, STRANGER, "상태", ts="3").reply is None
    assert _requests(demo) == []


def test_own_numbers_and_short_codes_are_ignored_and_not_recorded(demo):
    for sender in ("1588-0000", "1234", "KT"):
        out = handle_mo(demo, sender, "도움말", ts="1")
        assert out.reply is None and out.ignored == "ours"
    with demo.session() as s:
        assert s.scalar(select(SmsMessage)) is None


def test_duplicate_mo_is_handled_once_and_answers_the_same(demo):
    # Duplicates are known by the gateway's message id (the Kannel endpoint makes the key).
    a = handle_mo(demo, MINJUN, "등본 메일", to="1588-0000", ts="2026-11-21 10:00:00", smsc="sk", dedup_key="k:1")
    b = handle_mo(demo, MINJUN, "등본 메일", to="1588-0000", ts="2026-11-21 10:00:00", smsc="sk", dedup_key="k:1")
    assert b.duplicate and b.reply == a.reply
    with demo.session() as s:
        otps = [m for m in sms.messages_for_phone(s, demo, MINJUN) if m.purpose == "otp"]
        mos = [m for m in sms.messages_for_phone(s, demo, MINJUN) if m.direction == "mo"]
    assert len(otps) == 1 and len(mos) == 1


def test_stop_is_honoured_and_confirmed_once(demo):
    assert "수신거부를 처리했습니다" in handle_mo(demo, MINJUN, "수신거부", ts="1").reply
    assert handle_mo(demo, MINJUN, "STOP", ts="2").reply is None
    assert handle_mo(demo, MINJUN, "도움말", ts="3").reply is None
    with demo.session() as s:
        m = sms.send_sms(s, demo, MINJUN, "notice", purpose="notice", dedup_key="n:1")
        assert m.status == "optout"
    assert "다시 시작" in handle_mo(demo, MINJUN, "수신허용", ts="4").reply
    assert "등본 메일" in handle_mo(demo, MINJUN, "도움말", ts="5").reply


def test_per_phone_rate_limit(demo):
    demo.config.SMS_RATE_PER_PHONE = 3
    replies = [handle_mo(demo, MINJUN, "도움말", ts=str(i)).reply for i in range(6)]
    assert all(replies[:3]) and "10분 뒤" in replies[3] and replies[4] is None and replies[5] is None
    assert handle_mo(demo, SOONJA, "도움말", ts="x").reply  # other phones unaffected


def test_global_rate_limit(demo):
    demo.config.SMS_RATE_GLOBAL = 2
    assert handle_mo(demo, MINJUN, "도움말", ts="1").reply
    assert handle_mo(demo, SOONJA, "도움말", ts="2").reply
    assert handle_mo(demo, MINJUN, "도움말", ts="3").ignored == "global_rate"


def test_taxes_summarises_the_payers_own_unpaid_bills(demo):
    bills = [b for b in demo.bridge.tax_bills("1144012-0001") if b["status"] != "paid"]
    with demo.session() as s:
        payer = s.scalar(select(Resident).where(Resident.ref == bills[0]["payer_ref"]))
        payer_phone = demo.crypto.decrypt(payer.phone_enc)
    own = [b for b in bills if b["payer_ref"] == payer.ref]
    reply = handle_mo(demo, payer_phone, "세금", ts="1").reply
    assert "미납 지방세 %d건" % len(own) in reply
    assert "{:,}원".format(sum(b["total"] for b in own)) in reply
    assert cp949_len(reply) <= 90


def test_taxes_from_another_household_member_shows_no_one_elses_bill(demo):
    """Issue 20 item 9: a granddaughter's phone does not get the head of household's bills."""
    bills = [b for b in demo.bridge.tax_bills("1144012-0001") if b["status"] != "paid"]
    assert bills and all(b["payer_ref"] != "" for b in bills)
    reply = handle_mo(demo, MINJUN, "세금", ts="1").reply
    others = sum(1 for b in bills if b["payer_ref"] != _ref(demo, MINJUN))
    assert "합계" not in reply and not re.search(r"\d원", reply)  # no amount, no bill of the payer
    assert "가족 명의 고지서 %d건" % others in reply and "TV에서 확인" in reply
    assert cp949_len(reply) <= 90


def _ref(rt, phone):
    with rt.session() as s:
        return resident_by_phone(s, rt.crypto, phone).ref


def test_pairing_by_sms(demo):
    from services import pairing

    box = pairing.start(demo.redis, 1)
    # A device row is needed for approval: use the TV's own device creation.
    from services.models import Device

    with demo.session() as s:
        if s.get(Device, 1) is None:
            s.add(Device(id=1, token_hash="t" * 64))
    out = handle_mo(demo, MINJUN, "연결 %s" % pairing.format_code(box.user_code), ts="1")
    assert "TV 연결을 마쳤습니다" in out.reply
    assert "연결 번호를 찾을 수 없습니다" in handle_mo(demo, MINJUN, "연결 BCDF-GHJK", ts="2").reply
    assert "연결 번호 8자리" in handle_mo(demo, MINJUN, "연결", ts="3").reply


def test_help_is_long_when_lms_is_enabled(demo):
    short = handle_mo(demo, MINJUN, "도움말", ts="1").reply
    demo.config.LMS_ENABLED = True
    long = handle_mo(demo, MINJUN, "도움말", ts="2").reply
    assert cp949_len(short) <= 90 < cp949_len(long) <= 2000
    assert "수신거부" in long


def test_help_says_a_tv_request_is_approved_by_replying_1(demo):
    """Issue 21: the help, short and long, tells how to approve a TV request."""
    short = handle_mo(demo, MINJUN, "도움말", ts="1").reply
    assert "TV 신청 승인 1" in short and cp949_len(short) <= 90
    demo.config.LMS_ENABLED = True
    long = handle_mo(demo, MINJUN, "help", ts="2").reply
    assert "TV 신청 승인: 인증번호 문자에 '1'" in long
    assert parse("1").name == "approve"  # the help's example is a yes


def test_every_template_fits_an_sms():
    kw = dict(office="마포구청", name="지방세 세목별 과세증명서", w="납세증명", how="메일", n=5,
              receipt="20261121-123456", total="999,999,999", old="납세증명(메일)")
    for key, text in petitions.R.items():
        if key != "help_long":
            assert cp949_len(text.format(**kw)) <= 90, key


def test_taxes_with_the_back_end_down_says_so(demo, monkeypatch):
    from tests.support.procs import free_port

    monkeypatch.setattr(demo.bridge, "base_url", "http://127.0.0.1:%d" % free_port())
    monkeypatch.setattr(demo.bridge, "retries", 0)
    reply = handle_mo(demo, MINJUN, "세금", ts="9").reply
    assert "연결할 수 없습니다" in reply and cp949_len(reply) <= 90
