"""The reference back end's HTTP face: POST /api/v1/messages (XML), /healthz,
and /admin/stats (counts that tests use to prove exactly-once)."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime

from flask import Flask, Response, jsonify, request
from sqlalchemy import func, select

from reference_backend import payments, records, seed
from reference_backend.store import (
    Household,
    ProcessedMessage,
    TaxBill,
    TaxPaymentRecord,
    make_sessionmaker,
    utcnow,
)
from services.bridge import protocol
from services.bridge.protocol import child, envelope

log = logging.getLogger(__name__)

HANDLERS = {
    "Ping": lambda s, parent, el: child(parent, "Pong"),
    "HouseholdQuery": lambda s, parent, el: records.household_record(s, parent, el.get("householdCode")),
    "RecordQuery": records.certificate_record,
    "PropertyQuery": records.property_list,
    "TaxBillQuery": records.tax_bill_list,
    "PaymentNotice": records.payment_notice,
    "ElectorateQuery": records.electorate_count,
}


def create_app(db_url: str) -> Flask:
    app = Flask(__name__)
    # Faults a test can switch on, as a slow or flaky municipal system would
    # behave: {"delay_after_commit": seconds}: the work is done and recorded,
    # then the answer is late (a caller may time out or die waiting).
    faults: dict = {}
    Session = make_sessionmaker(db_url)
    with Session.begin() as s:
        if seed.seed(s):
            log.info("demo municipality data created")

    def xml(root, status=200):
        return Response(protocol.serialize(root), status=status, content_type=protocol.CONTENT_TYPE)

    @app.post("/api/v1/messages")
    def messages():
        data = request.get_data(cache=False)
        try:
            msg = protocol.parse(data, "Request")
        except protocol.ProtocolError as exc:
            return jsonify(error="bad_message", reason=str(exc)), 400
        key = msg.get("idempotencyKey")
        if request.headers.get("Idempotency-Key") not in (None, key):
            return jsonify(error="bad_message", reason="Idempotency-Key header differs"), 400
        payload = protocol.body(msg)
        kind = protocol.etree.QName(payload).localname
        # The same key with the same payload replays the first answer; the
        # same key with another payload is an error (as payment gateways do).
        sha = hashlib.sha256(protocol.etree.tostring(payload, method="c14n")).hexdigest()
        with Session.begin() as s:
            done = s.get(ProcessedMessage, key)
            if done is not None:
                if done.body_sha != sha:
                    return jsonify(error="idempotency_conflict"), 422
                done.replays += 1
                old = protocol.parse(done.response.encode(), "Response")
                root = envelope("Response", inReplyTo=msg.get("messageId"))
                root.append(protocol.body(old))
                return xml(root)
            root = envelope("Response", inReplyTo=msg.get("messageId"))
            try:
                HANDLERS[kind](s, root, payload)
            except records.Refused as r:
                for c in list(root):
                    root.remove(c)
                child(root, "Refusal", code=r.code, message=r.message, messageEn=r.message_en)
            body = protocol.serialize(root)
            if kind != "Ping":
                s.add(ProcessedMessage(idempotency_key=key, kind=kind, body_sha=sha,
                                       response=body.decode()))
        delay = faults.get("delay_after_commit") if kind != "Ping" else None
        if delay:
            import time

            time.sleep(float(delay))
        return Response(body, content_type=protocol.CONTENT_TYPE)

    @app.post("/admin/faults")
    def set_faults():
        faults.clear()
        faults.update(request.get_json(force=True) or {})
        return jsonify(faults)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/admin/stats")
    def stats():
        with Session() as s:
            rows = s.execute(select(ProcessedMessage.kind, func.count(), func.sum(ProcessedMessage.replays))
                             .group_by(ProcessedMessage.kind)).all()
            keys = request.args.get("keys") == "1"
            out = {"by_kind": {k: {"unique": n, "replays": int(r or 0)} for k, n, r in rows},
                   "tax_payments": s.scalar(select(func.count()).select_from(TaxPaymentRecord))}
            if keys:
                out["keys"] = list(s.scalars(select(ProcessedMessage.idempotency_key)))
        return jsonify(out)

    @app.get("/admin/bills/<epay_no>")
    def bill(epay_no):
        with Session() as s:
            b = s.scalar(select(TaxBill).where(TaxBill.epay_no == epay_no))
            if b is None:
                return jsonify(error="not_found"), 404
            rec = s.get(TaxPaymentRecord, epay_no)
            return jsonify(epay_no=b.epay_no, amount=b.amount, total=records.bill_total(b),
                           paid=b.paid_at is not None, payment_ref=rec.payment_ref if rec else None)

    @app.post("/admin/bills/<epay_no>")
    def change_bill(epay_no):
        """Tests: change a bill as the municipality would ({"amount": n}, {"paid": true})."""
        data = request.get_json(force=True) or {}
        with Session.begin() as s:
            b = s.scalar(select(TaxBill).where(TaxBill.epay_no == epay_no))
            if b is None:
                return jsonify(error="not_found"), 404
            if "amount" in data:
                b.amount = int(data["amount"])
            if data.get("paid"):
                b.paid_at = b.paid_at or records_utcnow()
        return bill(epay_no)

    @app.post("/admin/households/<code>/bills")
    def replace_bills(code):
        """Tests: the household's bills become those given ({"bills": [...]}, each as answered here);
        answers the ones it had, so that a test can put them back (none, or 30+, as a screen's state)."""
        data = request.get_json(force=True) or {}
        with Session.begin() as s:
            if s.get(Household, code) is None:
                return jsonify(error="not_found"), 404
            old = list(s.scalars(select(TaxBill).where(TaxBill.household_code == code)))
            had = [{"ref": b.ref, "payer_ref": b.payer_ref, "tax_item": b.tax_item, "epay_no": b.epay_no,
                    "tax_year": b.tax_year, "subject": b.subject, "amount": b.amount,
                    "due_date": b.due_date.isoformat(),
                    "paid_at": b.paid_at.isoformat() if b.paid_at else None} for b in old]
            for b in old:
                s.delete(b)
            s.flush()
            for b in data.get("bills", []):
                s.add(TaxBill(ref=b["ref"], household_code=code, payer_ref=b["payer_ref"], tax_item=b["tax_item"],
                              epay_no=b["epay_no"], tax_year=int(b["tax_year"]), subject=b["subject"],
                              amount=int(b["amount"]), due_date=date.fromisoformat(b["due_date"]),
                              paid_at=datetime.fromisoformat(b["paid_at"]) if b.get("paid_at") else None))
        return jsonify(bills=had)

    app.register_blueprint(payments.bp)
    app.config["SESSIONMAKER"] = Session
    return app


def records_utcnow():  # a paid-elsewhere bill, as the bank would report it
    return utcnow()
