"""Every CPU core kept busy while a benchmark runs: the worst a box's own load can be."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: A process that spins for ever: one core's worth of load.
SPIN = "while 1: pass"
#: How long to wait for a killed spinner to be reaped.
REAP_TIMEOUT_S = 5.0


@contextmanager
def busy_cores(count: int | None = None) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``count`` spinning processes (one per core by default); kill them on the way out,
    however the block ends."""
    spinners: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count or os.cpu_count() or 2):
            spinners.append(subprocess.Popen([sys.executable, "-c", SPIN]))
        yield spinners
    finally:
        for spinner in spinners:
            spinner.kill()
        for spinner in spinners:
            spinner.wait(REAP_TIMEOUT_S)
