"""Latency and idle-CPU benchmarks for the live box (``make bench``).

Each latency benchmark prints one line to stdout::

    bench <name> p50_ms=<x> p99_ms=<y> max_ms=<z> n=<count>

Progress and diagnostics go to stderr, so stdout stays machine-readable.
See ``docs/performance.md`` for what is measured and how.
"""
