"""How busy the rest of the machine was while a benchmark ran.

Latency tails on a 2-core machine say as much about other processes as about
the box: a test suite running alongside can double a p99. Each benchmark
reports, on stderr, how much CPU everything else used meanwhile, so a bad
run can be told from a regression.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass


def _machine_busy_s() -> float | None:
    """CPU seconds all CPUs have spent not idle since boot (Linux only)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    ticks = [int(x) for x in fields[1:]]
    # user nice system idle iowait irq softirq steal ...: idle and iowait are idle.
    busy = sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)
    return busy / os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class LoadWatch:
    """Started before a benchmark; :meth:`report` says how loaded the machine was."""

    wall0: float = 0.0
    own0: float = 0.0
    machine0: float | None = None

    def start(self) -> LoadWatch:
        self.wall0 = time.perf_counter()
        self.own0 = time.process_time()
        self.machine0 = _machine_busy_s()
        return self

    def report(self) -> str:
        wall = time.perf_counter() - self.wall0
        own = time.process_time() - self.own0
        machine1 = _machine_busy_s()
        cores = os.cpu_count() or 1
        text = f"this process {100 * own / wall:.0f} % of one core"
        if self.machine0 is not None and machine1 is not None:
            others = max(machine1 - self.machine0 - own, 0.0)
            text += f", other processes {100 * others / wall:.0f} % of one core (of {cores})"
        return text + f", load average {os.getloadavg()[0]:.2f}"
