"""``idle``: the CPU an idle box uses, to prove nothing busy-polls.

The box (engine owner thread and four switches on mock pins) is built and
started with no audio renderer, left alone, and the process's CPU time
(every thread, user and system) is compared with the wall time. A loop that
polled instead of sleeping in ``SimpleQueue.get`` would show up here at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gpiozero.pins.mock import MockFactory

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.profile import default_profile
from benchmarks.presser import progress

NAME = "idle_cpu"
#: Above this the idle box is doing work it should not.
LIMIT_PERCENT = 1.0
IDLE_S = 3.0
#: Let start-up (thread creation, gpiozero's first wake-ups) finish first.
SETTLE_S = 0.2


@dataclass(frozen=True, slots=True)
class IdleResult:
    cpu_percent: float
    seconds: float
    threads: tuple[str, ...]

    def line(self) -> str:
        return f"idle process_cpu_percent={self.cpu_percent:.3f} seconds={self.seconds:.1f}"

    @property
    def ok(self) -> bool:
        return self.cpu_percent <= LIMIT_PERCENT


def run(seconds: float = IDLE_S) -> IdleResult:
    config = BoxConfig()
    synth = open_synth(config)
    factory = MockFactory()
    box = Box(config, default_profile(), synth, pin_factory=factory)
    try:
        box.start()
        try:
            time.sleep(SETTLE_S)
            threads = tuple(sorted(t.name for t in threading.enumerate()))
            progress(f"{NAME}: idling {seconds:.1f} s with threads {', '.join(threads)}")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            time.sleep(seconds)
            cpu1, wall1 = time.process_time(), time.perf_counter()
        finally:
            box.stop()
    finally:
        synth.close()
        factory.reset()
    wall = wall1 - wall0
    return IdleResult(100.0 * (cpu1 - cpu0) / wall, wall, threads)
