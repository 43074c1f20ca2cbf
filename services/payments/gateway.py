"""A real card gateway (Toss Payments-style REST API), same shape as the sandbox.

Card data is sent with the key-in endpoint (card number, expiry, birth date,
two password digits: the way TV shopping takes cards), with the order's
``Idempotency-Key``; the order is looked up by its order id. Selected with
``PAYMENT_PROVIDER=gateway``, ``PAYMENT_URL`` and ``PAYMENT_SECRET``.
"""

from __future__ import annotations

import base64

import requests

from services.payments.base import (
    Declined,
    NotCharged,
    OutcomeUnknown,
    PaymentProvider,
    ProviderOrder,
)
from services.payments.sandbox import UNREACHABLE

STATUS = {"READY": "created", "IN_PROGRESS": "authorized", "WAITING_FOR_DEPOSIT": "waiting_deposit",
          "DONE": "paid", "CANCELED": "cancelled", "PARTIAL_CANCELED": "paid", "ABORTED": "declined",
          "EXPIRED": "expired"}
# Gateway decline codes -> plain Korean sentences.
DECLINES = {
    "REJECT_CARD_PAYMENT": ("insufficient_funds", "카드 잔액(한도)이 부족합니다. 다른 카드로 납부해 주세요."),
    "INVALID_PASSWORD": ("wrong_password", "카드 비밀번호 앞 두 자리가 맞지 않습니다. 다시 입력해 주세요."),
    "INVALID_CARD_EXPIRATION": ("expired_card", "유효기간이 지난 카드입니다. 다른 카드로 납부해 주세요."),
    "EXCEED_MAX_AMOUNT": ("over_limit", "카드 한도를 넘었습니다. 다른 카드로 납부해 주세요."),
    "EXCEED_MAX_DAILY_PAYMENT_COUNT": ("over_limit", "카드 한도를 넘었습니다. 다른 카드로 납부해 주세요."),
    "INVALID_CARD_NUMBER": ("invalid_card", "카드 번호가 올바르지 않습니다. 다시 입력해 주세요."),
}


class GatewayProvider(PaymentProvider):
    name = "gateway"

    def __init__(self, base_url: str, secret: str, timeout: float = 10.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.auth = "Basic " + base64.b64encode((secret + ":").encode()).decode()

    def _order(self, data: dict) -> ProviderOrder:
        account = data.get("virtualAccount")
        return ProviderOrder(order_id=data["orderId"], amount=int(data.get("totalAmount", 0)),
                             status=STATUS.get(data.get("status", ""), "created"),
                             payment_key=data.get("paymentKey"), approved_at=data.get("approvedAt"),
                             account={"bank": account.get("bankCode", ""), "accountNumber": account["accountNumber"],
                                      "holder": account.get("customerName", "")} if account else None)

    def _error(self, resp, charged_maybe: bool):
        try:
            data = resp.json()
        except ValueError:
            data = {}
        code = data.get("code", "HTTP_%d" % resp.status_code)
        if code in DECLINES:
            ours, message = DECLINES[code]
            return Declined(ours, message, data.get("message", ""))
        if resp.status_code >= 500 and charged_maybe:
            return OutcomeUnknown("provider_error", "결제 결과를 확인하는 중입니다.")
        return NotCharged(code.lower(), "결제하지 못했습니다. 요금은 청구되지 않았습니다.", data.get("message", ""))

    def _charge_card(self, *, order_id, amount, order_name, card, idempotency_key) -> ProviderOrder:
        body = {"amount": amount, "orderId": order_id, "orderName": order_name, "cardNumber": card.number,
                "cardExpirationMonth": card.expiry[:2], "cardExpirationYear": card.expiry[2:],
                "customerIdentityNumber": card.birth, "cardPassword": card.password2}
        try:
            resp = self.http.post(self.base_url + "/v1/payments/key-in", json=body, timeout=self.timeout,
                                  headers={"Authorization": self.auth, "Idempotency-Key": idempotency_key})
        except requests.ConnectionError as exc:
            raise OutcomeUnknown("provider_unreachable", "결제 결과를 확인하는 중입니다.") from exc
        except requests.RequestException as exc:
            raise OutcomeUnknown("provider_timeout", "결제 결과를 확인하는 중입니다.") from exc
        if resp.status_code != 200:
            raise self._error(resp, charged_maybe=True)
        return self._order(resp.json())

    def _open_virtual_account(self, *, order_id, amount, order_name) -> ProviderOrder:
        try:
            resp = self.http.post(self.base_url + "/v1/virtual-accounts", timeout=self.timeout,
                                  json={"amount": amount, "orderId": order_id, "orderName": order_name,
                                        "customerName": "납세자", "bank": "신한", "validHours": 72},
                                  headers={"Authorization": self.auth, "Idempotency-Key": order_id + ":va"})
        except requests.RequestException as exc:
            raise NotCharged("provider_unavailable", UNREACHABLE) from exc
        if resp.status_code != 200:
            raise self._error(resp, charged_maybe=False)
        return self._order(resp.json())

    def _get_order(self, order_id: str) -> ProviderOrder | None:
        try:
            resp = self.http.get(self.base_url + "/v1/payments/orders/" + order_id, timeout=self.timeout,
                                 headers={"Authorization": self.auth})
        except requests.RequestException as exc:
            raise OutcomeUnknown("provider_unavailable", "결제 회사에 연결할 수 없습니다.") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise OutcomeUnknown("provider_error", "결제 회사의 응답을 확인하는 중입니다.")
        return self._order(resp.json())
