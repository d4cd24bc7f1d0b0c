"""``bench bare_bridge``: the least any switch-to-synth bridge can cost here.

A raw gpiozero ``DigitalInputDevice`` (the device the box's switches use)
whose callbacks put a tuple on a ``SimpleQueue``, and one thread that takes
it off and calls ``note_on`` / ``note_off``: no events, no engine, no profile.
It uses the same mock pins, the same :class:`~benchmarks.presser.TimedSynth`
around the same FluidSynth, the same :class:`~appliance.sound.paced.PacedRenderer`
and the same press driver as ``switch_to_synth``, and plays the same notes on
the same instruments, so the difference between the two lines is what the
box's own code adds.
"""

from __future__ import annotations

import threading
from queue import SimpleQueue

from gpiozero import DigitalInputDevice
from gpiozero.pins.mock import MockFactory, MockPin

from appliance.config import BoxConfig
from appliance.music import Key
from appliance.profile import default_profile
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import Channel
from benchmarks.presser import (
    PRESSES,
    WARMUP,
    VoiceCounter,
    drive_presses,
    progress,
    rendering_synth,
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
    factory = MockFactory()
    inbox: SimpleQueue[_Msg] = SimpleQueue()
    try:
        with rendering_synth(config, NAME) as (real, synth, _):

            def owner() -> None:
                get, note_on, note_off = inbox.get, synth.note_on, synth.note_off
                while (msg := get()) is not None:
                    is_on, channel, note, velocity = msg
                    if is_on:
                        note_on(channel, note, velocity)
                    else:
                        note_off(channel, note)

            devices: list[DigitalInputDevice] = []
            ids_and_pins = zip(switch_ids(config), config.switch_pins, strict=True)
            for index, (iid, pin) in enumerate(ids_and_pins):
                settings = profile.settings_for(iid)
                channel = Channel(index)  # the channels the engine gives the default profile
                synth.select_instrument(channel, instrument_for(settings.instrument))
                note = int(key.degree_to_note(settings.degree, settings.octave))
                on: _Msg = (True, channel, note, settings.velocity)
                off: _Msg = (False, channel, note, 0)
                # The same device class, pull-up and bounce setting as appliance.inputs.switch.
                device = DigitalInputDevice(
                    pin, pull_up=True, bounce_time=None, pin_factory=factory
                )
                # Default arguments bind this device's message now, not the loop's last.
                device.when_activated = lambda msg=on: inbox.put(msg)
                device.when_deactivated = lambda msg=off: inbox.put(msg)
                devices.append(device)

            voices = VoiceCounter(real)
            thread = threading.Thread(target=owner, name="bare-owner", daemon=True)
            thread.start()
            try:
                pins: list[MockPin] = [factory.pin(pin) for pin in config.switch_pins]
                progress(f"{NAME}: {warmup} warm-up + {presses} presses on {len(pins)} switches")
                samples = drive_presses(pins, synth, presses, warmup, label=NAME, observe=voices)
            finally:
                for device in devices:
                    device.close()
                inbox.put(None)
                thread.join()
                real.all_notes_off()
    finally:
        factory.reset()
    progress(f"  {NAME}: {voices.report()}")
    return summarize(NAME, samples)
