"""``bench switch_under_ctl_fuzz``: switch presses while hostile clients pound the control socket.

The whole service runs in the bench's process (:mod:`benchmarks.live_service`):
its box, its real :class:`appliance.control.server.ControlServer` and its
``BoxApi``. Switch presses are timed as in ``switch_to_synth``, first on the
quiet service (``quiet_p99_ms``), then while :mod:`benchmarks.ctl_fuzz_clients`,
a process of its own, sends at least :data:`REQUESTS` malformed or hostile
requests from :data:`CLIENTS` connections (garbage bytes, JSON nested 5,000
deep, 70 KB lines, unknown methods, bad params). Presses go on until the
clients have sent that many, so every measured press has the fuzz beside it.

It passes when the p99 under fuzz is within :data:`P99_FACTOR` of the quiet
one, no request went unanswered without its client being disconnected (none
``stalled``), and the service answers ``status`` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from appliance.control.client import ControlClient
from benchmarks.ctl_fuzz_clients import CLIENTS
from benchmarks.ctl_fuzz_clients import MINIMUM as REQUESTS
from benchmarks.live_service import live_service
from benchmarks.presser import WARMUP, drive_presses, progress
from benchmarks.stats import Summary, summarize

NAME = "switch_under_ctl_fuzz"
#: The issue's budget: p99 under fuzz within this factor of the quiet run's.
P99_FACTOR = 2.0
PRESSES = 2000
#: More presses, this many at a time, while the clients have not sent enough.
TOP_UP = 200
#: Longest the clients' process may take to start, or to finish once told to.
CLIENTS_TIMEOUT_S = 30.0
#: After the fuzz, a plain ``status`` must come back within this.
STATUS_TIMEOUT_S = 1.0
_CHECKOUT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class FuzzResult:
    summary: Summary
    quiet: Summary
    counts: dict[str, int]  # sent, answered, disconnected, stalled
    status_ms: float  # a plain status call after the fuzz

    def line(self) -> str:
        counts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        return (
            f"{self.summary.line()} quiet_p99_ms={self.quiet.p99_ms:.3f} {counts} "
            f"status_after_ms={self.status_ms:.3f}"
        )

    @property
    def ok(self) -> bool:
        return (
            self.summary.p99_ms <= P99_FACTOR * self.quiet.p99_ms
            and self.counts.get("stalled", 1) == 0
            and self.counts.get("sent", 0) >= REQUESTS
        )


class _Clients:
    """The hostile clients' process and what it says on its stdout."""

    def __init__(self, socket: str, pause_ms: float) -> None:
        argv = [sys.executable, "-m", "benchmarks.ctl_fuzz_clients", socket]
        self.proc = subprocess.Popen(
            [*argv, "--clients", str(CLIENTS), "--pause-ms", str(pause_ms)],
            cwd=_CHECKOUT,  # where the benchmarks package is
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.reached = threading.Event()
        self.counts: dict[str, int] = {}
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            if line.strip() == "reached":
                self.reached.set()
            elif line.startswith("{"):
                self.counts = json.loads(line)

    def finish(self) -> dict[str, int]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(CLIENTS_TIMEOUT_S)
        self._reader.join(CLIENTS_TIMEOUT_S)
        if code != 0 or not self.counts:
            raise RuntimeError(f"{NAME}: the clients' process ended with {code} and no counts")
        return self.counts


def run(presses: int = PRESSES, warmup: int = WARMUP, pause_ms: float = 0.0) -> FuzzResult:
    """``pause_ms``: each client's pause between requests (0, the bench's: as fast as answered)."""
    with live_service(NAME) as live:
        progress(f"{NAME}: {warmup} warm-up + {presses} quiet presses")
        quiet = drive_presses(live.pins, live.synth, presses, warmup, label=f"{NAME} quiet")
        progress(f"{NAME}: {presses}+ presses while {CLIENTS} clients send {REQUESTS}+ requests")
        clients = _Clients(str(live.socket), pause_ms)
        try:
            loaded = drive_presses(live.pins, live.synth, presses, 0, label=f"{NAME} fuzz")
            while not clients.reached.is_set():
                if clients.proc.poll() is not None:
                    raise RuntimeError(f"{NAME}: the clients' process died")
                loaded += drive_presses(live.pins, live.synth, TOP_UP, 0, label=f"{NAME} more")
        finally:
            counts = clients.finish()
        progress(f"  {NAME}: requests {counts}")
        with ControlClient(live.socket) as client:
            t0 = time.perf_counter()
            client.call("status", timeout=STATUS_TIMEOUT_S)
            status_s = time.perf_counter() - t0
    return FuzzResult(
        summarize(NAME, loaded), summarize(f"{NAME} quiet", quiet), counts, status_s * 1e3
    )
