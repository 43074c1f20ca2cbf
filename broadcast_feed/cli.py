"""``python -m broadcast_feed ingest PATH_OR_URL [--db]``.

Without ``--db`` this is ``broadcast_feed.ingest.main`` (a JSON store file).
With ``--db`` the document goes into the configured database (DATABASE_URL)
through the news sink, under a source named by ``--source`` (a URL becomes a
polled source); the source's status records a refusal as the console shows it.
"""

from __future__ import annotations

import logging
import sys

from broadcast_feed import ingest as ingest_mod
from broadcast_feed import store, tasks
from broadcast_feed.errors import FeedError
from broadcast_feed.fetch import read_path
from services.core.runtime import get_runtime


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--db" not in argv:
        if "-h" in argv or "--help" in argv:
            sys.stdout.write("  --db  ingest into the configured database (DATABASE_URL)\n")
        return ingest_mod.main(argv)
    argv.remove("--db")
    args = ingest_mod._parser().parse_args(argv)
    return ingest_db(args.target, args.source, args.max_bytes)


def ingest_db(target: str, source: str | None, max_bytes: int) -> int:
    logging.getLogger("broadcast_feed").addHandler(logging.NullHandler())  # one-line output
    rt = get_runtime()
    is_url = ingest_mod.is_url(target)
    name = source or target[-120:]
    with rt.session() as s:
        src = store.ensure_source(s, name, "rss" if is_url else "upload", target if is_url else None)
        source_id = src.id
    try:
        if is_url:
            result = tasks.poll_source(rt, source_id)
        else:
            result = tasks.ingest_into(rt, source_id, data=read_path(target, max_bytes))
    except FeedError as exc:
        sys.stderr.write("failed: %s\n" % " ".join(exc.reason.split()))
        return exc.exit_code
    if result.status != "ok":
        sys.stderr.write("%s: %s\n" % (result.status, result.reason))
        return 2 if result.status == "refused" else 1
    if is_url and result.report.kind:
        with rt.session() as s:
            store.get_source(s, source_id).kind = result.report.kind
    sys.stdout.write(result.report.line() + "\n")
    return 0
