"""What the TV (and SMS) screens call to request a certificate: residents to
choose from, the resident's parcels and buildings, identity checks, recent
fax numbers, the preview, and the request itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from fax_bridge import NumberRefused
from services import approvals, ledger, otp, pii, steps
from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.certificates import catalogue
from services.certificates.issue import preview_png
from services.core.errors import AppError
from services.delivery.email import valid_address
from services.delivery.fax import policy
from services.households import phone_hash
from services.models import Household, Request, Resident


class FlowError(AppError, ValueError):
    """Something the resident must fix; ``message`` is in Korean."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


@dataclass
class ResidentChoice:
    id: int
    name: str
    relation: str
    rrn_masked: str
    has_phone: bool
    email_masked: str | None
    phone_masked: str | None = None


def residents(session, runtime, household_id: int) -> list[ResidentChoice]:
    out = []
    for r in session.scalars(select(Resident).where(Resident.household_id == household_id)
                             .order_by(Resident.position)):
        email = runtime.crypto.decrypt(r.email_enc) if r.email_enc else None
        phone = runtime.crypto.decrypt(r.phone_enc) if r.phone_enc else None
        out.append(ResidentChoice(r.id, r.name, r.relation, r.rrn_masked, bool(phone),
                                  pii.mask_email(email) if email else None,
                                  pii.mask_phone(phone) if phone else None))
    return out


def resident_in_household(session, household_id: int, resident_id: int) -> Resident:
    r = session.get(Resident, resident_id)
    if r is None or r.household_id != household_id:
        raise FlowError("not_in_household", "이 댁의 세대원이 아닙니다.")
    return r


def property_choices(session, runtime, household_id: int, resident_id: int, source: str) -> list[tuple[str, str]]:
    """(value, label) pairs for options whose choices come from the back end."""
    if source == "years":
        y = date.today().year
        return [(str(y - i), "%d년" % (y - i)) for i in range(3)]
    res = resident_in_household(session, household_id, resident_id)
    hh = session.get(Household, household_id)
    try:
        props = runtime.bridge.properties(hh.code, res.ref)
    except (BackendUnavailable, BackendProtocolError) as exc:
        raise FlowError("backend_unavailable",
                        "구청 시스템에 잠시 연결할 수 없습니다. 잠시 뒤에 다시 해 주세요.") from exc
    except BackendRefused as exc:
        raise FlowError(exc.code, exc.message) from exc
    if source == "parcels":
        return [(p["ref"], "%s %s (%s, %s)" % (p["location"], p["lot"], p["category"], p["area"]))
                for p in props["parcels"]]
    return [(b["ref"], "%s (%s)" % (b["location"], b["use"])) for b in props["buildings"]]


def otp_subject(resident_id: int) -> str:
    return "resident:%d:certificate" % resident_id


def send_identity_code(session, runtime, household_id: int, resident_id: int, *,
                       approval: tuple[int, str, str] | None = None) -> otp.OtpResult:
    """Send the resident's identity code to their registered phone. With
    ``approval`` (the box's device id, its flow id, the certificate type) the
    SMS also says which digit to reply to approve that request
    (``services.approvals``); the result's ``digit`` is that digit, if any."""
    res = resident_in_household(session, household_id, resident_id)
    if not res.phone_enc:
        raise FlowError("no_phone", "이 분은 등록된 휴대폰 번호가 없어 본인 확인을 할 수 없습니다. 구청 민원실로 문의해 주세요.")
    phone = runtime.crypto.decrypt(res.phone_enc)
    if approval is None:
        return otp.send_code(session, runtime, otp_subject(res.id), phone)
    device_id, flow_id, cert_type = approval
    ph = phone_hash(runtime.crypto, phone)
    digit = approvals.reserve(runtime, device_id, flow_id, ph)
    text = approvals.sms_text(digit, cert_type) if digit else None
    result = otp.send_code(session, runtime, otp_subject(res.id), phone, text=text)
    if result.ok and digit:
        approvals.offer(runtime, device_id, flow_id=flow_id, resident_id=res.id, subject=otp_subject(res.id),
                        ref=result.ref, digit=digit, phone_hash=ph, cert_type=cert_type)
    elif digit:
        approvals.release(runtime, device_id, digit, ph)
    return result


def check_identity_code(runtime, resident_id: int, code: str) -> otp.OtpResult:
    return otp.verify_code(runtime, otp_subject(resident_id), code)


def recent_fax_numbers(session, runtime, household_id: int, limit: int = 3) -> list[str]:
    seen: list[str] = []
    for req in session.scalars(select(Request).where(Request.household_id == household_id,
                                                     Request.delivery_method == "fax")
                               .order_by(Request.id.desc()).limit(20)):
        number = runtime.crypto.decrypt(req.delivery_address_enc) if req.delivery_address_enc else None
        if number and number not in seen:
            seen.append(number)
        if len(seen) >= limit:
            break
    return seen


def check_fax_number(raw: str) -> str:
    try:
        return policy().check(raw).formatted
    except NumberRefused as exc:
        raise FlowError("fax_number_refused", exc.reason_ko) from exc


def check_email(address: str) -> str:
    address = (address or "").strip()
    if not valid_address(address):
        raise FlowError("email_invalid", "메일 주소 형식이 맞지 않습니다. 예: hong@example.com")
    return address


def receipt_of_token(runtime, client_token: str, household_id: int) -> str | None:
    """The receipt number of the request a confirm screen's token made, if it made one."""
    with runtime.session() as s:
        req = s.scalar(select(Request).where(Request.client_token == client_token,
                                             Request.household_id == household_id))
        return req.receipt_no if req is not None else None


def registered_email(session, runtime, resident_id: int) -> str | None:
    r = session.get(Resident, resident_id)
    return runtime.crypto.decrypt(r.email_enc) if r is not None and r.email_enc else None


def preview(session, runtime, household_id: int, resident_id: int, cert_type: str, options: dict) -> bytes:
    """The first page with the holder's details masked (no request is made)."""
    res = resident_in_household(session, household_id, resident_id)
    hh = session.get(Household, household_id)
    try:
        record = runtime.bridge.record(
            request_ref="preview", certificate_type=cert_type, household_code=hh.code,
            resident_ref=res.ref, options=options,
            idempotency_key="preview-%s-%s" % (res.ref, __import__("uuid").uuid4().hex[:12]))
    except (BackendUnavailable, BackendProtocolError) as exc:
        raise FlowError("backend_unavailable", "지금은 미리보기를 만들 수 없습니다. 신청은 할 수 있고, 구청 시스템이 돌아오면 처리됩니다.") from exc
    except BackendRefused as exc:
        raise FlowError(exc.code, exc.message) from exc
    return preview_png(runtime, record, cert_type)


def submit(session, runtime, *, client_token: str, household_id: int, resident_id: int, cert_type: str,
           options: dict, method: str, address: str, channel: str = "tv",
           verified_by: str = "") -> tuple[Request, bool]:
    """Record the request (once per client_token), with how identity was
    checked (``verified_by``: ``tv-code``, ``sms-reply``) as its timeline's
    second step. Call ``start`` after commit."""
    catalogue.get(cert_type)
    resident_in_household(session, household_id, resident_id)
    if method == "fax":
        address = check_fax_number(address)
    elif method == "email":
        address = check_email(address)
    else:
        raise FlowError("no_method", "받으실 방법을 골라 주세요.")
    req, created = ledger.create_request(
        session, runtime.crypto, client_token=client_token, kind="certificate", household_id=household_id,
        resident_id=resident_id, channel=channel, delivery_method=method, delivery_address=address,
        options=dict(options, certificate_type=cert_type), grace_seconds=runtime.config.SWEEP_GRACE_SECONDS)
    if created and verified_by:
        ledger.append_event(session, req.id, "verified", "verified", {"by": verified_by})
    return req, created


def start(runtime, request_id: int) -> None:
    steps.start(runtime, request_id)


# -- one unit of work each: what a TV screen reads or does, given the runtime -----------
# (the views open no database sessions of their own)

def household_residents(runtime, household_id: int) -> list[ResidentChoice]:
    """The household's residents to choose from (the 누구 screen)."""
    with runtime.session() as s:
        return residents(s, runtime, household_id)


def resident_choice(runtime, household_id: int, resident_id: int) -> ResidentChoice:
    """One of the household's residents as the screens show them."""
    return next(p for p in household_residents(runtime, household_id) if p.id == resident_id)


def check_resident(runtime, household_id: int, resident_id: int) -> None:
    """Raises ``FlowError`` unless the resident lives in the household."""
    with runtime.session() as s:
        resident_in_household(s, household_id, resident_id)


def option_fields(runtime, household_id: int, resident_id: int, ctype) -> tuple[list, str | None]:
    """The options screen of a certificate type: ``([(option, [(value, label)]), ...], None)``,
    or ``(fields so far, source)`` when an option's choices come from the back
    end and the resident has none (``source`` is ``"parcels"`` or ``"buildings"``).
    Raises ``FlowError`` when the back end cannot answer."""
    fields = []
    with runtime.session() as s:
        for opt in ctype.options:
            if opt.source:
                choices = property_choices(s, runtime, household_id, resident_id, opt.source)
                if not choices:
                    return fields, opt.source
            else:
                choices = [(c.value, c.label_ko) for c in opt.choices]
            fields.append((opt, choices))
    return fields, None


def options_offered(runtime, household_id: int, resident_id: int, ctype, chosen: dict) -> bool:
    """Every parcel or building chosen is one the options screen could have
    offered this resident (the back end refuses another household's too; the
    TV checks first). False when the back end cannot say."""
    sourced = [opt for opt in ctype.options if opt.source]
    if not sourced:
        return True
    try:
        with runtime.session() as s:
            for opt in sourced:
                offered = {v for v, _ in property_choices(s, runtime, household_id, resident_id, opt.source)}
                if chosen.get(opt.name) not in offered:
                    return False
    except FlowError:
        return False
    return True


def send_code(runtime, household_id: int, resident_id: int, *,
              approval: tuple[int, str, str] | None = None) -> otp.OtpResult:
    """``send_identity_code`` in its own unit of work."""
    with runtime.session() as s:
        return send_identity_code(s, runtime, household_id, resident_id, approval=approval)


def reply_digit(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> int | None:
    """The digit the box's request waits for from the phone (None: it waits for no reply)."""
    return approvals.waiting_digit(runtime, device_id, flow_id, resident_id)


def approval_status(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> str:
    """``approved``, ``pending`` or ``none``: see ``services.approvals.status``."""
    return approvals.status(runtime, device_id, flow_id, resident_id)


def take_approval(runtime, device_id: int, flow_id: str | None, resident_id: int | None) -> bool:
    """True once when the phone's reply approved the box's request."""
    return approvals.take(runtime, device_id, flow_id, resident_id)


def check_identity_code_on(runtime, device_id: int, flow_id: str | None, resident_id: int,
                           code: str) -> otp.OtpResult:
    """``check_identity_code`` from a box: a right code also closes the box's
    approval by reply (a later reply is told it is done)."""
    result = check_identity_code(runtime, resident_id, code)
    if result.ok:
        approvals.code_typed(runtime, device_id, flow_id, resident_id)
    return result


def household_recent_fax(runtime, household_id: int, limit: int = 3) -> list[str]:
    with runtime.session() as s:
        return recent_fax_numbers(s, runtime, household_id, limit)


def resident_email(runtime, resident_id: int) -> str | None:
    """The resident's registered email address, if any."""
    with runtime.session() as s:
        return registered_email(s, runtime, resident_id)


def preview_of(runtime, household_id: int, resident_id: int, cert_type: str, options: dict) -> bytes:
    """``preview`` in its own unit of work."""
    with runtime.session() as s:
        return preview(s, runtime, household_id, resident_id, cert_type, options)


def submit_request(runtime, **kwargs) -> tuple[int, str, bool]:
    """``submit`` committed: ``(request id, receipt number, created)``. Call
    ``start`` with the id when ``created``."""
    with runtime.session() as s:
        req, created = submit(s, runtime, **kwargs)
        return req.id, req.receipt_no, created
