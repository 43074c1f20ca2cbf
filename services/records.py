"""The first step of every certificate request: fetch the register record
from the civil-service back end through the bridge.

The record (which holds resident numbers) is stored encrypted in the
request's result. The bridge call carries the idempotency key
``<receipt>:record``, so a step run twice asks the back end once.
"""

from __future__ import annotations

import json

from services.bridge.client import BackendProtocolError, BackendRefused, BackendUnavailable
from services.models import Household, Resident
from services.steps import Fail, Retry, StepContext

CERTIFICATE_TYPES = (
    "resident-copy",
    "resident-abstract",
    "land-register",
    "building-register",
    "tax-payment",
    "tax-assessment",
)


def fetch_record(ctx: StepContext) -> None:
    req = ctx.request
    if req.result.get("record_enc"):
        return
    ctype = (req.options or {}).get("certificate_type")
    if ctype not in CERTIFICATE_TYPES:
        raise Fail("unknown_certificate", "알 수 없는 증명서 종류입니다.")
    hh = ctx.session.get(Household, req.household_id)
    res = ctx.session.get(Resident, req.resident_id) if req.resident_id else None
    if hh is None or res is None:
        raise Fail("no_resident", "신청인을 찾을 수 없습니다.")
    ctx.event("sent_to_backend", "sent_to_backend")
    ctx.commit()
    options = {k: v for k, v in (req.options or {}).items() if k != "certificate_type"}
    try:
        record = ctx.runtime.bridge.record(
            request_ref=req.receipt_no,
            certificate_type=ctype,
            household_code=hh.code,
            resident_ref=res.ref,
            options=options,
            idempotency_key="%s:record" % req.receipt_no,
        )
    except BackendUnavailable as exc:
        raise Retry(
            "backend_unavailable",
            "구청 시스템에 연결할 수 없어 기다리는 중입니다. 연결되면 자동으로 이어서 처리합니다.",
        ) from exc
    except BackendProtocolError as exc:
        raise Retry("backend_protocol", "구청 시스템의 응답을 확인하는 중입니다.") from exc
    except BackendRefused as exc:
        raise Fail(exc.code, exc.message, {"message_en": exc.message_en}) from exc
    result = dict(req.result or {})
    result["record_enc"] = ctx.runtime.crypto.encrypt(json.dumps(record, ensure_ascii=False))
    result["fee"] = record["fee"]
    result["record_ref"] = record["record_ref"]
    req.result = result
    ctx.event("accepted", "accepted", {"record_ref": record["record_ref"]})


def load_record(runtime, req) -> dict | None:
    enc = (req.result or {}).get("record_enc")
    return json.loads(runtime.crypto.decrypt(enc)) if enc else None

