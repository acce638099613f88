"""Benchmarks (issue 9): `make bench` runs bench/run.py. Never imported by the product except under BENCH_FLOOR_VIEWS."""
