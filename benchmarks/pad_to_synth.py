"""``bench pad_to_synth``: a pad's IRQ edge to FluidSynth's note-on, through the live box.

The pads are the real :class:`appliance.inputs.pads.PadBoard` driving the real
Adafruit MPR121 driver over :class:`appliance.inputs.mpr121_emulator.MPR121Emulator`,
a register-level fake I2C bus; its IRQ line is a gpiozero mock pin. The measured
path is the box's own:

    IRQ pin falls (MockPin.drive_low) -> gpiozero DigitalInputDevice callback
    -> PadBoard reads the 2-byte touch status through adafruit_mpr121
    -> Pressed(pad:N) -> EngineLoop.submit -> tonic-engine thread wakes
    -> AccessFilter -> Voicing -> FluidSynth.note_on returns

``t0`` is taken immediately before the IRQ pin is driven low (the emulator
raises IRQ from its own thread, as the chip would), ``t1`` when the real
note-on returns (:class:`benchmarks.presser.TimedSynth`). On the Pi the I2C
read itself adds about 0.1 ms at 400 kHz (0.5 ms at 100 kHz) that the emulator
does not.
"""

from __future__ import annotations

import random
import time
from queue import Empty, SimpleQueue
from time import perf_counter

from appliance.box import Box
from appliance.config import PAD_COUNT, BoxConfig
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import Profile, default_profile
from benchmarks.presser import GAP_S, STUCK_S, TimedSynth, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "pad_to_synth"
P99_BUDGET_MS = 1.0
TOUCHES = 10_000
WARMUP = 200


def pad_profile() -> Profile:
    """The default profile with the pads' lock-out off, so touches can follow
    each other every couple of milliseconds (see bench_profile for switches)."""
    profile = default_profile()
    for n in range(1, PAD_COUNT + 1):
        profile = profile.with_setting(f"pad:{n}.lockout_ms", "0")
    return profile


def run(touches: int = TOUCHES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    assert config.pads is not None and config.pads.irq_pin is not None
    hardware = SimulatedHardware(config)
    chip = hardware.mpr121
    assert chip is not None
    irq = hardware.factory.pin(config.pads.irq_pin)
    edges: SimpleQueue[float] = SimpleQueue()

    def irq_line(low: bool) -> None:
        # The chip's IRQ output, stamped at the falling edge.
        if low:
            edges.put(perf_counter())
            irq.drive_low()
        else:
            irq.drive_high()

    chip.on_irq = irq_line
    try:
        with (
            rendering_synth(config, NAME) as (_, synth, _),
            Box(config, pad_profile(), synth, pin_factory=hardware.factory, i2c=chip) as box,
        ):
            if box.pads is None or not box.pads.online:
                raise RuntimeError(f"{NAME}: the emulated pad board is not online")
            samples = _drive(chip, edges, synth, touches, warmup)
    finally:
        hardware.close()
    return summarize(NAME, samples)


def _drive(chip, edges: SimpleQueue[float], synth: TimedSynth, touches: int, warmup: int):
    rng = random.Random(2)
    samples: list[float] = []
    total = warmup + touches
    started = time.monotonic()
    for i in range(total):
        pad = i % PAD_COUNT
        try:
            chip.touch(pad)
            t1 = synth.note_ons.get(timeout=STUCK_S)
            t0 = edges.get(timeout=STUCK_S)
            if i >= warmup:
                samples.append(t1 - t0)
            chip.release(pad)
            synth.note_offs.get(timeout=STUCK_S)
            edges.get(timeout=STUCK_S)  # the release's edge
        except Empty:
            raise RuntimeError(f"{NAME}: touch {i} on pad {pad + 1} played nothing") from None
        time.sleep(rng.uniform(*GAP_S))
        if (i + 1) % max(total // 5, 1) == 0:
            progress(f"  {NAME}: {i + 1}/{total} touches, {time.monotonic() - started:.1f} s")
    return samples
