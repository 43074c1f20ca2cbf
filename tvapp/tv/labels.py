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

from datetime import datetime, timezone

from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l

from services.korean import KST

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
}

# RequestEvent "verified": how identity was checked (detail["by"]), shown on its step.
VERIFIED_BY = {
    "tv-code": _l("TV에서 인증번호를 눌러 확인"),
    "sms-reply": _l("휴대폰 문자 답장으로 승인"),
    "sms-otp": _l("문자로 인증번호를 보내 확인"),
}

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
        with force_locale(lang):
            found = {name: {k: str(v) for k, v in labels.items()} for name, labels in (
                ("kinds", REQUEST_KINDS), ("certificates", CERTIFICATE_TYPES),
                ("statuses", STATUS_LABELS), ("events", EVENT_LABELS),
                ("delivery", DELIVERY_LABELS), ("verified_by", VERIFIED_BY))}
            found["date"] = gettext("%(m)d월 %(d)d일")
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
    date_format = (labels or table())["date"]
    return date_format % {"m": local.month, "d": local.day} + local.strftime(" %H:%M")


def timeline_steps(events, max_steps: int = 8) -> tuple[list[dict], int]:
    """Events -> steps for the ``timeline`` macro; returns (steps, hidden_earlier).

    Consecutive events of the same kind collapse into one step showing the
    latest (``delivering`` 1/3, 2/3, 3/3 is one step with its progress).
    Each step: ``label``, ``time``, ``message``, ``page``, ``pages``,
    ``percent``, ``tone`` (done|wait|bad|now).
    """
    labels = table()
    names = labels["events"]
    now = datetime.now(timezone.utc)
    steps: list[dict] = []
    for ev in events:
        detail = ev.detail or {}
        step = {"kind": ev.kind, "label": names.get(ev.kind, ev.kind),
                "time": when(ev.created_at, now, labels),
                "message": str(detail.get("message", ""))[:400], "page": None, "pages": None,
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
    hidden = max(0, len(steps) - max_steps)
    return steps[hidden:], hidden
