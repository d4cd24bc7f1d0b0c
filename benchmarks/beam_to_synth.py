"""``bench beam_to_synth``: a beam reading to FluidSynth's note-on, through the live box.

The beam is the real :class:`appliance.inputs.beams.BeamScanner` pinging a
simulated HC-SR04 (:class:`appliance.inputs.simulated.EchoingTriggerPin`,
which reads the hand exactly) at the box's 16 pings a second. The hand
sweeps the default beam back and forth at a steady 0.5 m/s, the speed the
beam's filter is built to follow (docs/sound.md, "A steady beam"), turning
in the middle of the first and the last zone::

    zone     0     1     2     3     4     5     6     7
    edge  .150  .256  .363  .469  .575  .681  .788  .894  1.00 m
    hand     ●────────────────────────────────────────▶●   3.1 cm further each ping
             ●◀────────────────────────────────────────●   and back: 7 edges a pass

Each ping reads the hand 3.1 cm from the last one, inside the filter's 5 cm
gate, so every reading is believed at once and the estimate runs with the
hand. The reading that carries the estimate past an edge (and its 2 cm of
hysteresis) changes the zone, and the note of the new zone starts while the
engine handles that reading. The turns sit 5 cm from the nearest edge, so
turning never crosses one. About one reading in three plays a note: 480
notes take about 100 s.

The measured path is the box's own::

    echo falls -> BeamScanner stamps the reading -> BeamReading -> EngineLoop.submit
    -> tonic-engine thread wakes -> BeamPlayer (PositionFilter, Beam.zone_for)
    -> Voicing: note-off of the old zone, note-on of the new -> FluidSynth.note_on returns

``t0`` is the reading's own time, stamped by the scanner the moment it saw
the echo end (``time.monotonic``); ``t1`` is taken when the real note-on
returns (``time.perf_counter``). On Linux both read CLOCK_MONOTONIC, which
the bench checks.

Each note-on is paired with what caused it, not guessed from the times:
right after ``t1`` the synth reads the engine's time (``Voicing.now``), which
:meth:`Engine.handle` sets to the stamp of the event it is handling and a
timer to its own deadline. A note whose time is one of the beam's readings
was played by that reading, and is measured. A note a timer started (the
filter taking a run when the sensor falls silent for ``confirm_ms``, which a
steady sweep only meets if the scanner's thread is held up) has no reading
to measure from: it is counted on stderr and left out.
"""

from __future__ import annotations

import math
import time
from queue import Empty, SimpleQueue
from time import perf_counter

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.engine.voicing import Voicing
from appliance.events import BeamReading, Event, InputKind, input_id
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import BeamSettings, default_profile
from appliance.sound.synth import Channel, Synth
from benchmarks.presser import STUCK_S, TimedSynth, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "beam_to_synth"
P99_BUDGET_MS = 1.0
#: Notes measured, after the warm-up.
NOTES = 480
#: Notes played and thrown away first (the hand entering the beam among them).
WARMUP = 16
BEAM = input_id(InputKind.BEAM, 1)
#: The hand's speed: the sweep the filter is built to follow without lag.
SPEED_M_PER_S = 0.5
#: The box's pings a second (BeamScanner's default): one reading per slot.
PINGS_PER_S = 16.0
#: How far the hand moves between two readings of the one beam (3.1 cm),
#: inside the filter's 5 cm gate, so no reading is held back.
STEP_M = SPEED_M_PER_S / PINGS_PER_S


class _CausedSynth(TimedSynth):
    """A :class:`TimedSynth` whose note-ons also carry the engine's time.

    The engine's time is read after ``t1``, outside the measured window; it
    says which event (or timer) the note-on came from.
    """

    def __init__(self, inner: Synth) -> None:
        super().__init__(inner)
        #: (t1, engine time) of every note-on.
        self.caused: SimpleQueue[tuple[float, float]] = SimpleQueue()
        self._put_caused = self.caused.put
        self.voicing: Voicing | None = None  # set once the box is built

    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        self._note_on(channel, note, velocity)
        t1 = perf_counter()
        voicing = self.voicing
        self._put_caused((t1, voicing.now if voicing is not None else math.nan))


class Sweep:
    """The hand's place at each reading: back and forth between two turns."""

    def __init__(self, settings: BeamSettings, step: float = STEP_M) -> None:
        width = (settings.far - settings.near) / settings.zones
        #: The middles of the first and the last zone.
        self.low = settings.near + width / 2
        self.high = settings.far - width / 2
        self.step = step
        self._travelled = 0.0

    def next(self) -> float:
        """Where the hand is at the next reading."""
        span = self.high - self.low
        along = self._travelled % (2 * span)
        self._travelled += self.step
        return self.low + (along if along <= span else 2 * span - along)


def _same_clock() -> None:
    mono = time.get_clock_info("monotonic").implementation
    perf = time.get_clock_info("perf_counter").implementation
    if mono != perf:
        raise RuntimeError(f"{NAME}: monotonic ({mono}) and perf_counter ({perf}) differ here")


def run(notes: int = NOTES, warmup: int = WARMUP) -> Summary:
    _same_clock()
    config = BoxConfig()
    profile = default_profile()
    settings = profile.settings_for(BEAM)
    assert isinstance(settings, BeamSettings)
    hardware = SimulatedHardware(config)
    stamps: SimpleQueue[float] = SimpleQueue()
    try:
        with rendering_synth(config, NAME) as (real, _, _):
            synth = _CausedSynth(real)
            box = Box(config, profile, synth, pin_factory=hardware.factory, i2c=hardware.i2c)
            synth.voicing = box.engine.voicing
            submit = box.loop.submit

            def submit_and_note(event: Event) -> None:
                # The scanner hands its readings here; the stamp was made at the echo.
                submit(event)
                if type(event) is BeamReading and event.distance is not None:
                    stamps.put(event.t)

            box.loop.submit = submit_and_note  # type: ignore[method-assign]
            sweep = Sweep(settings)
            hardware.hand_at(1, sweep.next())
            with box:
                samples = _drive(hardware, sweep, stamps, synth, notes, warmup)
    finally:
        hardware.close()
    return summarize(NAME, samples)


def _drive(
    hardware: SimulatedHardware,
    sweep: Sweep,
    stamps: SimpleQueue[float],
    synth: _CausedSynth,
    notes: int,
    warmup: int,
) -> list[float]:
    samples: list[float] = []
    readings: set[float] = set()  # every reading's stamp, to know a note's cause
    by_timer = played = count = 0
    total = warmup + notes
    started = last_note = time.monotonic()
    while len(samples) < notes:
        try:
            readings.add(stamps.get(timeout=STUCK_S))
        except Empty:
            raise RuntimeError(f"{NAME}: no beam reading for {STUCK_S} s") from None
        count += 1
        # The next ping reads the hand one step on; it is at least a slot away.
        hardware.hand_at(1, sweep.next())
        while not synth.caused.empty():
            t1, cause = synth.caused.get_nowait()
            last_note = time.monotonic()
            played += 1
            if cause not in readings:
                by_timer += 1
            elif played > warmup:
                samples.append(t1 - cause)
                if len(samples) % (notes // 5 or 1) == 0:
                    progress(f"  {NAME}: {played}/{total} notes, {last_note - started:.1f} s")
        if time.monotonic() - last_note > STUCK_S:
            raise RuntimeError(f"{NAME}: the sweep played nothing for {STUCK_S} s")
    progress(
        f"  {NAME}: {count} readings played {played} notes; "
        f"{by_timer} started by a timer, not measured"
    )
    return samples[:notes]
