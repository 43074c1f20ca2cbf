"""Ingestion: get a document, parse it, hand each entry to a sink; and the CLI.

Storage is not this module's business: anything with
``upsert(entry) -> "new" | "updated" | "skipped"`` is an ``ItemSink``. The
database layer provides one; ``MemorySink`` and ``JsonFileSink`` are the
defaults for tests and the command line.

    python -m broadcast_feed ingest PATH_OR_URL [--source NAME] [--store FILE]

prints ``<source> (<kind>): N new, N updated, N skipped`` and exits 0; a
refused document exits 2 and a failed fetch exits 1, each with one line on
stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

from broadcast_feed.errors import FeedError, FeedRefused, FetchFailed
from broadcast_feed.fetch import DEFAULT_POLICY, FetchPolicy, HttpFetcher, read_path, read_upload
from broadcast_feed.items import CapAlert, FeedItem
from broadcast_feed.parsing import MAX_ITEMS, parse_document

log = logging.getLogger(__name__)

Outcome = Literal["new", "updated", "skipped"]
Entry = FeedItem | CapAlert
DEFAULT_STORE = Path("var") / "broadcast_feed" / "items.json"


class ItemSink(Protocol):
    """Where ingested entries go. ``entry.kind`` is "item" or "cap";
    ``entry.key`` deduplicates within ``entry.source``; a changed
    ``entry.fingerprint()`` means the stored copy should be updated."""

    def upsert(self, entry: Entry) -> Outcome: ...


class MemorySink:
    """Keeps entries in a dict; the reference behaviour for other sinks."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str, str], Entry] = {}
        self.fingerprints: dict[tuple[str, str, str], str] = {}

    @staticmethod
    def _key(entry: Entry) -> tuple[str, str, str]:
        return (entry.source, entry.kind, entry.key)

    def upsert(self, entry: Entry) -> Outcome:
        key = self._key(entry)
        fingerprint = entry.fingerprint()
        old = self.fingerprints.get(key)
        if old == fingerprint:
            return "skipped"
        self.fingerprints[key] = fingerprint
        self.entries[key] = entry
        return "new" if old is None else "updated"


class JsonFileSink:
    """A small JSON file for the command line until the database takes over.

    Also remembers each URL's ETag/Last-Modified for conditional requests.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.data = {"items": {}, "sources": {}}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise FetchFailed(
                    "저장 파일을 읽을 수 없습니다 (cannot read store %s)" % self.path
                ) from exc
            if isinstance(loaded, dict):
                self.data["items"] = dict(loaded.get("items") or {})
                self.data["sources"] = dict(loaded.get("sources") or {})

    def upsert(self, entry: Entry) -> Outcome:
        key = "\x1f".join((entry.source, entry.kind, entry.key))
        fingerprint = entry.fingerprint()
        old = self.data["items"].get(key)
        if old and old.get("fingerprint") == fingerprint:
            return "skipped"
        self.data["items"][key] = {"fingerprint": fingerprint, "entry": entry.to_dict()}
        return "new" if old is None else "updated"

    def validators(self, url: str) -> tuple[str | None, str | None]:
        got = self.data["sources"].get(url) or {}
        return got.get("etag"), got.get("last_modified")

    def remember(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data["sources"][url] = {"etag": etag, "last_modified": last_modified}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".items-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@dataclass
class IngestReport:
    """What one run did; the storage layer keeps etag/last_modified on the source."""

    source: str
    kind: str = ""  # "rss" | "atom" | "cap"; "" when not modified
    url: str | None = None  # final URL after redirects
    new: int = 0
    updated: int = 0
    skipped: int = 0
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    entries: list[Entry] = field(default_factory=list)

    def line(self) -> str:
        state = " not modified" if self.not_modified else ""
        return "%s (%s)%s: %d new, %d updated, %d skipped" % (
            self.source,
            self.kind or "-",
            state,
            self.new,
            self.updated,
            self.skipped,
        )


def is_url(target: str) -> bool:
    return "://" in target[:16]


def ingest_bytes(
    data: bytes,
    sink: ItemSink,
    *,
    source_name: str | None = None,
    base_url: str | None = None,
    max_bytes: int = DEFAULT_POLICY.max_bytes,
    max_items: int = MAX_ITEMS,
) -> IngestReport:
    """Parse ``data`` and upsert every entry; FeedRefused leaves the sink untouched."""
    feed = parse_document(
        data, source_name=source_name, base_url=base_url, max_bytes=max_bytes, max_items=max_items
    )
    report = IngestReport(source=source_name or feed.title, kind=feed.kind, url=base_url)
    for entry in feed.entries:
        outcome = sink.upsert(entry)
        if outcome not in ("new", "updated", "skipped"):
            raise ValueError("sink returned %r" % (outcome,))
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.entries.append(entry)
    log.info(
        "ingested %s: new=%d updated=%d skipped=%d",
        report.source,
        report.new,
        report.updated,
        report.skipped,
    )
    return report


def ingest_upload(upload, sink: ItemSink, *, source_name: str | None = None, **kw) -> IngestReport:
    """An uploaded file (bytes, stream or FileStorage) from the console."""
    max_bytes = kw.pop("max_bytes", DEFAULT_POLICY.max_bytes)
    data = read_upload(upload, max_bytes)
    return ingest_bytes(data, sink, source_name=source_name, max_bytes=max_bytes, **kw)


def ingest(
    target: str | os.PathLike,
    sink: ItemSink,
    *,
    source_name: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    fetcher=None,
    max_items: int = MAX_ITEMS,
) -> IngestReport:
    """Ingest a URL (http/https) or a local path into ``sink``.

    For URLs, pass the validators stored with the source; the report carries
    the new ones. A 304 gives ``not_modified=True`` and touches nothing.
    """
    target_s = os.fspath(target)
    if is_url(target_s):
        scheme = urlsplit(target_s).scheme.lower()
        if scheme not in ("http", "https"):
            raise FeedRefused("http/https 주소만 받습니다 (scheme %r not allowed)" % scheme[:20])
        fetcher = fetcher or HttpFetcher(policy)
        got = fetcher.fetch(target_s, etag=etag, last_modified=last_modified)
        if got.not_modified:
            return IngestReport(
                source=source_name or target_s,
                url=got.url,
                not_modified=True,
                etag=got.etag or etag,
                last_modified=got.last_modified or last_modified,
            )
        report = ingest_bytes(
            got.content,
            sink,
            source_name=source_name,
            base_url=got.url,
            max_bytes=policy.max_bytes,
            max_items=max_items,
        )
        report.etag, report.last_modified = got.etag, got.last_modified
        return report
    data = read_path(target_s, policy.max_bytes)
    return ingest_bytes(
        data, sink, source_name=source_name, max_bytes=policy.max_bytes, max_items=max_items
    )


# -- command line ----------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m broadcast_feed")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="ingest an RSS, Atom or CAP document from a path or URL")
    p.add_argument("target", metavar="PATH_OR_URL")
    p.add_argument("--source", help="source name shown on the TV (default: the feed's title)")
    p.add_argument(
        "--store",
        # An argparse default of this command-line tool (it runs without the app's
        # Config: no database, no Redis), so it may read its own variable.
        default=os.environ.get("BROADCAST_FEED_STORE", str(DEFAULT_STORE)),
        help="JSON file that remembers items between runs (default: %(default)s)",
    )
    p.add_argument("--memory", action="store_true", help="do not keep anything between runs")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_POLICY.max_bytes)
    p.add_argument("--timeout", type=float, default=DEFAULT_POLICY.read_timeout)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    policy = FetchPolicy(max_bytes=args.max_bytes, read_timeout=args.timeout)
    try:
        sink = MemorySink() if args.memory else JsonFileSink(args.store)
        etag = last_modified = None
        if isinstance(sink, JsonFileSink) and is_url(args.target):
            etag, last_modified = sink.validators(args.target)
        report = ingest(
            args.target,
            sink,
            source_name=args.source,
            etag=etag,
            last_modified=last_modified,
            policy=policy,
        )
        if isinstance(sink, JsonFileSink):
            if is_url(args.target):
                sink.remember(args.target, report.etag, report.last_modified)
            sink.save()
    except FeedError as exc:
        word = "refused" if isinstance(exc, FeedRefused) else "failed"
        err.write("%s: %s\n" % (word, " ".join(exc.reason.split())))
        return exc.exit_code
    except OSError as exc:
        err.write("failed: %s\n" % (exc.strerror or exc))
        return 1
    out.write(report.line() + "\n")
    return 0
