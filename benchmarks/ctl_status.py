"""``bench ctl_status``: a ``status`` round trip over the control socket of a running service.

``tonic run --simulate`` runs in its own process (a warmed data directory,
see :func:`benchmarks.service_process.warm_data_dir`); one client,
:class:`appliance.control.client.ControlClient` (what ``tonic ctl`` and the
setup UI use), stays connected and asks for ``status`` again and again, each
call waiting for its reply. A round trip is the client's JSON line out, the
server's loop framing it, a worker asking the engine's thread for its
snapshot, the reply's JSON back, and the client parsing it::

    t0 -> ControlClient.call("status") -> socket -> tonic-control loop -> worker
       -> EngineLoop.call(status) on tonic-engine -> JSON reply -> socket -> parsed -> t1
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from appliance.control.client import ControlClient
from benchmarks.presser import progress
from benchmarks.service_process import ServiceProcess, warm_data_dir
from benchmarks.stats import Summary, summarize

NAME = "ctl_status"
REQUESTS = 1000
WARMUP = 100
#: Calls a second: a busy client, well above a setup UI's few, and below the
#: socket's own request rate (appliance/control/limits.py), so what is measured
#: is the round trip, not the rate limit's queue.
CALLS_PER_SECOND = 100
#: The issue's budget for the round trip, at p99.
P99_BUDGET_MS = 5.0


def run(requests: int = REQUESTS, warmup: int = WARMUP) -> Summary:
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp:
        workdir = Path(tmp)
        data_dir = warm_data_dir(workdir)
        with ServiceProcess(workdir, data_dir) as service:
            service.start()
            progress(f"{NAME}: {warmup} warm-up + {requests} status calls on one connection")
            with ControlClient(service.socket_path) as client:
                call = client.call
                samples = []
                period = 1.0 / CALLS_PER_SECOND
                next_call = time.perf_counter()
                for i in range(warmup + requests):
                    time.sleep(max(0.0, next_call - time.perf_counter()))
                    next_call += period
                    t0 = time.perf_counter()
                    call("status")
                    t1 = time.perf_counter()
                    if i >= warmup:
                        samples.append(t1 - t0)
    return summarize(NAME, samples)
