"""The one small interface every fax transport implements.

A transport makes exactly one call attempt per :meth:`FaxTransport.submit`
(retries belong to the lifecycle, :mod:`fax_bridge.lifecycle`), reports the
attempt's progress with :meth:`FaxTransport.status` and stops it with
:meth:`FaxTransport.cancel`. The base class adds logging with masked numbers
and turns the provider's own exceptions into :class:`TransportError`.
"""

from __future__ import annotations

import abc
import enum
import logging
import time
from dataclasses import dataclass

from ..errors import FaxError, TransportError
from ..numbers import FaxNumber

__all__ = ["FaxTransport", "Phase", "StatusUpdate", "SubmitRequest", "PHASE_RANK", "TERMINAL"]

log = logging.getLogger("fax_bridge.transport")


class Phase(str, enum.Enum):
    """Where one call attempt stands, as a transport reports it."""

    QUEUED = "queued"          # accepted by the server, not dialled yet
    DIALING = "dialing"        # dialling / handshake
    SENDING = "sending"        # connected, sending ``page`` of ``pages``
    DELIVERED = "delivered"    # every page confirmed by the receiving machine
    BUSY = "busy"              # line busy: try again later
    NO_ANSWER = "no_answer"    # nobody (no fax machine) answered
    FAILED = "failed"          # connected but the transmission failed
    CANCELLED = "cancelled"    # stopped on our request
    HANDED_OFF = "handed_off"  # given to a gateway that reports nothing back


TERMINAL = frozenset([Phase.DELIVERED, Phase.BUSY, Phase.NO_ANSWER, Phase.FAILED,
                      Phase.CANCELLED, Phase.HANDED_OFF])

PHASE_RANK = {Phase.QUEUED: 0, Phase.DIALING: 1, Phase.SENDING: 2}
"""Order of the non-terminal phases; every terminal phase ranks above them all."""


def rank(phase: Phase, page: int = 0) -> int:
    """A number that only grows as an attempt moves forward (page by page)."""
    if phase in TERMINAL:
        return 1_000_000
    return PHASE_RANK[phase] * 10_000 + (page if phase is Phase.SENDING else 0)


@dataclass(frozen=True)
class SubmitRequest:
    """One call attempt to hand to a transport.

    ``key`` is unique per job and attempt; transports use it to make a repeated
    submit of the same attempt harmless. ``first_page`` lets a transport that
    supports it resume after the pages a failed attempt already delivered.
    """

    key: str
    number: FaxNumber
    tiff: bytes
    pages: int
    fine: bool = True
    first_page: int = 1
    pdf: bytes | None = None
    sender: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """A transport's report on one attempt (from polling or a callback).

    ``page`` is the page being sent now (``SENDING``); ``pages_sent`` counts
    pages the receiver confirmed. ``reason`` is short English for operators.
    """

    provider_id: str
    phase: Phase
    page: int = 0
    pages_sent: int = 0
    pages: int = 0
    reason: str = ""
    key: str = ""

    @property
    def rank(self) -> int:
        return rank(self.phase, self.page)


class FaxTransport(abc.ABC):
    """Submit, follow and cancel single call attempts on some fax service."""

    name = "transport"
    #: True when status arrives by callbacks (polling is then a safety net).
    pushes_status = False
    #: True when submitting the same ``key`` twice cannot dial twice.
    idempotent_submit = True
    #: True when ``SubmitRequest.first_page`` is honoured.
    supports_resume = False

    def submit(self, request: SubmitRequest) -> str:
        """Hand one attempt to the service; return the provider's id for it."""
        started = time.monotonic()
        try:
            provider_id = self._submit(request)
        except FaxError:
            raise
        except Exception as exc:  # provider library errors become ours
            log.warning("%s submit failed for %s: %s", self.name, request.number.masked,
                        exc.__class__.__name__)
            raise TransportError("%s submit failed: %s" % (self.name, exc.__class__.__name__)) from exc
        log.info("%s accepted attempt %s to %s as %s in %.3fs", self.name, request.key,
                 request.number.masked, provider_id, time.monotonic() - started)
        return provider_id

    def status(self, provider_id: str) -> StatusUpdate:
        """The attempt's current state."""
        try:
            return self._status(provider_id)
        except FaxError:
            raise
        except Exception as exc:
            raise TransportError("%s status failed: %s" % (self.name, exc.__class__.__name__)) from exc

    def cancel(self, provider_id: str) -> bool:
        """Ask the service to stop the attempt; True when it accepted."""
        try:
            accepted = self._cancel(provider_id)
        except FaxError:
            raise
        except Exception as exc:
            raise TransportError("%s cancel failed: %s" % (self.name, exc.__class__.__name__)) from exc
        log.info("%s cancel of %s: %s", self.name, provider_id, "accepted" if accepted else "refused")
        return accepted

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release connections (optional)."""

    @abc.abstractmethod
    def _submit(self, request: SubmitRequest) -> str: ...

    @abc.abstractmethod
    def _status(self, provider_id: str) -> StatusUpdate: ...

    @abc.abstractmethod
    def _cancel(self, provider_id: str) -> bool: ...
