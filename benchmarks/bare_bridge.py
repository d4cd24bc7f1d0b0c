"""``bench bare_bridge``: the least any switch-to-synth bridge can cost here.

A raw gpiozero ``Button`` whose callbacks put a tuple on a ``SimpleQueue``,
and one thread that takes it off and calls ``note_on`` / ``note_off``: no
events, no engine, no profile. It uses the same mock pins, the same
:class:`~benchmarks.presser.TimedSynth` around the same FluidSynth, the same
:class:`~appliance.sound.paced.PacedRenderer` and the same press driver as
``switch_to_synth``, and plays the same notes on the same instruments, so
the difference between the two lines is what the box's own code adds.
"""

from __future__ import annotations

import threading
from queue import SimpleQueue

from gpiozero import Button
from gpiozero.pins.mock import MockFactory, MockPin

from appliance.box import open_synth
from appliance.config import BoxConfig
from appliance.music import Key
from appliance.profile import default_profile
from appliance.sound.instruments import instrument_for
from appliance.sound.paced import PacedRenderer
from appliance.sound.synth import Channel
from benchmarks.presser import (
    PRESSES,
    WARMUP,
    TimedSynth,
    VoiceCounter,
    drive_presses,
    progress,
    switch_ids,
)
from benchmarks.stats import Summary, summarize

NAME = "bare_bridge"

# (is_on, channel, note, velocity); None ends the thread.
_Msg = tuple[bool, Channel, int, int] | None


def run(presses: int = PRESSES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    profile = default_profile()
    key = Key.parse(profile.key, profile.scale)
    real = open_synth(config)
    synth = TimedSynth(real)
    synth.set_volume(profile.volume)
    factory = MockFactory()
    inbox: SimpleQueue[_Msg] = SimpleQueue()

    def owner() -> None:
        get, note_on, note_off = inbox.get, synth.note_on, synth.note_off
        while (msg := get()) is not None:
            is_on, channel, note, velocity = msg
            if is_on:
                note_on(channel, note, velocity)
            else:
                note_off(channel, note)

    buttons: list[Button] = []
    for index, (iid, pin) in enumerate(zip(switch_ids(config), config.switch_pins, strict=True)):
        settings = profile.settings_for(iid)
        channel = Channel(index)  # the channels the engine gives the default profile
        synth.select_instrument(channel, instrument_for(settings.instrument))
        note = int(key.degree_to_note(settings.degree, settings.octave))
        on: _Msg = (True, channel, note, settings.velocity)
        off: _Msg = (False, channel, note, 0)
        button = Button(pin, pull_up=True, bounce_time=None, pin_factory=factory)
        # Default arguments bind this button's message now, not the loop's last.
        button.when_pressed = lambda msg=on: inbox.put(msg)
        button.when_released = lambda msg=off: inbox.put(msg)
        buttons.append(button)

    renderer = PacedRenderer(real)
    voices = VoiceCounter(real)
    thread = threading.Thread(target=owner, name="bare-owner", daemon=True)
    renderer.start()
    thread.start()
    try:
        pins: list[MockPin] = [factory.pin(pin) for pin in config.switch_pins]
        progress(f"{NAME}: {warmup} warm-up + {presses} presses on {len(pins)} switches")
        samples = drive_presses(pins, synth, presses, warmup, label=NAME, observe=voices)
    finally:
        for button in buttons:
            button.close()
        inbox.put(None)
        thread.join()
        real.all_notes_off()
        renderer.stop()
        real.close()
        factory.reset()
    progress(
        f"  {NAME}: {voices.report()}; renderer {renderer.blocks} blocks, "
        f"{renderer.late_blocks} late"
    )
    return summarize(NAME, samples)
