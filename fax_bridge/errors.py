"""Typed errors raised by fax_bridge.

Every error derives from :class:`FaxError`. Messages never carry a full phone
number: callers pass numbers through :func:`fax_bridge.numbers.mask` first.
"""

from __future__ import annotations


class FaxError(Exception):
    """Base class of every error raised by fax_bridge."""


class RenderError(FaxError):
    """The PDF could not be turned into fax pages (unreadable, empty, too large)."""


class NumberRefused(FaxError):
    """A fax number is malformed or not allowed by the policy.

    ``reason_ko`` is a sentence a resident understands (shown on the TV or sent
    by SMS); ``reason_en`` is for operators and logs. ``masked`` is the number
    with its middle digits hidden.
    """

    def __init__(self, category: str, masked: str, reason_ko: str, reason_en: str) -> None:
        super().__init__("%s (%s, %s)" % (reason_en, category, masked))
        self.category = category
        self.masked = masked
        self.reason_ko = reason_ko
        self.reason_en = reason_en


class TransportError(FaxError):
    """The fax server or gateway could not be reached or refused a request.

    ``transient`` tells the lifecycle whether trying again later can help.
    """

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class CallbackRejected(FaxError):
    """A status callback failed signature or format checks and was ignored."""


class JobNotFound(FaxError):
    """No fax job with that id exists in the store."""
