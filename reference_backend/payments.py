"""The sandbox card payment gateway (part of the reference back end).

It behaves like a real Korean card gateway, over its own JSON endpoints:

    POST /pay/v1/orders                      create an order {orderId, amount, orderName, method}
    GET  /pay/v1/orders/<orderId>            the order as the gateway knows it (resolves unknown outcomes)
    POST /pay/v1/orders/<orderId>/authorize  card data -> paymentKey, or a decline with a reason
    POST /pay/v1/orders/<orderId>/confirm    {paymentKey, amount} with an Idempotency-Key: the charge
    POST /pay/v1/sandbox/deposits            {accountNumber, amount}: a simulated bank transfer
    GET  /pay/v1/admin/stats                 charges per order (tests prove exactly-once with it)
    POST /pay/v1/admin/faults                {"delay_confirm": s}: charge, commit, then answer late

Test cards (any expiry in the future, any birth date, any two password digits):
``4000000000000002`` insufficient funds, ``4000000000000010`` wrong password
digits, ``4000000000000069`` expired card, ``4000000000000051`` over the
limit; every other 16-digit number is approved. Card data is checked and
forgotten: it is never stored or logged.

Confirm carries the amount, checked against the stored order. The same
Idempotency-Key with the same body replays the first answer; with another
body it is refused (422). An order can be charged once; unconfirmed orders
expire (``ttlSeconds``, default 15 minutes).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from reference_backend.store import Base, utcnow

DEFAULT_TTL = 900
DECLINES = {
    "4000000000000002": ("insufficient_funds", "카드 잔액(한도)이 부족합니다. 다른 카드로 납부해 주세요.",
                         "Insufficient funds."),
    "4000000000000010": ("wrong_password", "카드 비밀번호 앞 두 자리가 맞지 않습니다. 다시 입력해 주세요.",
                         "The card password digits are wrong."),
    "4000000000000069": ("expired_card", "유효기간이 지난 카드입니다. 다른 카드로 납부해 주세요.",
                         "The card has expired."),
    "4000000000000051": ("over_limit", "카드 한도를 넘었습니다. 다른 카드로 납부해 주세요.",
                         "The card's limit is exceeded."),
}
EXPIRED = DECLINES["4000000000000069"]


class PayOrder(Base):
    __tablename__ = "pay_orders"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))  # card | virtual_account
    status: Mapped[str] = mapped_column(String(20))  # created authorized waiting_deposit paid expired
    payment_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    account_no: Mapped[str | None] = mapped_column(String(20), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class PayCharge(Base):
    """Money taken: one row per charged order (the unique key is the promise)."""

    __tablename__ = "pay_charges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PayIdempotency(Base):
    __tablename__ = "pay_idempotency"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    body_sha: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)


bp = Blueprint("pay", __name__, url_prefix="/pay/v1")
_lock = threading.Lock()  # one charge decision at a time (the sandbox is one process)
_faults: dict = {}


def _session():
    return current_app.config["SESSIONMAKER"]


def _iso(dt: datetime | None) -> str | None:
    return dt.replace(microsecond=0).isoformat() + "+00:00" if dt else None


def _error(status: int, code: str, message: str, message_en: str = ""):
    return jsonify(code=code, message=message, messageEn=message_en or code), status


def _refresh(order: PayOrder) -> None:
    if order.status in ("created", "authorized", "waiting_deposit") and utcnow() > order.expires_at:
        order.status = "expired"


def _view(order: PayOrder) -> dict:
    out = {"orderId": order.order_id, "orderName": order.name, "amount": order.amount,
           "method": order.method, "status": order.status, "paymentKey": order.payment_key,
           "approvedAt": _iso(order.approved_at), "expiresAt": _iso(order.expires_at)}
    if order.method == "virtual_account":
        out["virtualAccount"] = {"bank": "신한은행", "accountNumber": order.account_no,
                                 "holder": "마포구청 지방세", "dueAt": _iso(order.expires_at)}
    return out


@bp.before_request
def _auth():
    if request.endpoint in ("pay.stats", "pay.faults", "pay.deposit"):
        return None
    if not request.headers.get("Authorization"):
        return _error(401, "unauthorized", "인증 정보가 없습니다.", "Missing credentials.")
    return None


@bp.post("/orders")
def create_order():
    data = request.get_json(silent=True) or {}
    order_id, name = str(data.get("orderId", "")), str(data.get("orderName", ""))[:100]
    method = data.get("method", "card")
    try:
        amount = int(data.get("amount"))
        ttl = int(data.get("ttlSeconds", DEFAULT_TTL))
    except (TypeError, ValueError):
        return _error(400, "invalid_request", "금액이 올바르지 않습니다.", "Bad amount.")
    if not (6 <= len(order_id) <= 64) or amount <= 0 or method not in ("card", "virtual_account"):
        return _error(400, "invalid_request", "주문 정보가 올바르지 않습니다.", "Bad order.")
    with _lock, _session().begin() as s:
        order = s.get(PayOrder, order_id)
        if order is not None:
            if order.amount != amount or order.method != method:
                return _error(409, "order_conflict", "같은 주문번호의 다른 주문이 있습니다.", "Order id reused.")
            _refresh(order)
            return jsonify(_view(order))
        order = PayOrder(order_id=order_id, name=name, amount=amount, method=method,
                         status="created" if method == "card" else "waiting_deposit",
                         expires_at=utcnow() + timedelta(seconds=max(1, ttl)))
        if method == "virtual_account":
            order.account_no = "5620%010d" % secrets.randbelow(10**10)
        s.add(order)
        s.flush()
        return jsonify(_view(order)), 201


@bp.get("/orders/<order_id>")
def get_order(order_id):
    with _session().begin() as s:
        order = s.get(PayOrder, order_id)
        if order is None:
            return _error(404, "not_found", "주문이 없습니다.", "No such order.")
        _refresh(order)
        return jsonify(_view(order))


def _card_problem(data: dict):
    number = str(data.get("cardNumber", ""))
    expiry, birth, pw = str(data.get("expiry", "")), str(data.get("birth", "")), str(data.get("password2", ""))
    if not (number.isdigit() and len(number) == 16 and expiry.isdigit() and len(expiry) == 4
            and birth.isdigit() and len(birth) == 6 and pw.isdigit() and len(pw) == 2):
        return ("invalid_card", "카드 정보가 올바르지 않습니다. 다시 입력해 주세요.", "Invalid card data.")
    month, year = int(expiry[:2]), 2000 + int(expiry[2:])
    if not 1 <= month <= 12:
        return ("invalid_card", "카드 유효기간이 올바르지 않습니다. 월/년 순서로 입력해 주세요.", "Bad expiry.")
    today = date.today()
    if (year, month) < (today.year, today.month):
        return EXPIRED
    return DECLINES.get(number)


@bp.post("/orders/<order_id>/authorize")
def authorize(order_id):
    data = request.get_json(silent=True) or {}
    with _lock, _session().begin() as s:
        order = s.get(PayOrder, order_id)
        if order is None:
            return _error(404, "not_found", "주문이 없습니다.", "No such order.")
        _refresh(order)
        if order.status == "expired":
            return _error(410, "order_expired", "결제 시간이 지났습니다. 처음부터 다시 해 주세요.", "Order expired.")
        if order.status == "paid":
            return _error(409, "already_processed", "이미 결제된 주문입니다.", "Already paid.")
        if order.method != "card":
            return _error(409, "wrong_method", "카드 결제 주문이 아닙니다.", "Not a card order.")
        problem = _card_problem(data)
        if problem:
            return _error(402, *problem)
        order.payment_key = order.payment_key or "pk_" + secrets.token_hex(12)
        order.status = "authorized"
        return jsonify(_view(order))


@bp.post("/orders/<order_id>/confirm")
def confirm(order_id):
    key = request.headers.get("Idempotency-Key", "")
    if not 1 <= len(key) <= 300:
        return _error(400, "idempotency_key_required", "Idempotency-Key가 필요합니다.", "Idempotency-Key required.")
    data = request.get_json(silent=True) or {}
    sha = hashlib.sha256(order_id.encode() + b"\0" + json.dumps(data, sort_keys=True).encode()).hexdigest()
    with _lock:
        with _session().begin() as s:
            done = s.get(PayIdempotency, key)
            if done is not None:
                if done.body_sha != sha:
                    return _error(422, "idempotency_conflict", "같은 요청 키로 다른 결제를 요청했습니다.",
                                  "Idempotency-Key reused with another body.")
                return current_app.response_class(done.response, status=done.status,
                                                  mimetype="application/json")
            status, body = _confirm(s, order_id, data)
            s.add(PayIdempotency(key=key, body_sha=sha, status=status, response=json.dumps(body)))
    delay = _faults.get("delay_confirm")
    if delay:
        time.sleep(float(delay))
    return jsonify(body), status


def _confirm(s, order_id: str, data: dict) -> tuple[int, dict]:
    order = s.get(PayOrder, order_id)
    if order is None:
        return 404, {"code": "not_found", "message": "주문이 없습니다.", "messageEn": "No such order."}
    _refresh(order)
    try:
        amount = int(data.get("amount"))
    except (TypeError, ValueError):
        amount = -1
    if amount != order.amount:
        return 400, {"code": "amount_mismatch", "message": "결제 금액이 주문 금액과 다릅니다.",
                     "messageEn": "Amount differs from the order."}
    if order.status == "paid":
        return 409, {"code": "already_processed", "message": "이미 결제된 주문입니다.", "messageEn": "Already paid."}
    if order.status == "expired":
        return 410, {"code": "order_expired", "message": "결제 시간이 지났습니다. 처음부터 다시 해 주세요.",
                     "messageEn": "Order expired."}
    if order.status != "authorized" or data.get("paymentKey") != order.payment_key:
        return 409, {"code": "not_authorized", "message": "카드 인증이 끝나지 않은 주문입니다.",
                     "messageEn": "The order is not authorised."}
    _charge(s, order, "card")
    return 200, _view(order)


def _charge(s, order: PayOrder, via: str) -> None:
    order.status = "paid"
    order.approved_at = utcnow()
    s.add(PayCharge(order_id=order.order_id, amount=order.amount, via=via))
    s.flush()


@bp.post("/sandbox/deposits")
def deposit():
    """A transfer into a virtual account (what the bank would report)."""
    data = request.get_json(silent=True) or {}
    with _lock, _session().begin() as s:
        order = s.scalar(select(PayOrder).where(PayOrder.account_no == str(data.get("accountNumber", ""))))
        if order is None:
            return _error(404, "not_found", "없는 계좌입니다.", "No such account.")
        _refresh(order)
        if order.status != "waiting_deposit":
            return _error(409, "not_waiting", "입금을 기다리는 계좌가 아닙니다.", "Not waiting for a deposit.")
        if int(data.get("amount", -1)) != order.amount:
            return _error(400, "amount_mismatch", "입금액이 납부액과 다릅니다.", "Deposit amount differs.")
        _charge(s, order, "virtual_account")
        return jsonify(_view(order))


@bp.get("/admin/stats")
def stats():
    with _session()() as s:
        rows = s.execute(select(PayCharge.order_id, PayCharge.amount)).all()
        statuses = dict(s.execute(select(PayOrder.status, func.count()).group_by(PayOrder.status)).all())
    return jsonify(charges=len(rows), by_order={o: a for o, a in rows}, orders=statuses)


@bp.post("/admin/faults")
def faults():
    _faults.clear()
    _faults.update(request.get_json(force=True) or {})
    return jsonify(_faults)
