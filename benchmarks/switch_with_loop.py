"""``bench switch_to_synth_with_loop``: ``switch_to_synth`` with the band playing throughout.

Everything is ``switch_to_synth``'s (the real :class:`appliance.box.Box`, the
rendering FluidSynth through the paced renderer, mock pins, the switches'
lock-out off, the same presses and gaps), with one addition: before the
first press a ``loop start`` command (:class:`~appliance.events.BandCommand`,
as the control socket and a script send it) starts the busiest loop at the
fastest tempo a profile allows, and it plays until the box stops. The
engine's owner thread then also plans a beat ahead (``_plan_beat``) and wakes
for every loop note to announce it, beside the presses it serves.

The target is a p99 within :data:`P99_FACTOR` of ``switch_to_synth``'s in
the same run.
"""

from __future__ import annotations

import time

from gpiozero.pins.mock import MockFactory, MockPin

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.events import BandAction, BandCommand
from appliance.music.loops import loop_named
from appliance.profile import Profile
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import instrument_for
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

NAME = "switch_to_synth_with_loop"
#: The most notes a second of the shipped loops: 41 notes a bar over four
#: parts (kick, side stick and shaker, bass, steel drums, pad).
LOOP = "calypso"
#: The fastest tempo a profile accepts (profile/model.py), so the owner
#: thread plans and announces as often as it ever will: 27 notes a second.
TEMPO_BPM = 160
#: The target: a loop playing may cost the presses at most this much.
P99_FACTOR = 1.5


def level_loop(synth: FluidSynth, name: str = LOOP) -> None:
    """Measure the loop's instruments now, off the engine's thread, as a box that
    has played the loop before knows them (its ``levels.json``). A box without a
    leveller measures an instrument on first use, on the engine's thread: tens of
    ms when the loop starts, with its first beat waiting behind them."""
    for part in loop_named(name).parts:
        synth.trims.level_for(instrument_for(part.instrument))


def loop_profile(config: BoxConfig, tempo: int = TEMPO_BPM) -> Profile:
    """The bench profile (lock-out off) at ``tempo``; the loop is started by command."""
    return bench_profile(config).with_setting("tempo", str(tempo))


def run(presses: int = PRESSES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    factory = MockFactory()
    try:
        with rendering_synth(config, NAME) as (real, synth, _):
            voices = VoiceCounter(real)
            level_loop(real)
            with Box(config, loop_profile(config), synth, pin_factory=factory) as box:
                dead = {iid: why for iid, why in box.offline.items() if iid in switch_ids(config)}
                if dead:
                    raise RuntimeError(f"switches offline on the mock factory: {dead}")
                box.loop.submit(BandCommand(time.monotonic(), BandAction.LOOP_START, LOOP))
                playing = box.loop.call(box.engine.band.describe)
                if not playing:
                    raise RuntimeError(f"{NAME}: the loop did not start")
                pins: list[MockPin] = [factory.pin(pin) for pin in config.switch_pins]
                progress(
                    f"{NAME}: {LOOP} at {TEMPO_BPM} BPM; {warmup} warm-up + {presses} "
                    f"presses on {len(pins)} switches"
                )
                samples = drive_presses(pins, synth, presses, warmup, label=NAME, observe=voices)
                # Still playing at the end: a loop started by command plays until stopped.
                where = box.loop.call(box.engine.band.describe)
                if not where.startswith(LOOP):
                    raise RuntimeError(f"{NAME}: the loop stopped during the presses ({where!r})")
                progress(f"  {NAME}: the loop at the end: {where}")
    finally:
        factory.reset()
    progress(f"  {NAME}: {voices.report()}")
    return summarize(NAME, samples)
