"""``bench setup_start``: ``tonic setup`` launched to its first dashboard frame.

A running ``tonic run --simulate`` (warmed data directory) and the setup UI
in a pseudo-terminal at 80x24 (:mod:`benchmarks.setup_terminal`): the time
from ``Popen`` to the dashboard drawn with the box connected (the banner's
"Connected to"), over :data:`STARTS` launches.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.presser import progress
from benchmarks.service_process import ServiceProcess, warm_data_dir
from benchmarks.setup_terminal import CONNECTED, SetupTerminal
from benchmarks.stats import Summary, summarize

NAME = "setup_start"
STARTS = 8
#: The issue's target for the p50.
P50_LIMIT_MS = 1500.0


def run(starts: int = STARTS) -> Summary:
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp:
        workdir = Path(tmp)
        with ServiceProcess(workdir, warm_data_dir(workdir)) as service:
            service.start()
            progress(f"{NAME}: {starts} launches of tonic setup at 80x24 against a running box")
            samples = []
            for _ in range(starts):
                ui = SetupTerminal(service.socket_path, workdir)
                try:
                    t0 = ui.start()
                    samples.append(ui.wait_for(CONNECTED) - t0)
                finally:
                    ui.stop()
    return summarize(NAME, samples)
