"""What the TV (and SMS) screens call to request a certificate: residents to
choose from, the resident's parcels and buildings, identity checks, the
household's remembered fax numbers (``services.destinations``), the preview,
the request itself, and the one-press plans: the same certificate again
(``repeat_plan``), a certificate to a remembered place (``quick_plan``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, or_, select

from fax_bridge import NumberRefused
from services import approvals, destinations, ledger, otp, phones, pii, steps
from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.certificates import catalogue, pipeline
from services.certificates.issue import preview_png
from services.core.errors import AppError
from services.delivery.email import valid_address
from services.delivery.fax import policy
from services.households import phone_hash
from services.models import (
    DELIVERING,
    TERMINAL,
    Delivery,
    Household,
    Request,
    RequestEvent,
    Resident,
    utcnow,
)


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
    result = otp.send_code(session, runtime, otp_subject(res.id), phone, text=text, slot=approvals.slot(device_id))
    if result.ok and digit:
        approvals.offer(runtime, device_id, flow_id=flow_id, resident_id=res.id, subject=otp_subject(res.id),
                        ref=result.ref, digit=digit, phone_hash=ph, cert_type=cert_type)
    elif digit:
        approvals.release(runtime, device_id, digit, ph)
    return result


def check_identity_code(runtime, resident_id: int, code: str, device_id: int | None = None) -> otp.OtpResult:
    """The code typed (on box ``device_id``: that box's code, ``approvals.slot``)."""
    return otp.verify_code(runtime, otp_subject(resident_id), code,
                           slot=approvals.slot(device_id) if device_id is not None else "")


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


DELIVER_STEP = [st.name for st in pipeline.STEPS].index("deliver")


def email_waiting(session, req) -> bool:
    """An email the mail server has not taken yet (it answered 4xx) and no
    worker is sending now: it can still go by fax instead, never twice."""
    if req.delivery_method != "email" or req.step_index != DELIVER_STEP or req.status in TERMINAL:
        return False
    if req.lease_until is not None and req.lease_until > utcnow():
        return False
    row = session.scalar(select(Delivery).where(Delivery.key == "%s:email" % req.receipt_no))
    return row is None or row.status not in ("sent", "delivered")


def switch(session, runtime, receipt_no: str, household_id: int, method: str, address: str | None = None) -> tuple[int, str]:
    """A delivery in trouble goes the other way, on the same request:
    ``(request id, "switched" | "already")``.

    - A fax (busy, no answer) by email, to ``address`` or the registered
      address. The request now says email, so the fax worker cancels its fax
      job at the fax server (as for a cancelled request), and the email step
      waits until that job has stopped (and sends nothing if the fax got
      through first).
    - An email the mail server has not taken (4xx) by fax, to ``address``
      typed on the number pad; refused while a worker is sending it.

    Never delivered twice; a second OK finds it switched and changes nothing;
    once per request (a switched request is not switched back)."""
    req = session.scalar(select(Request).where(Request.receipt_no == receipt_no,
                                               Request.household_id == household_id).with_for_update())
    if req is None or req.kind != "certificate":
        raise FlowError("not_found", "이 TV에서 신청한 민원이 아닙니다.")
    switched_from = (req.options or {}).get("switched_from")
    if switched_from and req.delivery_method == method:
        return req.id, "already"
    old = req.delivery_method
    if method == "email" and not switched_from and req.status == DELIVERING and old == "fax":
        address = check_email(address or registered_email(session, runtime, req.resident_id) or "")
    elif method == "fax" and not switched_from and old == "email" and req.status not in TERMINAL:
        if not email_waiting(session, req):
            raise FlowError("email_sending", "지금 메일을 보내는 중입니다. 잠시 뒤에 나의 민원에서 다시 확인해 주세요.")
        address = check_fax_number(address or "")
    else:
        raise FlowError("not_switchable", "이 신청은 받는 방법을 바꿀 수 없습니다. 나의 민원에서 지금 상태를 확인해 주세요.")
    masked = ledger.mask_address(method, address)
    req.delivery_method, req.delivery_address_masked = method, masked
    req.delivery_address_enc = runtime.crypto.encrypt(address)
    req.options = dict(req.options or {}, switched_from=old)
    req.step_index = DELIVER_STEP
    req.attempts, req.last_error, req.next_run_at = 0, None, utcnow()
    old_row = session.scalar(select(Delivery).where(Delivery.key == "%s:%s" % (req.receipt_no, old)))
    if old_row is not None and old_row.status not in ("delivered", "sent"):
        old_row.status = "cancelled"
    ledger.append_event(session, req.id, "switch:%s" % method, "switched",
                        {"from": old, "to": method, "to_masked": masked})
    return req.id, "switched"


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
    if created and method == "fax":
        destinations.remember(session, runtime.crypto, household_id, address)
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
    result = check_identity_code(runtime, resident_id, code, device_id)
    if result.ok:
        approvals.code_typed(runtime, device_id, flow_id, resident_id)
    return result


def household_recent_fax(runtime, household_id: int, limit: int = 3) -> list[str]:
    """The household's remembered fax numbers that can be used today, the one used last first."""
    return [d.number for d in destinations.household_destinations(runtime, household_id) if d.usable][:limit]


def resident_email(runtime, resident_id: int) -> str | None:
    """The resident's registered email address, if any."""
    with runtime.session() as s:
        return registered_email(s, runtime, resident_id)


def switch_delivery(runtime, receipt_no: str, household_id: int, method: str = "email",
                    address: str | None = None) -> str:
    """:func:`switch` committed, and the request's job queued: ``"switched"`` or ``"already"``."""
    with runtime.session() as s:
        rid, outcome = switch(s, runtime, receipt_no, household_id, method, address)
    if outcome == "switched":
        steps.start(runtime, rid)
    return outcome


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


# -- one press: the same certificate again, or a certificate to a remembered place ------

REPEATABLE = ("delivered", "completed")


@dataclass
class Plan:
    """A certificate request ready but for the identity check: what the flow
    of the TV screens is preset with."""

    cert_type: str
    resident_id: int
    options: dict
    method: str
    address: str


@dataclass
class RepeatOffer:
    """A delivered request offered again on 나의 민원."""

    receipt_no: str
    cert_type: str
    name_ko: str
    person: str
    method: str
    shown: str  # the fax number in full (with its name), or the email masked


def _request_plan(session, runtime, req: Request) -> Plan:
    if req.kind != "certificate" or req.resident_id is None or req.delivery_method not in ("fax", "email") \
            or req.options.get("certificate_type") not in catalogue.BY_CODE or not req.delivery_address_enc:
        raise FlowError("not_repeatable", "이 민원은 다시 받을 수 없습니다. 처음부터 신청해 주세요.")
    resident_in_household(session, req.household_id, req.resident_id)
    address = runtime.crypto.decrypt(req.delivery_address_enc)
    address = check_fax_number(address) if req.delivery_method == "fax" else check_email(address)
    return Plan(req.options["certificate_type"], req.resident_id,
                {k: v for k, v in req.options.items() if k != "certificate_type"}, req.delivery_method, address)


def repeat_plan(runtime, household_id: int, receipt_no: str) -> Plan:
    """The same certificate, person, options and destination as a delivered
    request of the household. ``FlowError`` (with the reason) when it cannot
    be repeated: not delivered, not a certificate, or a fax number the
    numbering plan refuses today."""
    with runtime.session() as s:
        req = ledger.get_by_receipt(s, receipt_no, household_id=household_id)
        if req is None or req.status not in REPEATABLE:
            raise FlowError("not_repeatable", "전달이 끝난 증명서만 다시 받을 수 있습니다.")
        return _request_plan(s, runtime, req)


@dataclass
class Resend:
    """A failed certificate request, to be sent again by the other method."""

    cert_type: str
    resident_id: int
    options: dict
    method: str  # the other one
    verified_by: str  # how identity was checked for the failed request


def resend_plan(runtime, household_id: int, receipt_no: str) -> Resend | None:
    """What a failed certificate request of the household becomes when sent the
    other way (None when it is not one). Identity was checked for it: the new
    request's timeline says how, as a new request's does (a TV request from
    before the checks were recorded was checked by the code typed on the TV)."""
    with runtime.session() as s:
        req = ledger.get_by_receipt(s, receipt_no, household_id=household_id)
        if req is None or req.status != "failed" or req.kind != "certificate" or req.resident_id is None \
                or req.options.get("certificate_type") not in catalogue.BY_CODE:
            return None
        by = s.scalar(select(RequestEvent.detail).where(RequestEvent.request_id == req.id,
                                                        RequestEvent.kind == "verified")
                      .order_by(RequestEvent.id).limit(1))
        by = (by or {}).get("by") or ("sms-otp" if req.channel == "sms" else "tv-code")
        return Resend(req.options["certificate_type"], req.resident_id,
                      {k: v for k, v in req.options.items() if k != "certificate_type"},
                      "email" if req.delivery_method == "fax" else "fax", by)


# 나의 민원 asks on every showing: built once, one query on a plain connection
# when the household has nothing to offer again (most showings).
_REPEATABLE = (select(Request.receipt_no, Request.options, Request.resident_id, Request.delivery_method,
                      Request.delivery_address_enc)
               .where(Request.household_id == bindparam("household_id"), Request.kind == "certificate",
                      or_(*(Request.status == st for st in REPEATABLE)), Request.resident_id.is_not(None),
                      or_(Request.delivery_method == "fax", Request.delivery_method == "email"))
               .order_by(Request.id.desc()).limit(20))  # (IN lists would be expanded at every execution)
_NAMES = select(Resident.id, Resident.name).where(Resident.household_id == bindparam("household_id"))


def repeat_offers(runtime, household_id: int, limit: int = 2) -> list[RepeatOffer]:
    """The household's last delivered certificates, one per (certificate,
    person, options, destination), newest first."""
    offers, seen = [], set()
    with runtime.connect() as conn:
        found = conn.execute(_REPEATABLE, {"household_id": household_id}).all()
        if not found:
            return []
        names = dict(conn.execute(_NAMES, {"household_id": household_id}).all())
    labels = None  # the remembered numbers' names, read when a fax is offered
    for req in found:
        ctype = catalogue.BY_CODE.get((req.options or {}).get("certificate_type"))
        if ctype is None or req.resident_id not in names or not req.delivery_address_enc:
            continue
        address = runtime.crypto.decrypt(req.delivery_address_enc)
        same = (ctype.code, req.resident_id, tuple(sorted(req.options.items())), req.delivery_method, address)
        if same in seen:
            continue
        seen.add(same)
        if req.delivery_method == "fax":
            if labels is None:
                labels = {d.number: d.label for d in destinations.household_destinations(runtime, household_id)}
            number = phones.display(address)
            shown = "%s (%s)" % (number, labels[number]) if labels.get(number) else number
        else:
            shown = pii.mask_email(address)
        offers.append(RepeatOffer(req.receipt_no, ctype.code, ctype.name_ko, names[req.resident_id],
                                  req.delivery_method, shown))
        if len(offers) >= limit:
            break
    return offers


@dataclass
class Place:
    """A remembered place a certificate can go with one press: ``key`` is
    ``"email"`` (the resident's registered address) or ``"d<id>"`` (a
    remembered fax number)."""

    key: str
    method: str
    shown: str


def places_for(runtime, household_id: int, resident_id: int) -> list[Place]:
    """Where a resident's certificate can go with one press: the household's
    usable remembered fax numbers (in full, with their names), then the
    resident's registered email (masked)."""
    out = [Place("d%d" % d.id, "fax", "%s (%s)" % (d.number, d.label) if d.label else d.number)
           for d in destinations.household_destinations(runtime, household_id) if d.usable]
    email = resident_email(runtime, resident_id)
    if email:
        out.append(Place("email", "email", pii.mask_email(email)))
    return out


def place_address(runtime, household_id: int, resident_id: int, key: str) -> tuple[str, str]:
    """``(method, address)`` of a place :func:`places_for` offered. ``FlowError``
    when it is gone or refused today."""
    if key == "email":
        address = resident_email(runtime, resident_id)
        if not address:
            raise FlowError("no_email", "등록된 메일 주소가 없습니다. 다른 받는 곳을 골라 주세요.")
        return "email", address
    if key.startswith("d") and key[1:].isdigit():
        try:
            return "fax", check_fax_number(destinations.number_of(runtime, household_id, int(key[1:])))
        except destinations.DestinationError as exc:
            raise FlowError("destination", exc.message) from exc
    raise FlowError("destination", "받는 곳을 다시 골라 주세요.")


def quick_plan(runtime, household_id: int, resident_id: int, cert_type: str, key: str) -> Plan:
    """A certificate with its first options (none chosen from the back end) to a
    remembered place: what a result screen offers in one press."""
    ctype = catalogue.BY_CODE.get(cert_type)
    if ctype is None or any(o.source for o in ctype.options):
        raise FlowError("not_quick", "이 증명서는 한 번에 신청할 수 없습니다. 처음부터 신청해 주세요.")
    check_resident(runtime, household_id, resident_id)
    method, address = place_address(runtime, household_id, resident_id, key)
    return Plan(cert_type, resident_id, {o.name: o.choices[0].value for o in ctype.options}, method, address)
