"""Plain-Korean labels for request kinds, statuses and timeline events: the one
place to extend them (the certificate, tax and SMS screens add theirs here).

Labels are Korean msgids wrapped in ``lazy_gettext``: English comes from the
catalogue. They are translated once per language (:func:`table`, built the
first time a language is asked for and kept for the process), not per row.
To add an event kind: one line in ``EVENT_LABELS`` (and, for a step that
carries progress, read ``detail["page"]``/``detail["pages"]`` like
``delivering`` in :func:`timeline_steps`).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l

from services.korean import KST, english_date, english_datetime, korean_date, korean_datetime

REQUEST_KINDS = {
    "certificate": _l("증명서 발급"),
    "tax_payment": _l("지방세 납부"),
}

CERTIFICATE_TYPES = {
    "resident-copy": _l("주민등록표 등본"),
    "resident-abstract": _l("주민등록표 초본"),
    "land-register": _l("토지대장"),
    "building-register": _l("건축물대장"),
    "tax-payment": _l("지방세 납세증명서"),
    "tax-assessment": _l("지방세 세목별 과세증명서"),
}

# Request.status -> what the resident reads in the list.
STATUS_LABELS = {
    "received": _l("접수됨"),
    "verified": _l("본인 확인됨"),
    "submitted": _l("구청에서 처리 중"),
    "accepted": _l("구청 확인"),
    "issued": _l("발급됨"),
    "delivering": _l("보내는 중"),
    "delivered": _l("전달 완료"),
    "completed": _l("완료"),
    "failed": _l("처리하지 못함"),
    "cancelled": _l("취소됨"),
}

# RequestEvent.kind -> a step of the timeline.
EVENT_LABELS = {
    "received": _l("접수"),
    "verified": _l("본인 확인"),
    "sent_to_backend": _l("구청 시스템에 전송"),
    "waiting": _l("기다리는 중"),
    "accepted": _l("구청 확인"),
    "issued": _l("발급"),
    "delivering": _l("전송 중"),
    "delivered": _l("전달 완료"),
    "failed": _l("처리하지 못함"),
    "retried": _l("다시 시도"),
    "completed": _l("완료"),
    "cancelled": _l("취소"),
    "notified": _l("문자 알림 보냄"),
    "paid": _l("납부 완료"),
    "payment_checking": _l("결제 결과 확인 중"),
    "tax_recorded": _l("구청 수납 확인"),
    "switched": _l("메일로 바꿈"),
    "fax_stopped": _l("팩스 멈춤"),
}

# RequestEvent "verified": how identity was checked (detail["by"]), shown on its step.
VERIFIED_BY = {
    "tv-code": _l("TV에서 인증번호를 눌러 확인"),
    "sms-reply": _l("휴대폰 문자 답장으로 승인"),
    "sms-otp": _l("문자로 인증번호를 보내 확인"),
}

# A bill's tax item (the back end's Korean name) -> the screens' name for it.
TAX_ITEMS = {
    "자동차세": _l("자동차세"),
    "재산세": _l("재산세"),
    "주민세": _l("주민세"),
    "개인분 주민세": _l("개인분 주민세"),
    "지방소득세": _l("지방소득세"),
    "취득세": _l("취득세"),
    "등록면허세": _l("등록면허세"),
}

# What the timeline's steps say (stored in Korean by the pipelines, the fax
# worker and the payment providers): the English screens show these
# translations, for a whole text or sentence by sentence (step_message).
# Texts with a number or a delay are matched by pattern. Every sentence the
# services can write must have one: tests/tvapp/test_timeline_english.py walks
# their source for them.
STEP_MESSAGES = [
    _l("팩스 전송 대기 중"), _l("팩스를 보내는 중입니다."), _l("요청에 따라 팩스 전송을 취소했습니다."),
    _l("팩스 전송이 취소되었습니다."), _l("팩스 게이트웨이에 전달했습니다."),
    _l("팩스 전송을 멈추는 중입니다. 멈추면 바로 메일로 보냅니다."),
    _l("받는 팩스가 계속 통화 중이라 보내지 못했습니다. 이메일로 받으시거나 다시 신청해 주세요."),
    _l("받는 팩스가 응답하지 않아 보내지 못했습니다. 팩스 번호가 맞는지 확인해 주세요. 이메일로 받으시거나 다시 신청해 주세요."),
    _l("여러 번 보냈지만 전송이 완료되지 않았습니다. 이메일로 받으시거나 다시 신청해 주세요."),
    _l("팩스 서비스가 요청을 받지 않았습니다. 이메일로 받으시거나 다시 신청해 주세요."),
    _l("팩스 작업을 찾을 수 없습니다. 다시 신청해 주세요."),
    _l("메일 서버가 잠시 받지 않아 곧 다시 보냅니다."),
    _l("메일 주소가 올바르지 않습니다. 팩스로 다시 받으실 수 있습니다."),
    _l("메일 서버가 이 주소로는 보낼 수 없다고 답했습니다. 팩스로 다시 받으실 수 있습니다."),
    _l("메일 주소가 올바르지 않습니다. 납부는 끝났습니다."),
    _l("메일 서버가 이 주소로는 보낼 수 없다고 답했습니다. 납부는 끝났습니다."),
    _l("구청 시스템의 응답을 확인하는 중입니다."), _l("구청 시스템에 연결되면 납부 사실을 알립니다."),
    _l("결제 결과를 확인하는 중입니다."), _l("입금을 기다리는 중입니다."),
    _l("납부 기록을 찾을 수 없습니다. 구청에 문의해 주세요."),
    _l("처리 중 문제가 생겼습니다. 구청에 문의해 주세요."),
    _l("여러 번 시도했지만 처리하지 못했습니다."),
    _l("구청 시스템에 연결할 수 없어 기다리는 중입니다. 연결되면 자동으로 이어서 처리합니다."),
    _l("받으실 방법이 정해지지 않았습니다."), _l("팩스를 보내지 못했습니다."), _l("신청인을 찾을 수 없습니다."),
    _l("알 수 없는 민원 종류입니다."), _l("알 수 없는 증명서 종류입니다."),
    # a tax payment's (services.taxes), said sentence by sentence as the services join them
    _l("납부는 끝났습니다."), _l("요금은 청구되지 않았습니다."), _l("다시 납부하지 마세요."),
    _l("결제 결과 확인 중이며 나의 민원에 표시됩니다"), _l("결제 결과를 확인 중이며 나의 민원에 표시됩니다."),
    _l("결제한 금액은 구청에서 확인 후 환불해 드립니다."), _l("결제되지 않았습니다."), _l("결제하지 못했습니다."),
    _l("입금 기한이 지났습니다."), _l("이미 납부된 고지서입니다."), _l("고지서를 다시 확인해 주세요."),
    _l("화면에 보이던 금액과 납부할 금액이 다릅니다."), _l("구청 시스템에 연결할 수 없어 납부하지 않았습니다."),
    # the payment companies' refusals (services.payments)
    _l("결제 회사에 연결할 수 없습니다."), _l("결제 회사에 연결할 수 없어 결제하지 않았습니다."),
    _l("결제 회사의 응답을 확인하는 중입니다."), _l("카드 번호가 올바르지 않습니다."), _l("다시 입력해 주세요."),
    _l("카드 비밀번호 앞 두 자리가 맞지 않습니다."), _l("카드 잔액(한도)이 부족합니다."), _l("카드 한도를 넘었습니다."),
    _l("다른 카드로 납부해 주세요."), _l("유효기간이 지난 카드입니다."),
]

# (pattern of a stored Korean text, its msgid with the pattern's groups as %(a)s, %(b)s); a group
# that is itself Korean (a tax's name, an amount) is said in English too
STEP_PATTERNS = [
    (r"받는 팩스가 통화 중입니다\. (.+) 뒤 다시 보냅니다\.", _l("받는 팩스가 통화 중입니다. %(a)s 뒤 다시 보냅니다.")),
    (r"받는 팩스가 응답하지 않습니다\. (.+) 뒤 다시 보냅니다\.", _l("받는 팩스가 응답하지 않습니다. %(a)s 뒤 다시 보냅니다.")),
    (r"보내는 도중 연결이 끊겼습니다\. (.+) 뒤 이어서 보냅니다\.", _l("보내는 도중 연결이 끊겼습니다. %(a)s 뒤 이어서 보냅니다.")),
    (r"팩스 서버에 연결할 수 없습니다\. (.+) 뒤 다시 시도합니다\.", _l("팩스 서버에 연결할 수 없습니다. %(a)s 뒤 다시 시도합니다.")),
    (r"팩스 번호로 전화 거는 중 \((\d+)번째 시도\)", _l("팩스 번호로 전화 거는 중 (%(a)s번째 시도)")),
    (r"팩스 전송을 기다리는 중입니다 \((\d+)쪽\)", _l("팩스 전송을 기다리는 중입니다 (%(a)s쪽)")),
    (r"팩스 전송 완료 \((\d+)쪽\)", _l("팩스 전송 완료 (%(a)s쪽)")),
    (r"(\d+)/(\d+) 페이지 전송 중", _l("%(a)s/%(b)s 페이지 전송 중")),
    (r"([\d,]+)원", _l("%(a)s원")),
    (r"(.+) 납부", _l("%(a)s 납부")),
    (r"(\S+) ([\d,]+원)을 납부했습니다\.", _l("%(a)s %(b)s을 납부했습니다.")),
    (r"구청에서 납부할 금액이 바뀌었습니다\((.+)\)\.", _l("구청에서 납부할 금액이 바뀌었습니다(%(a)s).")),
]
_DELAY = re.compile(r"(\d+)(시간|분|초)")
_DELAY_UNITS = {"시간": _l("%(n)d시간"), "분": _l("%(n)d분"), "초": _l("%(n)d초")}


def _msgids() -> dict:
    """The Korean msgids of the lazy texts above (what the stored texts are)."""
    with force_locale("ko"):
        return {"messages": [str(m) for m in STEP_MESSAGES],
                "patterns": [(re.compile(p + "$"), str(m)) for p, m in STEP_PATTERNS],
                "units": {u: str(m) for u, m in _DELAY_UNITS.items()}}

DELIVERY_LABELS = {"fax": _l("팩스"), "email": _l("이메일"), "none": _l("없음")}

# Tones for the timeline's colours/icons.
BAD = frozenset({"failed", "cancelled"})
WAIT = frozenset({"waiting", "retried"})


_TABLES: dict[str, dict] = {}


def table(lang: str | None = None) -> dict:
    """Every label of this module in one language (default: the request's),
    translated the first time that language is asked for and then kept:
    ``{"kinds": ..., "certificates": ..., "statuses": ..., "events": ...,
    "delivery": ..., "date": "%(m)d월 %(d)d일"}``."""
    lang = lang or str(get_locale() or "ko")
    found = _TABLES.get(lang)
    if found is None:
        ids = _msgids()
        with force_locale(lang):
            found = {name: {k: str(v) for k, v in labels.items()} for name, labels in (
                ("kinds", REQUEST_KINDS), ("certificates", CERTIFICATE_TYPES),
                ("statuses", STATUS_LABELS), ("events", EVENT_LABELS),
                ("delivery", DELIVERY_LABELS), ("taxes", TAX_ITEMS), ("verified_by", VERIFIED_BY))}
            found["messages"] = dict(zip(ids["messages"], (str(m) for m in STEP_MESSAGES), strict=True))
            found["patterns"], found["units"] = ids["patterns"], ids["units"]
            found["date"] = gettext("%(m)d월 %(d)d일")
            found["en"] = lang == "en"
        _TABLES[lang] = found
    return found


def kind_text(kind: str, certificate_type: str | None = None, labels: dict | None = None) -> str:
    """"주민등록표 등본" for a certificate of that type, else the kind's label."""
    labels = labels or table()
    if kind == "certificate" and certificate_type in labels["certificates"]:
        return labels["certificates"][certificate_type]
    return labels["kinds"].get(kind, kind)


def kind_label(req) -> str:
    """"주민등록표 등본" for a certificate request, else the kind's label."""
    return kind_text(req.kind, (req.options or {}).get("certificate_type"))


def status_label(status: str) -> str:
    return table()["statuses"].get(status, status)


#: A tax payment that went through reads as paid, not as "전달 완료" (the
#: receipt's delivery is one of its steps, not what the resident did).
PAID_STATUSES = frozenset({"delivered", "completed"})


def status_text(kind: str, status: str, labels: dict | None = None) -> str:
    """The status as 나의 민원 shows it for a request of this kind."""
    labels = labels or table()
    if kind == "tax_payment" and status in PAID_STATUSES:
        return labels["events"]["paid"]
    return labels["statuses"].get(status, status)


def event_label(kind: str) -> str:
    return table()["events"].get(kind, kind)


def when(dt: datetime | None, now: datetime | None = None, labels: dict | None = None) -> str:
    """``14:05`` today, ``5월 3일 14:05`` otherwise (KST)."""
    if dt is None:
        return ""
    local = dt.astimezone(KST)
    today = (now or datetime.now(timezone.utc)).astimezone(KST).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    labels = labels or table()
    if labels.get("en"):
        return english_date(local, year=False) + local.strftime(" %H:%M")
    return labels["date"] % {"m": local.month, "d": local.day} + local.strftime(" %H:%M")


def tax_name(item: str | None) -> str:
    """A tax item as the screen's language names it (the Korean name when unknown)."""
    return table()["taxes"].get(item or "", item or "")


def day(value) -> str:
    """A date in the screen's language: ``2026년 12월 24일`` / ``Dec 24, 2026``."""
    return english_date(value) if table().get("en") else korean_date(value)


def day_time(value) -> str:
    """A date and time (Korea time) in the screen's language."""
    return english_datetime(value) if table().get("en") else korean_datetime(value)


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def _known(text: str, labels: dict) -> str | None:
    """One stored text (or sentence) in English, or None when no form is known."""
    found = labels["messages"].get(text)
    if found is not None:
        return found
    for pattern, msgid in labels["patterns"]:
        m = pattern.match(text)
        if m:
            values = []
            for group in m.groups():
                value = _DELAY.sub(lambda d: gettext(labels["units"][d.group(2)], n=int(d.group(1))), group)
                if _HANGUL.search(value):  # a part said in Korean too: a tax's name, an amount, a reason
                    value = labels["taxes"].get(value) or _known(value, labels)
                if value is None:
                    break
                values.append(value)
            else:
                return gettext(msgid, **dict(zip("ab"[:len(values)], values, strict=True)))
    found = gettext(text)  # the services' words marked in tvapp.tv.service_texts
    return found if found != text else None


def _sentences(text: str, labels: dict) -> str | None:
    """A text the services joined from sentences, each part known (the longest first)."""
    parts, out, i = _SENTENCES.split(text.strip()), [], 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            found = _known(" ".join(parts[i:j]), labels)
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            return None
    return " ".join(out)


def step_message(text: str, labels: dict | None = None, english: str | None = None) -> str:
    """A stored step text in the screen's language: as stored in Korean; in
    English its translation, found for the whole text or sentence by
    sentence (a text the services compose: "입금 기한이 지났습니다. 요금은
    청구되지 않았습니다."), else ``english`` (a back end's own English,
    detail["message_en"]), else a note that the details are in Korean
    (never a Korean sentence on an English screen)."""
    labels = labels or table()
    if not labels.get("en") or not text or not _HANGUL.search(text):
        return text
    found = _known(text, labels)
    if found is None:
        found = _sentences(text, labels)
    if found is None and english and not _HANGUL.search(english):
        found = english
    return found if found is not None else gettext("자세한 내용은 한국어 화면에서 볼 수 있습니다.")


def _message(ev, detail: dict, labels: dict) -> str:
    if ev.kind == "switched" and detail.get("to") == "fax":
        return gettext("메일 대신 %(to)s 팩스로 보냅니다.", to=str(detail.get("to_masked", "")))
    if ev.kind == "switched":
        return gettext("팩스를 멈추고 %(to)s 메일로 보냅니다.", to=str(detail.get("to_masked", "")))
    english = detail.get("message_en")
    return step_message(str(detail.get("message", ""))[:400], labels, str(english) if english else None)


def timeline_steps(events, max_steps: int = 8, newest_first: bool = False) -> tuple[list[dict], int]:
    """Events -> steps for the ``timeline`` macro; returns (steps, hidden_earlier).

    Consecutive events of the same kind collapse into one step showing the
    latest (``delivering`` 1/3, 2/3, 3/3 is one step with its progress).
    Each step: ``n`` (its place from the first, for a stable id), ``label``,
    ``time``, ``message``, ``page``, ``pages``, ``percent``, ``tone``
    (done|wait|bad|now). ``newest_first``: the latest step on top (a
    request's own screen), the earliest ones left out past ``max_steps``.
    """
    labels = table()
    names = labels["events"]
    now = datetime.now(timezone.utc)
    steps: list[dict] = []
    for ev in events:
        detail = ev.detail or {}
        label = names.get(ev.kind, ev.kind)
        if ev.kind == "switched" and detail.get("to") == "fax":
            label = gettext("팩스로 바꿈")
        step = {"kind": ev.kind, "label": label,
                "time": when(ev.created_at, now, labels),
                "message": _message(ev, detail, labels), "page": None, "pages": None,
                "percent": None, "tone": "bad" if ev.kind in BAD else "wait" if ev.kind in WAIT else "done"}
        if ev.kind == "verified" and not step["message"]:
            step["message"] = labels["verified_by"].get(str(detail.get("by", "")), "")
        if ev.kind == "delivering":
            try:
                page, pages = int(detail.get("page", 0)), int(detail.get("pages", 0))
            except (TypeError, ValueError):
                page = pages = 0
            if pages > 0:
                page = max(0, min(page, pages))
                step.update(page=page, pages=pages, percent=int(round(100.0 * page / pages)))
        if steps and steps[-1]["kind"] == ev.kind:
            steps[-1] = step
        else:
            steps.append(step)
    if steps and steps[-1]["tone"] == "done" and steps[-1]["kind"] not in ("delivered", "completed"):
        steps[-1]["tone"] = "now"
    for n, step in enumerate(steps):
        step["n"] = n
    hidden = max(0, len(steps) - max_steps)
    kept = steps[hidden:]
    return (kept[::-1] if newest_first else kept), hidden
