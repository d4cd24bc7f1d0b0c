"""The one place the box is put together.

The service, ``tonic demo`` and ``tonic render`` build the same engine and
synth here. They differ only in what they hand it: hardware or simulated
pins (a gpiozero pin factory), scripted events, and a live or offline sink.
Parts start in order and stop in reverse, inside ``finally``, so a failure
never leaves a note sounding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from types import TracebackType

from gpiozero import Factory
from gpiozero.exc import GPIOZeroError

from appliance.config import BoxConfig
from appliance.engine import Engine, EngineLoop
from appliance.engine.engine import Listener
from appliance.events import InputId, InputKind, InputOffline, input_id
from appliance.inputs.switch import Switch
from appliance.profile import Profile
from appliance.sound.fluid import FluidSynth
from appliance.sound.soundfont import find_soundfont
from appliance.sound.synth import Synth

log = logging.getLogger(__name__)


def open_synth(config: BoxConfig, soundfont: str | None = None) -> FluidSynth:
    """FluidSynth with the configured soundfont, rendering offline until audio starts."""
    path = find_soundfont(soundfont or config.soundfont)
    return FluidSynth(path, sample_rate=config.sample_rate, gain_ceiling=config.gain_ceiling)


def build_engine(
    config: BoxConfig, profile: Profile, synth: Synth, listeners: Iterable[Listener] = ()
) -> Engine:
    return Engine(synth, profile, config.input_ids(), listeners)


class Box:
    """A running box: the engine's owner thread and the inputs feeding it."""

    def __init__(
        self,
        config: BoxConfig,
        profile: Profile,
        synth: Synth,
        *,
        pin_factory: Factory | None = None,
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.config = config
        self.synth = synth
        self.engine = build_engine(config, profile, synth, listeners)
        self.loop = EngineLoop(self.engine)
        self.pin_factory = pin_factory
        self.switches: list[Switch] = []
        #: Inputs that could not be opened, with the reason.
        self.offline: dict[InputId, str] = {}

    def start(self) -> None:
        self.loop.start()
        for number, pin in enumerate(self.config.switch_pins, start=1):
            try:
                switch = Switch(number, pin, self.loop.submit, pin_factory=self.pin_factory)
            except GPIOZeroError as e:
                # One dead jack must not stop the others from playing.
                iid = input_id(InputKind.SWITCH, number)
                self.offline[iid] = f"GPIO{pin}: {e}"
                self.loop.submit(InputOffline(time.monotonic(), iid, self.offline[iid]))
                log.warning("%s on GPIO%d is offline: %s", iid, pin, e)
                continue
            self.switches.append(switch)

    def stop(self) -> None:
        try:
            # Silence first: closing gpiozero devices can take a moment each.
            self.loop.call(lambda: self.engine.release_all(time.monotonic(), "stop"))
            for switch in reversed(self.switches):
                switch.close()
            self.switches.clear()
        finally:
            self.loop.stop(release=False)

    def __enter__(self) -> Box:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
