"""The sandbox provider: the card gateway inside the reference back end
(``reference_backend/payments.py``), authorise then confirm."""

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

UNREACHABLE = "결제 회사에 연결할 수 없어 결제하지 않았습니다. 요금은 청구되지 않았습니다."


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, base_url: str, secret: str = "sandbox", timeout: float = 5.0,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.auth = "Basic " + base64.b64encode((secret + ":").encode()).decode()

    def _post(self, path: str, body: dict, key: str | None = None):
        headers = {"Authorization": self.auth}
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(self.base_url + path, json=body, headers=headers, timeout=self.timeout)

    @staticmethod
    def _order(data: dict) -> ProviderOrder:
        return ProviderOrder(order_id=data["orderId"], amount=int(data["amount"]), status=data["status"],
                             payment_key=data.get("paymentKey"), approved_at=data.get("approvedAt"),
                             account=data.get("virtualAccount"))

    @staticmethod
    def _refusal(resp, cls=NotCharged):
        try:
            data = resp.json()
        except ValueError:
            data = {}
        return cls(data.get("code", "http_%d" % resp.status_code),
                   data.get("message") or "결제하지 못했습니다. 요금은 청구되지 않았습니다.", data.get("messageEn", ""))

    def _create(self, order_id, amount, order_name, method) -> ProviderOrder:
        try:
            resp = self._post("/orders", {"orderId": order_id, "amount": amount, "orderName": order_name,
                                          "method": method})
        except requests.RequestException as exc:
            raise NotCharged("provider_unavailable", UNREACHABLE) from exc
        if resp.status_code >= 500:
            raise NotCharged("provider_unavailable", UNREACHABLE)
        if resp.status_code not in (200, 201):
            raise self._refusal(resp)
        return self._order(resp.json())

    def _charge_card(self, *, order_id, amount, order_name, card, idempotency_key) -> ProviderOrder:
        order = self._create(order_id, amount, order_name, "card")
        if order.status == "paid":
            return order
        try:
            resp = self._post("/orders/%s/authorize" % order_id, {
                "cardNumber": card.number, "expiry": card.expiry, "birth": card.birth,
                "password2": card.password2})
        except requests.RequestException as exc:
            raise NotCharged("provider_unavailable", UNREACHABLE) from exc
        if resp.status_code == 402:
            raise self._refusal(resp, Declined)
        if resp.status_code != 200:
            raise self._refusal(resp)
        payment_key = resp.json()["paymentKey"]
        # From here on money may move: a lost answer is an unknown outcome.
        try:
            resp = self._post("/orders/%s/confirm" % order_id, {"paymentKey": payment_key, "amount": amount},
                              key=idempotency_key)
        except requests.RequestException as exc:
            raise OutcomeUnknown("provider_timeout", "결제 결과를 확인하는 중입니다.") from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            raise OutcomeUnknown("provider_error", "결제 결과를 확인하는 중입니다.")
        if resp.status_code == 409 and resp.json().get("code") == "already_processed":
            return self._get_order(order_id)
        if resp.status_code != 200:
            raise self._refusal(resp)
        return self._order(resp.json())

    def _open_virtual_account(self, *, order_id, amount, order_name) -> ProviderOrder:
        return self._create(order_id, amount, order_name, "virtual_account")

    def _get_order(self, order_id: str) -> ProviderOrder | None:
        try:
            resp = self.http.get(self.base_url + "/orders/" + order_id, headers={"Authorization": self.auth},
                                 timeout=self.timeout)
        except requests.RequestException as exc:
            raise OutcomeUnknown("provider_unavailable", "결제 회사에 연결할 수 없습니다.") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise OutcomeUnknown("provider_error", "결제 회사의 응답을 확인하는 중입니다.")
        return self._order(resp.json())
