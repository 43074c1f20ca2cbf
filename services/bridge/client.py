"""The only way the rest of the system reaches the civil-service back end.

Every message is built with lxml, validated against the XSD before it
leaves and after the answer arrives, sent with ``requests`` with a timeout,
retried with backoff on transport failures (always with the same
idempotency key, so the back end does the work once), and guarded by a
circuit breaker so a dead back end costs one fast failure, not a timeout
per request.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import requests

from services.bridge import protocol
from services.bridge.protocol import ProtocolError, child, envelope, q
from services.core.errors import AppError

log = logging.getLogger(__name__)


class BackendUnavailable(AppError):
    """The back end cannot be reached now; try again later."""

    status_code = 503


class BackendRefused(AppError):
    """The back end answered and said no (not in household, parcel not theirs...)."""

    status_code = 422

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(code)
        self.code, self.message, self.message_en = code, message, message_en


class BackendProtocolError(AppError):
    """The back end answered something that does not follow the schema."""

    status_code = 502


class CircuitBreaker:
    """closed -> (N failures) -> open -> (reset time) -> half-open -> one trial."""

    def __init__(self, failures: int, reset_after: float, clock=time.monotonic):
        self.threshold, self.reset_after, self.clock = failures, reset_after, clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_after:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._trial:
                self._trial = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial = False
            if self._failures >= self.threshold or self._opened_at is not None:
                self._opened_at = self.clock()


class BackendClient:
    def __init__(
        self,
        base_url: str | None,
        timeout: float = 5.0,
        retries: int = 2,
        breaker: CircuitBreaker | None = None,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout
        self.retries = retries
        self.breaker = breaker or CircuitBreaker(5, 30.0)
        self.http = session or requests.Session()

    @classmethod
    def from_config(cls, config) -> "BackendClient":
        return cls(
            config.BACKEND_URL,
            timeout=config.BACKEND_TIMEOUT,
            retries=config.BACKEND_RETRIES,
            breaker=CircuitBreaker(config.BACKEND_BREAKER_FAILURES, config.BACKEND_BREAKER_RESET),
        )

    # -- transport ---------------------------------------------------------

    def send(self, build, idempotency_key: str):
        """Send a request envelope; ``build(root)`` adds the payload.

        Returns the response's payload element. Raises BackendUnavailable,
        BackendRefused or BackendProtocolError.
        """
        if not self.base_url:
            raise BackendUnavailable("BACKEND_URL is not configured")
        root = envelope("Request", idempotencyKey=idempotency_key)
        build(root)
        try:
            data = protocol.serialize(root)
        except ProtocolError as exc:  # our own bug: never send it
            raise BackendProtocolError("outgoing message invalid: %s" % exc) from exc
        message_id = root.get("messageId")
        kind = protocol.etree.QName(root[0]).localname
        last_exc: Exception | None = None
        for attempt in range(self.retries + 1):
            if not self.breaker.allow():
                raise BackendUnavailable("circuit open: back end failed recently")
            try:
                resp = self.http.post(
                    self.base_url + "/api/v1/messages",
                    data=data,
                    headers={
                        "Content-Type": protocol.CONTENT_TYPE,
                        "Accept": "application/xml",
                        "Idempotency-Key": idempotency_key,
                    },
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                last_exc = exc
                self.breaker.failure()
                log.warning("back end %s failed: %s (try %d)", kind, type(exc).__name__, attempt + 1)
            else:
                if resp.status_code >= 500 or resp.status_code == 429:
                    last_exc = BackendUnavailable("HTTP %d" % resp.status_code)
                    self.breaker.failure()
                    log.warning("back end %s answered %d (try %d)", kind, resp.status_code, attempt + 1)
                else:
                    self.breaker.success()
                    return self._read(resp, message_id)
            if attempt < self.retries:
                time.sleep(min(2.0, 0.2 * (2**attempt)))
        raise BackendUnavailable(type(last_exc).__name__ if last_exc else "unavailable")

    def _read(self, resp: requests.Response, message_id: str):
        if len(resp.content) > protocol.MAX_MESSAGE_BYTES:
            raise BackendProtocolError("answer too large")
        try:
            root = protocol.parse(resp.content, "Response")
        except ProtocolError as exc:
            raise BackendProtocolError(str(exc)) from exc
        if root.get("inReplyTo") != message_id:
            raise BackendProtocolError("answer is not for our message")
        payload = protocol.body(root)
        if payload.tag == q("Refusal"):
            raise BackendRefused(payload.get("code"), payload.get("message"), payload.get("messageEn"))
        return payload

    # -- messages ----------------------------------------------------------

    def ping(self) -> bool:
        try:
            payload = self.send(lambda r: child(r, "Ping"), "ping-" + uuid.uuid4().hex)
        except (BackendUnavailable, BackendProtocolError, BackendRefused):
            return False
        return payload.tag == q("Pong")

    def household(self, code: str) -> dict:
        payload = self.send(
            lambda r: child(r, "HouseholdQuery", householdCode=code),
            "household-%s-%s" % (code, uuid.uuid4().hex[:8]),
        )
        return {
            "code": payload.get("householdCode"),
            "address": payload.get("address"),
            "residents": [dict(el.attrib) for el in payload.iter(q("Resident"))],
        }

    def electorate(self, district: str, min_age: int, as_of: str) -> dict:
        """How many residents of the district (an address prefix) are aged
        ``min_age`` or more on ``as_of`` (YYYY-MM-DD), and in how many households:
        the register's own count, for a vote's turnout (주민 참여)."""
        payload = self.send(
            lambda r: child(r, "ElectorateQuery", district=district, minAge=min_age, asOf=as_of),
            "electorate-%s" % uuid.uuid4().hex,
        )
        return {"residents": int(payload.get("residents")), "households": int(payload.get("households"))}

    def properties(self, household_code: str, resident_ref: str) -> dict:
        """The resident's parcels and buildings (for 토지대장 / 건축물대장 options)."""
        payload = self.send(
            lambda r: child(r, "PropertyQuery", householdCode=household_code, residentRef=resident_ref),
            "property-%s-%s" % (resident_ref, uuid.uuid4().hex[:8]),
        )
        return {
            "parcels": [dict(el.attrib) for el in payload.iter(q("Parcel"))],
            "buildings": [dict(el.attrib) for el in payload.iter(q("Building"))],
        }

    def record(
        self,
        *,
        request_ref: str,
        certificate_type: str,
        household_code: str,
        resident_ref: str,
        options: dict | None,
        idempotency_key: str,
    ) -> dict:
        def build(root):
            el = child(
                root,
                "RecordQuery",
                requestRef=request_ref,
                certificateType=certificate_type,
                householdCode=household_code,
                residentRef=resident_ref,
            )
            for k, v in sorted((options or {}).items()):
                child(el, "Option", name=k, value=str(v))

        payload = self.send(build, idempotency_key)
        holder = payload.find(q("Holder"))
        return {
            "request_ref": payload.get("requestRef"),
            "certificate_type": payload.get("certificateType"),
            "record_ref": payload.get("recordRef"),
            "issuing_office": payload.get("issuingOffice"),
            "fee": int(payload.get("fee")),
            "holder": dict(holder.attrib),
            "sections": [
                {
                    "title": sec.get("title"),
                    "rows": [
                        [(c.get("name"), c.text or "") for c in row.iter(q("Cell"))]
                        for row in sec.iter(q("Row"))
                    ],
                }
                for sec in payload.iter(q("Section"))
            ],
        }

    def tax_bills(self, household_code: str) -> list[dict]:
        """The household's local-tax bills (지방세), each with its late charge and total."""
        payload = self.send(
            lambda r: child(r, "TaxBillQuery", householdCode=household_code),
            "taxbills-%s-%s" % (household_code, uuid.uuid4().hex[:8]),
        )
        bills = []
        for el in payload.iter(q("TaxBill")):
            a = el.attrib
            bills.append({
                "ref": a["ref"], "payer_ref": a["payerRef"], "payer_name": a["payerName"],
                "tax_item": a["taxItem"], "epay_no": a["epayNo"], "tax_year": int(a["taxYear"]),
                "subject": a["subject"], "amount": int(a["amount"]), "late_charge": int(a["lateCharge"]),
                "total": int(a["total"]), "due_date": a["dueDate"], "status": a["status"],
                "paid_at": a.get("paidAt"),
            })
        return bills

    def payment_notice(self, *, epay_no: str, amount: int, payment_ref: str, method: str, paid_at: str,
                       idempotency_key: str) -> dict:
        """Tell the back end a bill was paid (once: the key is derived from the payment)."""
        payload = self.send(
            lambda r: child(r, "PaymentNotice", epayNo=epay_no, amount=amount, paymentRef=payment_ref,
                            method=method, paidAt=paid_at),
            idempotency_key,
        )
        return {"epay_no": payload.get("epayNo"), "payment_ref": payload.get("paymentRef"),
                "receipt_ref": payload.get("receiptRef"), "recorded_at": payload.get("recordedAt")}
