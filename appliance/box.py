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
import functools
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType

from gpiozero import Factory
from gpiozero.exc import GPIOZeroError

from appliance.config import PAD_COUNT, BoxConfig, PadWiring
from appliance.engine import Engine, EngineLoop, EngineStatus
from appliance.engine.band import profile_loop_start
from appliance.engine.engine import Listener
from appliance.errors import TonicError
from appliance.events import Event, InputId, InputKind, InputOffline, InputOnline, input_id
from appliance.inputs.beams import BeamPins, BeamScanner
from appliance.inputs.midi import MidiPorts
from appliance.inputs.pads import PadBoard, PadLevel
from appliance.inputs.reopen import DEFAULT_RETRY_DELAYS, Reopener
from appliance.inputs.switch import Switch
from appliance.profile import Profile
from appliance.sound.fluid import FluidSynth
from appliance.sound.soundfont import find_soundfont
from appliance.sound.synth import Synth

log = logging.getLogger(__name__)

#: How long stop() waits for the engine's thread, to release the notes and
#: then to end. SIGTERM must see the box exit within 2 s in all.
STOP_TIMEOUT_S = 0.8


def open_synth(config: BoxConfig, soundfont: str | None = None) -> FluidSynth:
    """FluidSynth with the configured soundfont, rendering offline until audio starts."""
    path = find_soundfont(soundfont or config.soundfont)
    return FluidSynth(path, sample_rate=config.sample_rate, gain_ceiling=config.gain_ceiling)


def build_engine(
    config: BoxConfig, profile: Profile, synth: Synth, listeners: Iterable[Listener] = ()
) -> Engine:
    return Engine(synth, profile, config.input_ids(), listeners)


#: The Linux device of an I2C bus by its number.
I2C_DEVICE = "/dev/i2c-{bus}"


def open_i2c(bus: int = 1) -> object:
    """I2C bus ``bus`` (``/dev/i2c-<bus>``) through Blinka, or OSError saying why not.

    The pads' board calls it on its own thread, and again after each failure.
    Blinka's ``busio.I2C`` finds a bus by the pins it is on; the box names its
    bus by number (``pads.i2c_bus``), so the Linux bus is opened by number
    under Blinka's own locking ``busio.I2C`` front, which the MPR121 driver uses.
    """
    device = Path(I2C_DEVICE.format(bus=bus))
    if not device.exists():
        raise OSError(f"no I2C bus: {device} is missing (is I2C enabled? see tonic doctor)")
    try:
        # Blinka prints board warnings on stdout, which other tools parse.
        with contextlib.redirect_stdout(sys.stderr):
            import busio
            from adafruit_blinka.microcontroller.generic_linux.i2c import I2C as LinuxI2C

        class NumberedI2C(busio.I2C):
            def init(self, scl: object, sda: object, frequency: int) -> None:
                self.deinit()
                self._i2c = LinuxI2C(scl, mode=LinuxI2C.MASTER, baudrate=frequency)

        return NumberedI2C(bus, None)
    except Exception as e:  # Blinka raises many kinds off a Pi
        raise OSError(f"I2C bus {device}: {str(e) or type(e).__name__}") from None


class Box:
    """A running box: the engine's owner thread and the inputs feeding it.

    ``start()`` brings the parts up in order (engine thread, switches, pads,
    beams, MIDI ports) and, if one of them fails, undoes what it began in
    reverse before raising, so nothing is left holding a pin or a thread. ``stop()`` silences
    every note first, then stops the parts in reverse, each in ``finally``;
    it is idempotent. Every thread of the box is a daemon and every join has
    a timeout, so nothing here keeps the process from exiting.

    Inputs that cannot be opened never stay silent for the session: a switch
    or the beams whose pins are busy are retried by :class:`Reopener`, and the
    pads' board retries its chip and its I2C bus itself.

    USB-MIDI devices come and go while the box plays: ``midi`` (a
    :class:`~appliance.inputs.midi.MidiPorts`, built by ``midi_ports`` around
    the engine's ``submit``; None for no MIDI at all) opens each one as it is
    plugged in, and says why MIDI is unavailable where there is none.
    """

    def __init__(
        self,
        config: BoxConfig,
        profile: Profile,
        synth: Synth,
        *,
        pin_factory: Factory | None = None,
        i2c: object | None = None,
        open_bus: Callable[[int], object] = open_i2c,
        listeners: Iterable[Listener] = (),
        realtime: bool = False,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        midi_ports: Callable[[Callable[[Event], None]], MidiPorts] | None = MidiPorts,
    ) -> None:
        self.config = config
        self.synth = synth
        self.engine = build_engine(config, profile, synth, listeners)
        self.engine.profile_listeners.append(self._profile_changed)
        #: The service's tuning: SCHED_FIFO for the engine's thread, and the
        #: collector frozen after start-up (see start()). Tests and render do without.
        self.realtime = realtime
        self.loop = EngineLoop(self.engine, realtime=realtime)
        self.pin_factory = pin_factory
        self.i2c = i2c  # None: the pads' board opens the bus with open_bus, and retries it
        self.open_bus = open_bus
        self.reopener = Reopener(retry_delays=retry_delays)
        self._retry_delays = tuple(retry_delays)
        self.switches: list[Switch] = []
        self.pads: PadBoard | None = None
        self.beams: BeamScanner | None = None
        self.midi: MidiPorts | None = None
        if midi_ports is not None:
            self.midi = midi_ports(self.loop.submit)
            # Controllers go on at the pace the engine takes them (midi_gate.py).
            self.engine.event_listeners.append(self.midi.taken)
        #: Inputs that could not be opened, with the reason (until they open).
        self.offline: dict[InputId, str] = {}
        # switches, beams and offline change on the reopener's thread too.
        self._lock = threading.Lock()
        self._parts = contextlib.ExitStack()  # how to stop what has started, in reverse
        self._started = False
        self._stopping = False

    def start(self) -> None:
        """Start every part in order; on any failure, stop what started and raise."""
        if self._started:
            return
        self._started = True
        try:
            self.loop.start()
            self._parts.callback(self._stop_loop)
            if self.engine.profile.loop.play:  # the profile's loop plays from the start
                self.loop.submit(profile_loop_start(self.loop.clock()))
            self._parts.callback(self._close_switches)
            self._start_switches()
            if self.config.pads is not None:
                self._parts.callback(self._close_pads)
                self._start_pads(self.config.pads)
            if self.config.beams:
                self._parts.callback(self._close_beams)
                self._start_beams()
            if self.midi is not None:
                # No MIDI system is not an error: it says why, and keeps looking.
                self._parts.callback(self.midi.close)
                self.midi.start()
        except BaseException:
            log.error("the box could not start; stopping what had started")
            self._stop_parts()
            raise
        if self.realtime:
            # Everything built so far lives as long as the box: move it out of
            # the collector's sight, so its full passes (which stop every
            # thread, the engine's too) stay short for the whole session.
            gc.freeze()

    def _start_switches(self) -> None:
        for number, pin in enumerate(self.config.switch_pins, start=1):
            try:
                switch = self._open_switch(number, pin)
            except GPIOZeroError as e:
                # One dead jack must not stop the others from playing, nor stay
                # dead: the reopener tries its pin again until it is free.
                iid = input_id(InputKind.SWITCH, number)
                self._offline([iid], f"GPIO{pin}: {e}")
                self.reopener.add(
                    str(iid),
                    functools.partial(self._open_switch, number, pin),
                    self._switch_opened,
                )
                continue
            self.switches.append(switch)

    def _open_switch(self, number: int, pin: int) -> Switch:
        return Switch(number, pin, self.loop.submit, pin_factory=self.pin_factory)

    def _switch_opened(self, switch: Switch) -> None:
        """On the reopener's thread: a switch whose pin was busy plays from now on."""
        with self._lock:
            if self._stopping:
                switch.close()
                return
            self.switches.append(switch)
            self.switches.sort(key=lambda s: s.number)
        self._online([switch.id], f"GPIO{switch.pin} free")

    def _start_pads(self, wiring: PadWiring) -> None:
        profile = self.engine.profile
        ids = [input_id(InputKind.PAD, n) for n in range(1, PAD_COUNT + 1)]
        self.pads = PadBoard(
            self.i2c,
            self.loop.submit,
            open_bus=None
            if self.i2c is not None
            else functools.partial(self.open_bus, wiring.i2c_bus),
            address=wiring.address,
            irq_pin=wiring.irq_pin,
            pin_factory=self.pin_factory,
            poll_hz=wiring.poll_hz,
            thresholds=[_thresholds(profile, iid) for iid in ids],
            retry_delays=self._retry_delays,
        )
        # An absent chip or bus is not an error here: the board reports the
        # pads offline and keeps retrying, so pads plugged in later play.
        self.pads.start()

    def _start_beams(self) -> None:
        try:
            scanner = self._open_beams()
        except ValueError as e:
            # Bad wiring (a pin used twice): no retry will mend it.
            self._offline(self._beam_ids(), f"beam pins: {e}")
            return
        except GPIOZeroError as e:
            self._offline(self._beam_ids(), f"beam pins: {e}")
            self.reopener.add("beams", self._open_beams, self._beams_opened)
            return
        self.beams = scanner
        scanner.start()

    def _open_beams(self) -> BeamScanner:
        pins = [BeamPins(b.trigger, b.echo) for b in self.config.beams]
        return BeamScanner(pins, self.loop.submit, pin_factory=self.pin_factory)

    def _beam_ids(self) -> list[InputId]:
        return [input_id(InputKind.BEAM, n) for n in range(1, len(self.config.beams) + 1)]

    def _beams_opened(self, scanner: BeamScanner) -> None:
        """On the reopener's thread: the beams' pins are free at last."""
        with self._lock:
            if self._stopping:
                scanner.close()
                return
            self.beams = scanner
        # Online first: the scanner then reports what it finds (a missing
        # sensor goes offline again after its start-up misses). stop() waits
        # for this thread before it closes the beams.
        self._online(list(scanner.ids), "pins free")
        scanner.start()

    def _offline(self, iids: list[InputId], reason: str) -> None:
        """Mark inputs that could not be opened; one log line for the lot."""
        t = time.monotonic()
        with self._lock:
            for iid in iids:
                self.offline[iid] = reason
                self.loop.submit(InputOffline(t, iid, reason))
        log.warning(
            "%s offline: %s", _names(iids), reason, extra={"input": _names(iids), "error": reason}
        )

    def _online(self, iids: list[InputId], why: str) -> None:
        t = time.monotonic()
        with self._lock:
            for iid in iids:
                self.offline.pop(iid, None)
                self.loop.submit(InputOnline(t, iid))
        log.info("%s online: %s", _names(iids), why, extra={"input": _names(iids)})

    def _profile_changed(self, old: Profile, new: Profile) -> None:
        """Runs on the owner thread: ask for the pad thresholds the therapist changed.

        Never I2C here: the board records them and its own thread writes them.
        """
        if self.pads is None:
            return
        for n in range(1, PAD_COUNT + 1):
            iid = input_id(InputKind.PAD, n)
            wanted = _thresholds(new, iid)
            if wanted != _thresholds(old, iid):
                try:
                    self.pads.set_thresholds(n, *wanted)
                except TonicError as e:
                    log.warning("pad:%d thresholds not applied: %s", n, e)

    def status(self) -> EngineStatus:
        """The engine's status, with each pad's live reading against its baseline.

        The levels are read over I2C on the caller's thread (the control
        socket's, the UI's), never on the engine's: the snapshot comes from the
        owner thread, the I2C happens here after it.
        """
        status = self.loop.status()
        levels: dict[str, PadLevel] = (
            {level.pad: level for level in self.pads.levels()} if self.pads else {}
        )
        if not levels:
            return status
        inputs = tuple(
            dataclasses.replace(i, filtered=levels[i.id].filtered, baseline=levels[i.id].baseline)
            if i.id in levels
            else i
            for i in status.inputs
        )
        return dataclasses.replace(status, inputs=inputs)

    def midi_status(self) -> dict[str, object]:
        """MIDI for the control API's status: available or why not, and the devices."""
        if self.midi is None:
            return {"available": False, "reason": "no MIDI: turned off", "devices": []}
        return self.midi.status()

    def stop(self) -> None:
        """Silence every note, then stop the parts in reverse. Idempotent; never skips
        the silence, even when a part fails to stop."""
        try:
            self._silence()
        finally:
            self._stop_parts()

    def _silence(self) -> None:
        if not self._started or self._stopping:
            return
        try:
            # Silence first: closing gpiozero devices can take a moment each.
            self.loop.call(
                lambda: self.engine.release_all(time.monotonic(), "stop"), STOP_TIMEOUT_S
            )
        except Exception as e:
            # The engine's thread is stuck or broken: a note must not drone on
            # regardless. FluidSynth serialises its own calls, so this is safe
            # from here; the engine's bookkeeping no longer matters.
            log.error("stop: the engine did not release its notes (%r); silencing the synth", e)
            self.synth.all_notes_off()

    def _stop_parts(self) -> None:
        with self._lock:
            self._stopping = True
        try:
            self.reopener.close()  # first: nothing may open while the rest closes
        finally:
            self._parts.close()  # MIDI, beams, pads, switches, then the engine's thread

    def _stop_loop(self) -> None:
        self.loop.stop(STOP_TIMEOUT_S, release=False)

    def _close_switches(self) -> None:
        with self._lock:
            switches, self.switches = self.switches, []
        for switch in reversed(switches):
            try:
                switch.close()
            except Exception:  # the next switch's pin must be freed all the same
                log.exception("%s did not close", switch.id)

    def _close_pads(self) -> None:
        if self.pads is not None:
            self.pads.close()

    def _close_beams(self) -> None:
        with self._lock:
            beams = self.beams
        if beams is not None:
            beams.close()

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


def _names(iids: list[InputId]) -> str:
    return str(iids[0]) if len(iids) == 1 else f"{iids[0]}..{iids[-1]}"


def _thresholds(profile: Profile, iid: InputId) -> tuple[int, int]:
    settings = profile.settings_for(iid)
    return settings.touch_threshold, settings.release_threshold
