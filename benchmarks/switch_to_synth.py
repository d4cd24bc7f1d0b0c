"""``bench switch_to_synth``: a switch press to FluidSynth's note-on, through the live box.

The box is the real one, built as the service builds it (:class:`appliance.box.Box`
with the default profile and FluidSynth with the box's soundfont); only the
GPIO pins are gpiozero's mock pins, the audio driver is
:class:`appliance.sound.paced.PacedRenderer`, which pulls 64-frame blocks
every 1.33 ms as ALSA would, and the switches' lock-out is off (see
:func:`benchmarks.presser.bench_profile`). The measured path is therefore the box's own:

    MockPin.drive_low -> gpiozero DigitalInputDevice -> Switch._on_press (builds Pressed)
    -> EngineLoop.submit (SimpleQueue.put) -> tonic-engine thread wakes
    -> Engine.handle -> AccessFilter -> Voicing -> FluidSynth.note_on returns
"""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory, MockPin

from appliance.box import Box
from appliance.config import BoxConfig
from benchmarks.presser import (
    PRESSES,
    WARMUP,
    VoiceCounter,
    bench_profile,
    drive_presses,
    progress,
    rendering_synth,
    switch_ids,
)
from benchmarks.stats import Summary, summarize

NAME = "switch_to_synth"
#: The issue's budget for this path on the 2-core build machine.
P99_BUDGET_MS = 0.5


def run(presses: int = PRESSES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    factory = MockFactory()
    try:
        with rendering_synth(config, NAME) as (real, synth, _):
            voices = VoiceCounter(real)
            with Box(config, bench_profile(config), synth, pin_factory=factory) as box:
                dead = {iid: why for iid, why in box.offline.items() if iid in switch_ids(config)}
                if dead:
                    raise RuntimeError(f"switches offline on the mock factory: {dead}")
                if box.offline:
                    # Pads need an I2C bus this machine lacks; the switch path does not.
                    progress(f"  {NAME}: offline, not measured: {', '.join(box.offline)}")
                pins: list[MockPin] = [factory.pin(pin) for pin in config.switch_pins]
                progress(f"{NAME}: {warmup} warm-up + {presses} presses on {len(pins)} switches")
                samples = drive_presses(pins, synth, presses, warmup, label=NAME, observe=voices)
    finally:
        factory.reset()
    progress(f"  {NAME}: {voices.report()}")
    return summarize(NAME, samples)
