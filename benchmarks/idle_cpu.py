"""``idle``: the CPU an idle box uses, to prove nothing busy-polls.

The box is built and started with no audio renderer and left alone, and the
process's CPU time (every thread, user and system) is compared with the wall
time, in two configurations:

* ``idle box``: the engine owner thread, four switches on mock pins and the
  pad board on the emulated MPR121 with its IRQ line. Everything here waits
  on an event, so it must stay under :data:`LIMIT_PERCENT`; a loop that
  polled instead of sleeping would show up at once.
* ``idle midi``: the idle box with two MIDI devices plugged in and silent,
  on a dummy JACK server (see :mod:`benchmarks.midi_idle`); the same limit.
* ``idle beam``: the same plus one beam. A beam has to ping 16 times a second
  to notice a hand entering it, so this is a schedule, not polling; the line
  reports its cost per ping. Much of it is gpiozero's ``MockTriggerPin``,
  which starts a thread for every echo; on the Pi lgpio times the echo.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import default_profile
from benchmarks import midi_idle
from benchmarks.presser import progress

NAME = "idle_cpu"
#: Above this the idle box (no beam) is doing work it should not.
LIMIT_PERCENT = 1.0
#: Above this a beam ping costs more than it should, even on mock pins.
PING_LIMIT_MS = 2.0
PINGS_PER_SECOND = 16
IDLE_S = 3.0
#: Let start-up (thread creation, gpiozero's first wake-ups) finish first.
SETTLE_S = 0.3


@dataclass(frozen=True, slots=True)
class IdleResult:
    box_percent: float  # without a beam
    beam_percent: float  # with one beam pinging an empty room
    seconds: float
    threads: tuple[str, ...]
    #: The idle box with two MIDI devices plugged in and silent, and RtMidi's
    #: JACK clients for them alone (no box), by JACK period in frames.
    midi_percent: dict[int, tuple[float, float]]

    @property
    def ms_per_ping(self) -> float:
        extra = max(self.beam_percent - self.box_percent, 0.0) / 100.0
        return extra * 1000.0 / PINGS_PER_SECOND

    def lines(self) -> list[str]:
        return [
            f"idle box_cpu_percent={self.box_percent:.3f} seconds={self.seconds:.1f}",
            f"idle beam_cpu_percent={self.beam_percent:.3f} ms_per_ping={self.ms_per_ping:.3f} "
            f"pings_per_second={PINGS_PER_SECOND}",
        ] + [
            f"idle midi_cpu_percent{'' if period == midi_idle.JUDGED_PERIOD_FRAMES else '_at_'}"
            f"{'' if period == midi_idle.JUDGED_PERIOD_FRAMES else period}={box:.3f} "
            f"devices={len(midi_idle.DEVICES)} jack_period_frames={period} "
            f"jack_clients_percent={jack:.3f}"
            for period, (box, jack) in self.midi_percent.items()
        ]

    @property
    def ok(self) -> bool:
        return (
            self.box_percent <= LIMIT_PERCENT
            and self.ms_per_ping <= PING_LIMIT_MS
            and self.midi_percent[midi_idle.JUDGED_PERIOD_FRAMES][0] <= LIMIT_PERCENT
        )


def run(seconds: float = IDLE_S) -> IdleResult:
    box_percent, _, threads = _idle(BoxConfig(beams=()), seconds)
    beam_percent, wall, _ = _idle(BoxConfig(), seconds)
    midi = {}
    for period in midi_idle.PERIODS:
        with midi_idle.silent_devices(period):
            midi_percent, _, _ = _idle(BoxConfig(beams=()), seconds, len(midi_idle.DEVICES))
            midi[period] = (midi_percent, midi_idle.jack_clients_percent(seconds))
    return IdleResult(box_percent, beam_percent, wall, threads, midi)


def _idle(
    config: BoxConfig, seconds: float, midi_devices: int = 0
) -> tuple[float, float, tuple[str, ...]]:
    synth = open_synth(config)
    hardware = SimulatedHardware(config)
    box = Box(config, default_profile(), synth, pin_factory=hardware.factory, i2c=hardware.i2c)
    try:
        box.start()
        try:
            plugged = len(box.midi.devices) if box.midi is not None else 0
            if midi_devices and plugged != midi_devices:
                raise RuntimeError(f"{NAME}: {plugged} MIDI devices open, not {midi_devices}")
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
        hardware.close()
    wall = wall1 - wall0
    return 100.0 * (cpu1 - cpu0) / wall, wall, threads
