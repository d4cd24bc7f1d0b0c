"""``bench beam_to_synth``: a beam reading to FluidSynth's note-on, through the live box.

The beam is the real :class:`appliance.inputs.beams.BeamScanner` pinging a
gpiozero ``MockTriggerPin`` (a mock HC-SR04) at the box's budget of 16 pings a
second. The hand moves between two zones after every reading, so each reading
changes the zone and plays a note:

    echo falls -> BeamScanner stamps the reading -> BeamReading -> EngineLoop.submit
    -> tonic-engine thread wakes -> BeamPlayer (JumpFilter, Beam.zone_for)
    -> Voicing: note-off of the old zone, note-on of the new -> FluidSynth.note_on returns

``t0`` is the reading's own time, stamped by the scanner the moment it saw
the echo end (``time.monotonic``); ``t1`` is taken when the real note-on
returns (``time.perf_counter``). On Linux both read CLOCK_MONOTONIC, which
the bench checks. Readings come 62.5 ms apart, so a run of 30 s gives about
480 samples: fewer than the switch and pad benches, because the sensor
cannot be pinged faster.
"""

from __future__ import annotations

import time
from queue import Empty, SimpleQueue

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.events import BeamReading, Event
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import default_profile
from benchmarks.presser import STUCK_S, TimedSynth, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "beam_to_synth"
P99_BUDGET_MS = 1.0
READINGS = 480
WARMUP = 16
#: Two hand positions in neighbouring zones of the default beam (8 zones,
#: 0.15-1.0 m), each well clear of the edge and its hysteresis, and closer
#: together than the jump filter's 15 cm, so every reading is taken at once.
POSITIONS = (0.19, 0.31)


def _same_clock() -> None:
    mono = time.get_clock_info("monotonic").implementation
    perf = time.get_clock_info("perf_counter").implementation
    if mono != perf:
        raise RuntimeError(f"{NAME}: monotonic ({mono}) and perf_counter ({perf}) differ here")


def run(readings: int = READINGS, warmup: int = WARMUP) -> Summary:
    _same_clock()
    config = BoxConfig()
    hardware = SimulatedHardware(config)
    stamps: SimpleQueue[float] = SimpleQueue()
    try:
        with rendering_synth(config, NAME) as (_, synth, _):
            box = Box(
                config, default_profile(), synth, pin_factory=hardware.factory, i2c=hardware.i2c
            )
            submit = box.loop.submit

            def submit_and_note(event: Event) -> None:
                # The scanner hands its readings here; the stamp was made at the echo.
                submit(event)
                if type(event) is BeamReading and event.distance is not None:
                    stamps.put(event.t)

            box.loop.submit = submit_and_note  # type: ignore[method-assign]
            with box:
                samples = _drive(hardware, stamps, synth, readings, warmup)
    finally:
        hardware.close()
    return summarize(NAME, samples)


def _drive(
    hardware: SimulatedHardware,
    stamps: SimpleQueue[float],
    synth: TimedSynth,
    readings: int,
    warmup: int,
) -> list[float]:
    samples: list[float] = []
    total = warmup + readings
    started = time.monotonic()
    hardware.hand_at(1, POSITIONS[0])
    for i in range(total):
        hardware.hand_at(1, POSITIONS[(i + 1) % 2])
        try:
            t1 = synth.note_ons.get(timeout=STUCK_S)
        except Empty:
            raise RuntimeError(f"{NAME}: reading {i} played nothing for {STUCK_S} s") from None
        # The newest reading at or before the note is the one that played it.
        t0 = None
        while not stamps.empty():
            t = stamps.get_nowait()
            if t <= t1:
                t0 = t
        if t0 is not None and i >= warmup:
            samples.append(t1 - t0)
        if (i + 1) % max(total // 5, 1) == 0:
            progress(f"  {NAME}: {i + 1}/{total} readings, {time.monotonic() - started:.1f} s")
    return samples
