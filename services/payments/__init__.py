"""Payment providers behind one interface (``services.payments.base``).

The one place that chooses: ``PAYMENT_PROVIDER`` = ``sandbox`` (default: the
gateway inside the reference back end, at ``PAYMENT_URL`` or else
``BACKEND_URL`` + ``/pay/v1``) or ``gateway`` (a real card gateway at
``PAYMENT_URL`` with ``PAYMENT_SECRET``). ``PAYMENT_TIMEOUT`` seconds per call.
All four are ``Config`` settings; the runtime builds the provider once
(``runtime.payments``).
"""

from __future__ import annotations

from services.payments.base import (  # noqa: F401  (the interface, re-exported)
    Card,
    Declined,
    NotCharged,
    OutcomeUnknown,
    PaymentError,
    PaymentProvider,
    ProviderOrder,
)
from services.payments.gateway import GatewayProvider
from services.payments.sandbox import SandboxProvider


def setting(config, name: str, default=None):
    value = getattr(config, name, None)
    return default if value in (None, "") else value


def provider_for(config) -> PaymentProvider:
    kind = setting(config, "PAYMENT_PROVIDER", "sandbox")
    timeout = float(setting(config, "PAYMENT_TIMEOUT", 5.0))
    url = setting(config, "PAYMENT_URL")
    if kind == "sandbox":
        if not url:
            if not config.BACKEND_URL:
                raise RuntimeError("PAYMENT_URL (or BACKEND_URL for the sandbox) is not set")
            url = config.BACKEND_URL.rstrip("/") + "/pay/v1"
        return SandboxProvider(url, setting(config, "PAYMENT_SECRET", "sandbox"), timeout=timeout)
    if kind == "gateway":
        secret = setting(config, "PAYMENT_SECRET")
        if not url or not secret:
            raise RuntimeError("PAYMENT_PROVIDER=gateway needs PAYMENT_URL and PAYMENT_SECRET")
        return GatewayProvider(url, secret, timeout=timeout)
    raise RuntimeError("PAYMENT_PROVIDER must be sandbox or gateway, got %r" % kind)
