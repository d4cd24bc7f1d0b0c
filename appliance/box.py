"""The one place the box is put together.

The service, ``tonic demo`` and ``tonic render`` build the same engine and
synth here. They differ only in what they hand it: hardware or simulated
pins (a gpiozero pin factory), scripted events, and a live or offline sink.
Parts start in order and stop in reverse, inside ``finally``, so a failure
never leaves a note sounding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sys
import time
from collections.abc import Iterable
from types import TracebackType

from gpiozero import Factory
from gpiozero.exc import GPIOZeroError

from appliance.config import PAD_COUNT, BoxConfig, PadWiring
from appliance.engine import Engine, EngineLoop, EngineStatus
from appliance.engine.engine import Listener
from appliance.errors import TonicError
from appliance.events import InputId, InputKind, InputOffline, input_id
from appliance.inputs.beams import BeamPins, BeamScanner
from appliance.inputs.pads import PadBoard
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


def open_i2c() -> object:
    """The Pi's I2C bus 1 through Blinka, or OSError saying why not."""
    try:
        # Blinka prints board warnings on stdout, which other tools parse.
        with contextlib.redirect_stdout(sys.stderr):
            import board
            import busio

            return busio.I2C(board.SCL, board.SDA)
    except Exception as e:  # Blinka raises many kinds off a Pi
        raise OSError(f"no I2C bus: {e}") from None


class Box:
    """A running box: the engine's owner thread and the inputs feeding it."""

    def __init__(
        self,
        config: BoxConfig,
        profile: Profile,
        synth: Synth,
        *,
        pin_factory: Factory | None = None,
        i2c: object | None = None,
        listeners: Iterable[Listener] = (),
    ) -> None:
        self.config = config
        self.synth = synth
        self.engine = build_engine(config, profile, synth, listeners)
        self.engine.profile_listeners.append(self._profile_changed)
        self.loop = EngineLoop(self.engine)
        self.pin_factory = pin_factory
        self.i2c = i2c  # None: open the Pi's own bus when the pads start
        self.switches: list[Switch] = []
        self.pads: PadBoard | None = None
        self.beams: BeamScanner | None = None
        #: Inputs that could not be opened, with the reason.
        self.offline: dict[InputId, str] = {}

    def start(self) -> None:
        self.loop.start()
        self._start_switches()
        if self.config.pads is not None:
            self._start_pads(self.config.pads)
        if self.config.beams:
            self._start_beams()

    def _start_switches(self) -> None:
        for number, pin in enumerate(self.config.switch_pins, start=1):
            try:
                switch = Switch(number, pin, self.loop.submit, pin_factory=self.pin_factory)
            except GPIOZeroError as e:
                # One dead jack must not stop the others from playing.
                self._offline([input_id(InputKind.SWITCH, number)], f"GPIO{pin}: {e}")
                continue
            self.switches.append(switch)

    def _start_pads(self, wiring: PadWiring) -> None:
        profile = self.engine.profile
        ids = [input_id(InputKind.PAD, n) for n in range(1, PAD_COUNT + 1)]
        thresholds = [_thresholds(profile, iid) for iid in ids]
        try:
            bus = self.i2c if self.i2c is not None else open_i2c()
        except OSError as e:
            self._offline(ids, f"pads: {e}")
            return
        self.pads = PadBoard(
            bus,
            self.loop.submit,
            address=wiring.address,
            irq_pin=wiring.irq_pin,
            pin_factory=self.pin_factory,
            poll_hz=wiring.poll_hz,
            thresholds=thresholds,
        )
        # An absent chip is not an error here: the board reports it offline
        # and keeps retrying, so pads plugged in later start to play.
        self.pads.start()

    def _start_beams(self) -> None:
        pins = [BeamPins(b.trigger, b.echo) for b in self.config.beams]
        try:
            self.beams = BeamScanner(pins, self.loop.submit, pin_factory=self.pin_factory)
        except (GPIOZeroError, ValueError) as e:
            beams = [input_id(InputKind.BEAM, n) for n in range(1, len(pins) + 1)]
            self._offline(beams, f"beam pins: {e}")
            return
        self.beams.start()

    def _offline(self, iids: list[InputId], reason: str) -> None:
        """Mark inputs that could not be opened; one log line for the lot."""
        t = time.monotonic()
        for iid in iids:
            self.offline[iid] = reason
            self.loop.submit(InputOffline(t, iid, reason))
        names = iids[0] if len(iids) == 1 else f"{iids[0]}..{iids[-1]}"
        log.warning("%s offline: %s", names, reason)

    def _profile_changed(self, old: Profile, new: Profile) -> None:
        """Runs on the owner thread: push pad thresholds the therapist changed."""
        if self.pads is None:
            return
        for n in range(1, PAD_COUNT + 1):
            iid = input_id(InputKind.PAD, n)
            wanted = _thresholds(new, iid)
            if wanted != _thresholds(old, iid):
                try:
                    self.pads.set_thresholds(n, *wanted)
                except (TonicError, OSError) as e:
                    log.warning("pad:%d thresholds not applied: %s", n, e)

    def status(self) -> EngineStatus:
        """The engine's status, with each pad's live reading against its baseline."""
        status = self.loop.status()
        levels = {level.pad: level for level in self.pads.levels()} if self.pads else {}
        if not levels:
            return status
        inputs = tuple(
            dataclasses.replace(i, filtered=levels[i.id].filtered, baseline=levels[i.id].baseline)
            if i.id in levels
            else i
            for i in status.inputs
        )
        return dataclasses.replace(status, inputs=inputs)

    def stop(self) -> None:
        try:
            # Silence first: closing gpiozero devices can take a moment each.
            self.loop.call(lambda: self.engine.release_all(time.monotonic(), "stop"))
            if self.beams is not None:
                self.beams.close()
            if self.pads is not None:
                self.pads.close()
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


def _thresholds(profile: Profile, iid: InputId) -> tuple[int, int]:
    settings = profile.settings_for(iid)
    return settings.touch_threshold, settings.release_threshold
