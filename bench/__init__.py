"""Benchmarks: `make bench` runs every `bench/bench_*.py` module's `main()`.

Each module prints its own figures (and ratios against a baseline measured in
the same run). A benchmark that fails prints why; the run goes on and never
fails a test run.
"""
