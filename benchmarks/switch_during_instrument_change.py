"""``bench switch_during_instrument_change``: presses while another switch changes instrument.

The box is ``switch_to_synth``'s (the real :class:`appliance.box.Box`, the
rendering FluidSynth, mock pins, lock-out off) with what the service adds for
instruments: a :class:`appliance.sound.leveller.Leveller` on the synth, whose
``on_levelled`` hands :class:`appliance.events.InstrumentLevelled` to the
engine, as :class:`appliance.service.run.Service` wires it. Switches 1-3 are
pressed exactly as in ``switch_to_synth`` (:func:`benchmarks.presser.drive_presses`)
while a second thread changes switch 4's instrument again and again, each time
to one whose level has never been measured (General MIDI programs and kits
not yet used in this process; when they run out, the process's trims are
forgotten and the walk starts again, so every change costs a real measurement).

Two ways of changing, one phase each:

* ``socket``: :meth:`appliance.service.methods.BoxApi.set`, the control socket's
  ``set``: the worker levels the new instrument first, then the engine applies
  the change with its trim already known.
* ``engine``: ``SetSetting`` submitted straight to the engine's loop, so the
  engine meets an instrument nobody has measured. It must play it at the
  provisional level and leave the measuring to the leveller's thread; the
  bench records on which thread every measurement ran and fails if one ran on
  the engine's.

One change is in flight at a time: the changer waits until the new
instrument is levelled, pauses, then changes again. A quiet phase first (the
same box, no changes) gives the same-process baseline, ``quiet_p99_ms``.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from gpiozero.pins.mock import MockFactory, MockPin

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.events import InputKind, InstrumentLevelled, SetSetting, input_id
from appliance.profile.library import ProfileLibrary
from appliance.service.feed import Feed
from appliance.service.methods import BoxApi
from appliance.sound import levels
from appliance.sound.instruments import Instrument, all_instruments, instrument_for
from appliance.sound.level import Level
from appliance.sound.leveller import Leveller
from appliance.sound.levels import LevelTrims
from benchmarks.presser import (
    WARMUP,
    bench_profile,
    drive_presses,
    progress,
    rendering_synth,
    switch_ids,
)
from benchmarks.stats import Summary, summarize

NAME = "switch_during_instrument_change"
#: The issue's budget: p99 within this factor of ``switch_to_synth``'s, same run.
P99_FACTOR = 2.0
#: Presses measured in each phase (quiet, socket, engine).
PRESSES = 2000
#: The switch whose instrument changes; the others are pressed.
CHANGED = input_id(InputKind.SWITCH, 4)
#: The pause after one change is levelled and before the next, drawn at random.
CHANGE_GAP_S = (0.005, 0.02)
#: Longest one change may take to be levelled before the bench calls it stuck.
LEVEL_TIMEOUT_S = 5.0
ENGINE_THREAD = "tonic-engine"


class Via(StrEnum):
    SOCKET = "socket"  # BoxApi.set: levelled on the caller's thread, then applied
    ENGINE = "engine"  # SetSetting straight to the engine: it meets the unmeasured one


@dataclass(frozen=True, slots=True)
class ChangeResult:
    summary: Summary  # presses during changes, both ways
    by_way: dict[Via, Summary]
    quiet: Summary  # the same box, nothing changing
    changes: int
    measured_by_thread: dict[str, int]

    @property
    def engine_measured(self) -> int:
        return self.measured_by_thread.get(ENGINE_THREAD, 0)

    def line(self) -> str:
        ways = " ".join(f"{via}_p99_ms={s.p99_ms:.3f}" for via, s in self.by_way.items())
        return (
            f"{self.summary.line()} {ways} quiet_p99_ms={self.quiet.p99_ms:.3f} "
            f"changes={self.changes} engine_measured={self.engine_measured}"
        )

    def ok(self, baseline_p99_ms: float) -> bool:
        return self.engine_measured == 0 and self.summary.p99_ms <= P99_FACTOR * baseline_p99_ms


class _FreshInstruments:
    """Instruments whose level nobody in this process has measured yet."""

    def __init__(self, trims: LevelTrims) -> None:
        self.trims = trims
        self.rounds = 1
        self._walk: Iterator[Instrument] = iter(all_instruments())

    def next(self, playing: set[str]) -> Instrument:
        for _ in range(2):
            for instrument in self._walk:
                if instrument.name not in playing and self.trims.known(instrument) is None:
                    return instrument
            # Every instrument has been measured: forget the process's trims
            # (the channels already playing keep their CC7) and walk again.
            with levels._cache_lock:
                levels._cache.clear()
            self.rounds += 1
            self._walk = iter(all_instruments())
        raise RuntimeError(f"{NAME}: no instrument left to change to")


class _Changer:
    """Changes ``CHANGED``'s instrument, one change at a time, until stopped."""

    def __init__(self, box: Box, api: BoxApi, fresh: _FreshInstruments, via: Via) -> None:
        self.box, self.api, self.fresh, self.via = box, api, fresh, via
        self.changes = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._levelled = threading.Event()
        self._waiting_for = ""
        self._thread = threading.Thread(target=self._run, name=f"bench-change-{via}", daemon=True)

    def levelled(self, instrument: Instrument) -> None:
        """The leveller's report (on its thread)."""
        if instrument.name == self._waiting_for:
            self._levelled.set()

    def __enter__(self) -> _Changer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(LEVEL_TIMEOUT_S)
        if self.error is not None:
            raise RuntimeError(f"{NAME}: a change via {self.via} failed") from self.error

    def _run(self) -> None:
        rng = random.Random(2)
        path = f"{CHANGED}.instrument"
        try:
            while not self._stop.is_set():
                profile = self.box.engine.profile
                playing = {profile.settings_for(i).instrument for i in self.box.engine.inputs}
                instrument = self.fresh.next(playing)
                self._waiting_for = instrument.name
                self._levelled.clear()
                if self.via is Via.SOCKET:
                    self.api.set({path: instrument.name})
                else:
                    self.box.loop.submit(SetSetting(time.monotonic(), path, instrument.name))
                if not self._levelled.wait(LEVEL_TIMEOUT_S):
                    raise RuntimeError(f"{instrument.title} not levelled in {LEVEL_TIMEOUT_S} s")
                self.changes += 1
                self._stop.wait(rng.uniform(*CHANGE_GAP_S))
        except BaseException as e:  # reported by __exit__ on the driver's thread
            self.error = e


def _record_threads(trims: LevelTrims) -> Counter[str]:
    """Count, by thread name, every measurement ``trims`` makes from now on."""
    measured: Counter[str] = Counter()
    level_for: Callable[[Instrument], Level] = trims.level_for

    def counting(instrument: Instrument) -> Level:
        if trims.known(instrument) is None:
            measured[threading.current_thread().name] += 1
        return level_for(instrument)

    trims.level_for = counting  # type: ignore[method-assign]
    return measured


def run(presses: int = PRESSES, warmup: int = WARMUP) -> ChangeResult:
    config = BoxConfig()
    factory = MockFactory()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp,
            rendering_synth(config, NAME) as (real, synth, _),
        ):
            measured = _record_threads(real.trims)
            changers: list[_Changer] = []
            built: list[Box] = []  # the box, once there is one

            def levelled(instrument: Instrument, level: Level) -> None:
                # As the service does: the engine sets the channel's level itself.
                for box in built:
                    box.loop.submit(InstrumentLevelled(time.monotonic(), instrument.name))
                for changer in changers:
                    changer.levelled(instrument)

            leveller = Leveller(real.trims, on_levelled=levelled)
            leveller.start()
            real.leveller = leveller
            try:
                profile = bench_profile(config)
                # As the service starts: the first profile's instruments levelled before
                # the box is built, so none is reported to a box that is not there yet.
                leveller.prepare(
                    [instrument_for(profile.settings_for(i).instrument) for i in config.input_ids()]
                )
                box = Box(config, profile, synth, pin_factory=factory)
                built.append(box)
                with box:
                    api = BoxApi(box, ProfileLibrary(tmp), leveller, Feed(box.engine), slug=NAME)
                    pins: list[MockPin] = [
                        factory.pin(pin)
                        for iid, pin in zip(switch_ids(config), config.switch_pins, strict=True)
                        if iid != CHANGED
                    ]
                    progress(f"{NAME}: {warmup} warm-up + {presses} quiet presses on switches 1-3")
                    quiet = drive_presses(pins, synth, presses, warmup, label=f"{NAME} quiet")
                    fresh = _FreshInstruments(real.trims)
                    by_way: dict[Via, list[float]] = {}
                    changes = 0
                    for via in Via:
                        changer = _Changer(box, api, fresh, via)
                        changers[:] = [changer]
                        progress(f"{NAME}: {presses} presses while {CHANGED} changes via {via}")
                        with changer:
                            by_way[via] = drive_presses(
                                pins, synth, presses, 0, label=f"{NAME} {via}"
                            )
                        progress(f"  {NAME} {via}: {changer.changes} instrument changes")
                        changes += changer.changes
            finally:
                leveller.stop()
                real.leveller = None
    finally:
        factory.reset()
    progress(
        f"  {NAME}: {fresh.rounds} walk(s) through the instruments; levels measured on "
        f"{dict(measured)}"
    )
    return ChangeResult(
        summary=summarize(NAME, [s for samples in by_way.values() for s in samples]),
        by_way={via: summarize(f"{NAME} {via}", s) for via, s in by_way.items()},
        quiet=summarize(f"{NAME} quiet", quiet),
        changes=changes,
        measured_by_thread=dict(measured),
    )
