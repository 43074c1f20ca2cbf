"""The load run's pieces (see bench/bench_load.py)."""
