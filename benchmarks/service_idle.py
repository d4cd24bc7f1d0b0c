"""``bench service_idle``: the CPU and memory of ``tonic run --simulate`` left alone.

The whole service in its own process, as systemd runs it (a warmed data
directory, see :func:`benchmarks.service_process.warm_data_dir`): the engine,
the simulated switches, pads and beam (which pings 16 times a second, as a
real one must), the paced renderer (asleep once nothing has sounded for 2 s),
the control socket with no client, the status thread. Nothing touches it.

After :data:`SETTLE_S` the bench reads the process's CPU time (every thread,
user plus system, ``/proc/<pid>/stat``) and again :data:`IDLE_S` later, and
its resident memory (``VmRSS`` of ``/proc/<pid>/status``) at the end.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.presser import progress
from benchmarks.service_process import ServiceProcess, proc_cpu_s, proc_status_kib, warm_data_dir

NAME = "service_idle"
IDLE_S = 30.0
#: Longer than the paced renderer's 2 s of silence before it sleeps, so the
#: measurement sees the service as it idles for hours.
SETTLE_S = 3.0
#: The issue's limits.
CPU_LIMIT_PERCENT = 1.0
RSS_LIMIT_MB = 80.0
KIB_PER_MIB = 1024


@dataclass(frozen=True, slots=True)
class ServiceIdle:
    cpu_percent: float
    rss_mb: float  # MiB
    seconds: float
    threads: int

    def line(self) -> str:
        return (
            f"bench {NAME} idle_cpu_percent={self.cpu_percent:.3f} rss_mb={self.rss_mb:.1f} "
            f"seconds={self.seconds:.1f} threads={self.threads}"
        )

    @property
    def ok(self) -> bool:
        return self.cpu_percent <= CPU_LIMIT_PERCENT and self.rss_mb <= RSS_LIMIT_MB


def run(seconds: float = IDLE_S) -> ServiceIdle:
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp:
        workdir = Path(tmp)
        data_dir = warm_data_dir(workdir)
        with ServiceProcess(workdir, data_dir) as service:
            service.start()
            pid = service.pid
            time.sleep(SETTLE_S)
            progress(f"{NAME}: the service (pid {pid}) left alone for {seconds:.0f} s")
            cpu0, wall0 = proc_cpu_s(pid), time.perf_counter()
            time.sleep(seconds)
            cpu1, wall1 = proc_cpu_s(pid), time.perf_counter()
            rss_mb = proc_status_kib(pid, "VmRSS") / KIB_PER_MIB
            threads = len(os.listdir(f"/proc/{pid}/task"))
    wall = wall1 - wall0
    return ServiceIdle(100.0 * (cpu1 - cpu0) / wall, rss_mb, wall, threads)
