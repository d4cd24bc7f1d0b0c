"""``bench setup_idle_cpu``: the setup UI's CPU with nothing changing, and while a beam moves.

A running ``tonic run --simulate`` and ``tonic setup`` on its dashboard in a
pseudo-terminal at 80x24 (:mod:`benchmarks.setup_terminal`). The UI process's
CPU (every thread, user plus system, ``/proc/<pid>/stat``) is read over
:data:`PHASE_S` with nothing happening, then over :data:`PHASE_S` while the
simulated hand sweeps the beam back and forth (``simulate.beam`` at 16
readings a second, as fast as the sensor is pinged). The bench keeps reading
the terminal throughout, as a terminal would.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from appliance.control.client import ControlClient
from benchmarks.presser import progress
from benchmarks.service_process import ServiceProcess, proc_cpu_s, warm_data_dir
from benchmarks.setup_terminal import CONNECTED, SetupTerminal

NAME = "setup_idle_cpu"
PHASE_S = 10.0
SETTLE_S = 2.0
READINGS_PER_S = 16
#: The sweep: near to far and back, in metres, one step per reading.
SWEEP_NEAR_M, SWEEP_FAR_M, SWEEP_STEP_M = 0.2, 1.0, 0.02
#: The issue's limits, in percent of a core.
IDLE_LIMIT_PERCENT = 2.0
MOVING_LIMIT_PERCENT = 15.0


@dataclass(frozen=True, slots=True)
class SetupCpu:
    idle_percent: float
    moving_percent: float
    readings: int

    def line(self) -> str:
        return (
            f"bench {NAME} idle_cpu_percent={self.idle_percent:.2f} "
            f"beam_moving_cpu_percent={self.moving_percent:.2f} readings={self.readings}"
        )

    @property
    def ok(self) -> bool:
        return (
            self.idle_percent <= IDLE_LIMIT_PERCENT and self.moving_percent <= MOVING_LIMIT_PERCENT
        )


def run(seconds: float = PHASE_S) -> SetupCpu:
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp:
        workdir = Path(tmp)
        with ServiceProcess(workdir, warm_data_dir(workdir)) as service:
            service.start()
            ui = SetupTerminal(service.socket_path, workdir)
            try:
                ui.start()
                ui.wait_for(CONNECTED)
                _pass(ui, SETTLE_S)
                progress(f"{NAME}: {seconds:.0f} s idle, then {seconds:.0f} s of a moving hand")
                idle = _cpu_percent(ui, seconds, lambda: None)
                with ControlClient(service.socket_path) as client:
                    sweep = _Sweep(client)
                    moving = _cpu_percent(ui, seconds, sweep.step)
            finally:
                ui.stop()
    return SetupCpu(idle, moving, sweep.readings)


class _Sweep:
    def __init__(self, client: ControlClient) -> None:
        self.client = client
        self.at, self.direction = SWEEP_NEAR_M, 1
        self.readings = 0

    def step(self) -> None:
        self.at += self.direction * SWEEP_STEP_M
        if not SWEEP_NEAR_M <= self.at <= SWEEP_FAR_M:
            self.direction = -self.direction
            self.at += 2 * self.direction * SWEEP_STEP_M
        self.client.call("simulate.beam", {"input": "beam:1", "distance": round(self.at, 3)})
        self.readings += 1


def _cpu_percent(ui: SetupTerminal, seconds: float, tick: object) -> float:
    assert callable(tick)
    cpu0, t0 = proc_cpu_s(ui.pid), time.perf_counter()
    period = 1.0 / READINGS_PER_S
    next_tick = t0
    while (now := time.perf_counter()) - t0 < seconds:
        if now >= next_tick:
            tick()
            next_tick += period
        ui.drain(max(0.0, min(next_tick - time.perf_counter(), period)))
    return (proc_cpu_s(ui.pid) - cpu0) / (time.perf_counter() - t0) * 100


def _pass(ui: SetupTerminal, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        ui.drain(0.05)
