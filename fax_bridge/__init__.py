"""fax_bridge: deliver PDF certificates by fax the way fax servers expect them.

Stand-alone (standard library and PyPI packages only). The host typically:

1. checks the number: ``FaxNumberPolicy().check(raw)`` (raises
   :class:`NumberRefused` with a Korean reason for the resident);
2. renders: ``render_fax(pdf, header=FaxHeader(...), cover_pdf=cover_pdf(CoverPage(...)))``;
3. queues: ``FaxDispatcher(store, transport, lines=..., on_event=...).enqueue(...)``;
4. runs ``dispatcher.run()`` in a worker and passes status callbacks from
   its web endpoint to ``dispatcher.handle_callback(body, headers)``.
"""

from .cover import CoverPage, cover_pdf
from .errors import (
    CallbackRejected,
    FaxError,
    JobNotFound,
    NumberRefused,
    RenderError,
    TransportError,
)
from .lifecycle import FaxDispatcher, FaxEvent, RetryPolicy
from .numbers import Category, FaxNumber, FaxNumberPolicy, format_number, mask, normalise, parse
from .render import FINE, NORMAL, FaxDocument, FaxHeader, Resolution, preview_png, render_fax
from .store import FaxJob, JobState, JobStore, SqliteJobStore
from .transports.base import FaxTransport, Phase, StatusUpdate, SubmitRequest
from .transports.email_gateway import EmailGatewayTransport
from .transports.http_api import HttpFaxApiTransport
from .transports.hylafax import HylaFaxTransport
from .transports.spool import SpoolTransport

__all__ = [
    "FINE", "NORMAL", "CallbackRejected", "Category", "CoverPage", "EmailGatewayTransport",
    "FaxDispatcher", "FaxDocument", "FaxError", "FaxEvent", "FaxHeader", "FaxJob", "FaxNumber",
    "FaxNumberPolicy", "FaxTransport", "HttpFaxApiTransport", "HylaFaxTransport", "JobNotFound",
    "JobState", "JobStore", "NumberRefused", "Phase", "RenderError", "Resolution", "RetryPolicy",
    "SpoolTransport", "SqliteJobStore", "StatusUpdate", "SubmitRequest", "TransportError",
    "cover_pdf", "format_number", "mask", "normalise", "parse", "preview_png", "render_fax",
]
