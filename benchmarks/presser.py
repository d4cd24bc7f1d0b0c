"""What the latency benchmarks share: the timing synth and the press driver.

The latency of one press is ``t1 - t0``:

* ``t0`` is ``time.perf_counter()`` taken by the driver thread immediately
  before ``MockPin.drive_low()``. gpiozero's mock pin runs the Button's
  ``when_pressed`` callback inside that call, just as lgpio's callback thread
  would on the Pi.
* ``t1`` is ``time.perf_counter()`` taken on the engine's owner thread
  immediately after FluidSynth's ``noteon`` returns, by :class:`TimedSynth`,
  which wraps the real synth.

One press is in flight at a time: the driver waits for ``t1``, releases the
switch, waits for the note-off, pauses 1-2 ms and presses the next switch, so
every sample is one press through an idle engine and no note is ever held.
(Released notes still ring out; see :class:`VoiceCounter`.)
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from queue import Empty, SimpleQueue
from time import perf_counter

from gpiozero.pins.mock import MockPin

from appliance.box import open_synth
from appliance.config import BoxConfig
from appliance.events import InputId, InputKind, input_id
from appliance.profile import Profile, default_profile
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import Instrument
from appliance.sound.level import PROVISIONAL, Level
from appliance.sound.paced import PacedRenderer
from appliance.sound.synth import Channel, Scheduled, Synth, SynthState

#: Presses measured per latency benchmark (the issue asks for at least 10,000).
PRESSES = 10_000
#: Presses played first and thrown away: imports, first-voice allocation and
#: the CPU's caches settle during these.
WARMUP = 200
#: The pause between one press's note-off and the next press, drawn at random
#: so presses do not lock into phase with the renderer's 1.33 ms period and
#: every point of the audio cycle is sampled.
GAP_S = (0.001, 0.002)
#: How often :func:`drive_presses` calls its ``observe`` hook.
OBSERVE_EVERY = 100
#: How long to wait for a note before calling the box stuck.
STUCK_S = 2.0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def rendering_synth(
    config: BoxConfig, name: str
) -> Iterator[tuple[FluidSynth, TimedSynth, PacedRenderer]]:
    """The box's FluidSynth, timed, with a paced renderer draining it.

    Audio runs before the first input opens, as on the box, so nothing plays
    into a synth that is not being drained; the measurement is taken while the
    synth renders. On the way out the renderer's block count is reported.
    """
    real = open_synth(config)
    renderer = PacedRenderer(real)
    renderer.start()
    try:
        yield real, TimedSynth(real), renderer
    finally:
        renderer.stop()
        real.close()
    progress(f"  {name}: renderer {renderer.blocks} blocks, {renderer.late_blocks} late")


def switch_ids(config: BoxConfig) -> list[InputId]:
    """The box's switches, in the order of their pins."""
    return [input_id(InputKind.SWITCH, n) for n in range(1, len(config.switch_pins) + 1)]


def bench_profile(config: BoxConfig) -> Profile:
    """The default profile with the switches' lock-out turned off.

    The lock-out (``lockout_ms``, 30 ms by default) ignores every edge for
    that long after an accepted press and postpones a release to its end. It
    never delays the press itself, which is the edge measured here, and the
    access filter still runs on every edge; but at several hundred presses a
    second on four switches it would swallow most presses and hold each note
    30 ms, so 10,000 presses would take five minutes. Nothing else changes.
    """
    profile = default_profile()
    for iid in switch_ids(config):
        profile = profile.with_setting(f"{iid}.lockout_ms", "0")
    return profile


class VoiceCounter:
    """Samples how many voices FluidSynth is sounding, between presses.

    The default profile's instruments ring on for 0.6-2.6 s after note-off,
    so at several hundred presses a second the synth sits at its polyphony
    limit and every note-on also steals a voice: the worst case for
    ``fluid_synth_noteon``. This makes that visible in the progress output.
    """

    def __init__(self, synth: FluidSynth) -> None:
        # FluidSynth exposes no voice count; pyfluidsynth's object does.
        self._count = synth._fs.get_active_voice_count
        self.samples: list[int] = []

    def __call__(self) -> None:
        self.samples.append(int(self._count()))

    def report(self) -> str:
        if not self.samples:
            return "no voice samples"
        mean = sum(self.samples) / len(self.samples)
        return f"active voices mean {mean:.0f}, max {max(self.samples)}"


class TimedSynth(Synth):
    """A :class:`Synth` that delegates to the real one and stamps each note-on.

    Its cost inside the measured window is one extra Python call frame before
    the real ``note_on`` (see :func:`wrapper_overhead_ns`); the stamp is taken
    the moment the real call returns, and handing it to the driver happens
    after the stamp, outside the window.
    """

    def __init__(self, inner: Synth) -> None:
        self.inner = inner
        self.gain_ceiling = inner.gain_ceiling
        self.max_velocity = inner.max_velocity
        self.sample_rate = inner.sample_rate
        #: t1 of every note-on, in order; the driver takes them one by one.
        self.note_ons: SimpleQueue[float] = SimpleQueue()
        #: One item per note-off, so the driver knows a release was played.
        self.note_offs: SimpleQueue[float] = SimpleQueue()
        # Bound once here, so the hot path does no attribute look-ups on inner.
        self._note_on = inner.note_on
        self._note_off = inner.note_off
        self._put_on = self.note_ons.put
        self._put_off = self.note_offs.put

    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        self._note_on(channel, note, velocity)
        self._put_on(perf_counter())

    def note_off(self, channel: Channel, note: int) -> None:
        self._note_off(channel, note)
        self._put_off(perf_counter())

    # -- plain delegation: not on the timed path -------------------------------

    @property  # type: ignore[override]
    def state(self) -> SynthState:
        return self.inner.state

    @property  # type: ignore[override]
    def state_reason(self) -> str:
        return self.inner.state_reason

    def select_instrument(self, channel: Channel, instrument: Instrument) -> tuple[int, int]:
        return self.inner.select_instrument(channel, instrument)

    def level_of(self, instrument: Instrument) -> Level:
        # The real synth's levels, provisional or measured, as on the box.
        return self.inner.level_of(instrument)

    def control_change(self, channel: Channel, control: int, value: int) -> None:
        self.inner.control_change(channel, control, value)

    def pitch_bend(self, channel: Channel, value: int) -> None:
        self.inner.pitch_bend(channel, value)

    def all_notes_off(self, channel: Channel | None = None) -> None:
        self.inner.all_notes_off(channel)

    def all_sounds_off(self, channel: Channel | None = None) -> None:
        self.inner.all_sounds_off(channel)

    def reset(self) -> None:
        self.inner.reset()

    def sample_clock(self) -> int:
        return self.inner.sample_clock()

    def schedule(self, events: Sequence[Scheduled]) -> None:
        self.inner.schedule(events)

    def cancel(self, groups: Iterable[int] | None = None) -> None:
        self.inner.cancel(groups)

    def close(self) -> None:
        self.inner.close()


def stamp_in_place(synth: Synth) -> TimedSynth:
    """Stamp the note-ons of a synth a running box already holds (the service's own).

    The returned :class:`TimedSynth` wraps ``synth``, and ``synth``'s own
    ``note_on`` / ``note_off`` are shadowed, on the instance, by the wrapper's:
    the engine calls ``self.synth.note_on`` on every note, so it now runs the
    same one extra call frame as a box built around a ``TimedSynth``. Undo it
    with :func:`unstamp`.
    """
    timed = TimedSynth(synth)  # binds the real methods before they are shadowed
    synth.note_on = timed.note_on  # type: ignore[method-assign]
    synth.note_off = timed.note_off  # type: ignore[method-assign]
    return timed


def unstamp(synth: Synth) -> None:
    """Give ``synth`` its own ``note_on`` / ``note_off`` back (see :func:`stamp_in_place`)."""
    for name in ("note_on", "note_off"):
        vars(synth).pop(name, None)


class _NullSynth(Synth):
    """A synth that does nothing, to time the wrapper alone."""

    def select_instrument(self, channel: Channel, instrument: Instrument) -> tuple[int, int]:
        return instrument.bank, instrument.program

    def level_of(self, instrument: Instrument) -> Level:
        return PROVISIONAL

    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        pass

    def note_off(self, channel: Channel, note: int) -> None:
        pass

    def control_change(self, channel: Channel, control: int, value: int) -> None:
        pass

    def pitch_bend(self, channel: Channel, value: int) -> None:
        pass

    def all_notes_off(self, channel: Channel | None = None) -> None:
        pass

    def all_sounds_off(self, channel: Channel | None = None) -> None:
        pass

    def reset(self) -> None:
        pass

    def sample_clock(self) -> int:
        return 0

    def schedule(self, events: Sequence[Scheduled]) -> None:
        pass

    def cancel(self, groups: Iterable[int] | None = None) -> None:
        pass


def wrapper_overhead_ns(calls: int = 200_000) -> tuple[float, float]:
    """What :class:`TimedSynth` adds to a note-on, in ns per call.

    Returns ``(in_window, total)``: ``in_window`` is the extra call frame that
    runs before the real note-on (inside ``t0..t1``); ``total`` also counts
    the ``perf_counter()`` stamp and the queue put, which run after it. Both
    are measured around a do-nothing synth, best of five rounds.
    """
    null = _NullSynth()
    timed = TimedSynth(null)
    ch = Channel(0)

    class _FrameOnly:
        # The wrapper minus its stamp: exactly what runs before the real call.
        def __init__(self, inner: Synth) -> None:
            self._note_on = inner.note_on

        def note_on(self, channel: Channel, note: int, velocity: int) -> None:
            self._note_on(channel, note, velocity)

    frame_only = _FrameOnly(null)

    def best(fn: Callable[[Channel, int, int], None]) -> float:
        rounds = []
        for _ in range(5):
            start = perf_counter()
            for _ in range(calls):
                fn(ch, 60, 100)
            rounds.append((perf_counter() - start) / calls)
        return min(rounds)

    bare = best(null.note_on)
    in_window = best(frame_only.note_on) - bare
    total = best(timed.note_on) - bare
    # Drain what the timed runs queued.
    while not timed.note_ons.empty():
        timed.note_ons.get_nowait()
    return max(in_window, 0.0) * 1e9, max(total, 0.0) * 1e9


def drive_presses(
    pins: Sequence[MockPin],
    synth: TimedSynth,
    presses: int,
    warmup: int = WARMUP,
    *,
    label: str,
    seed: int = 1,
    observe: Callable[[], None] | None = None,
) -> list[float]:
    """Press and release ``pins`` in rotation; return each press's latency in s.

    Runs on the calling thread, which is the "driver" (the switch-closing
    hand). The first ``warmup`` presses are played but not returned.
    ``observe`` is called every :data:`OBSERVE_EVERY` presses, in a gap, where
    nothing is in flight.
    """
    rng = random.Random(seed)  # the same gaps every run
    on_get, off_get = synth.note_ons.get, synth.note_offs.get
    total = warmup + presses
    samples: list[float] = []
    report_every = max(total // 5, 1)
    started = time.monotonic()
    for i in range(total):
        pin = pins[i % len(pins)]
        try:
            t0 = perf_counter()
            pin.drive_low()
            t1 = on_get(timeout=STUCK_S)
            if i >= warmup:
                samples.append(t1 - t0)
            pin.drive_high()
            off_get(timeout=STUCK_S)
        except Empty:
            raise RuntimeError(
                f"{label}: press {i} on {pin!r} played nothing for {STUCK_S} s"
            ) from None
        # MockPin keeps every edge in a list for test assertions; the real pin
        # keeps nothing, so clear it here, outside the timed window.
        pin.clear_states()
        if observe is not None and i % OBSERVE_EVERY == 0:
            observe()
        time.sleep(rng.uniform(*GAP_S))
        if (i + 1) % report_every == 0:
            progress(f"  {label}: {i + 1}/{total} presses, {time.monotonic() - started:.1f} s")
    return samples
