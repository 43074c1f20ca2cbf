"""Typed ingestion errors, each with a one-line ``reason`` for people.

``FeedRefused`` means the document itself was refused (unsafe, too big, not a
feed): the CLI exits with code 2. ``FetchFailed`` means it could not be
obtained (network, HTTP status, timeout): exit code 1.
"""

from __future__ import annotations

from services.core.errors import AppError


class FeedError(AppError):
    """Base class: ``reason`` is a short sentence shown in the console."""

    status_code = 422

    exit_code = 1

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FeedRefused(FeedError):
    """The document was refused (unsafe XML, too large, unknown format)."""

    exit_code = 2


class FetchFailed(FeedError):
    """The document could not be fetched or read."""

    exit_code = 1


class ImageRefused(FeedError):
    """An image was refused (not an image, too large, decompression bomb)."""

    exit_code = 2
