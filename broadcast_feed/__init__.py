"""Local news: feed ingestion (RSS 2.0, Atom 1.0, CAP 1.2), workflow, console.

Ingestion entry points live in ``broadcast_feed.ingest`` (CLI and ``ingest``),
``broadcast_feed.parsing`` (bytes -> items), ``broadcast_feed.fetch`` (HTTP and
files) and ``broadcast_feed.images`` (TV-sized JPEGs).
"""
