"""Benchmarks of hacore against the real Heartbeat 3.0.6 and keepalived, in one run.

``python -m bench.run_all [--quick] [--reps N] [--only NAME,...]`` measures every daemon
on the same lab topology (halab) with the same timings, writes raw JSON under
``bench/results/<UTC timestamp>/`` and regenerates ``docs/benchmarks.md`` and its plots.
"""
