"""``bench loop_live_onsets``: the loop's timing in the live box's audio, on a loaded machine.

The box is built as ``tonic run --simulate`` builds it: the real
:class:`appliance.box.Box` with its engine on the service's own
:class:`~appliance.engine.loop.EngineLoop` (the monotonic clock, SCHED_FIFO
asked for, the collector frozen after start), FluidSynth drained by the
paced renderer at real-time pace, mock pins. The renderer also keeps every
block it renders in a WAV. While it runs, one spinning process per core
(:func:`benchmarks.busy.busy_cores`) keeps both of the build machine's
cores busy, from before the box is built until after it stops.

A ``loop start`` command plays :data:`LOOP` at :data:`TEMPO_BPM` until the
synth has rendered :data:`BARS` bars of it (the synth's clock, not the wall's:
a starved renderer falls behind real time), and the box's stop silences it.
Then the audio is read back, every drum step the engine announced in those
bars is found in it (:mod:`benchmarks.onsets`), and its error is measured
from the ideal grid: the first onset plus a whole number of steps.

The line also says how many beats were planned late: handed to the synth
after the block they start in had already been rendered (they would sound
late), and the least lead any beat had.
"""

from __future__ import annotations

import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gpiozero.pins.mock import MockFactory

from appliance.audio_settings import BLOCK_FRAMES
from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.engine.accompaniment import START_S
from appliance.events import BandAction, BandCommand, SoundEvent
from appliance.music.loop import Loop, PartRole
from appliance.music.loops import loop_named
from appliance.music.notes import PitchClass
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import instrument_for
from appliance.sound.paced import PacedRenderer
from appliance.sound.synth import Scheduled, Synth
from appliance.sound.wav import WavWriter
from benchmarks.busy import busy_cores
from benchmarks.onsets import OnsetReport, Templates, drum_hits, find_onsets, frames_of
from benchmarks.presser import TimedSynth, progress
from benchmarks.stats import Summary, summarize
from benchmarks.switch_with_loop import LOOP, level_loop, loop_profile

NAME = "loop_live_onsets"
TEMPO_BPM = 90
BARS = 32
#: The budget: one 64-frame block at 48 kHz (1.333 ms), the sequencer's grain.
P99_BUDGET_MS = 1.33
#: Rendering goes on this many steps past the last bar, so its last onsets
#: are heard whole.
TAIL_STEPS = 2
#: How often the waiting bench reports where the loop is.
REPORT_EVERY_S = 15.0
#: The run is abandoned if the audio takes this many times the loop's length.
PATIENCE = 3.0


class _BeatWatch(TimedSynth):
    """The box's synth, noting how far ahead of the synth's clock each beat is handed
    over, and how long after its planning fell due the owner thread got to it."""

    def __init__(self, inner: Synth) -> None:
        super().__init__(inner)
        self.beats = 0
        self.late_beats = 0
        self.least_lead_blocks: int | None = None
        #: The engine time the running timer fell due (the engine's ``voicing.now``).
        self.due: Callable[[], float] | None = None
        self.most_overdue_s = 0.0

    def schedule(self, events: Sequence[Scheduled]) -> None:
        starts = [e.block for e in events if e.velocity > 0]
        if starts:
            # The block the renderer renders next: a note scheduled for an
            # earlier one sounds late, at the start of this one.
            now = self.inner.sample_clock() // BLOCK_FRAMES
            lead = min(starts) - now
            self.beats += 1
            self.late_beats += lead < 0
            if self.least_lead_blocks is None or lead < self.least_lead_blocks:
                self.least_lead_blocks = lead
            if self.due is not None:
                overdue = time.monotonic() - self.due()
                self.most_overdue_s = max(self.most_overdue_s, overdue)
        self.inner.schedule(events)


@dataclass(frozen=True, slots=True)
class LoopOnsets:
    summary: Summary  # the onsets' distances from the grid
    expected: int  # drum steps in BARS bars of the loop
    unmatched: int  # of those, not found in the audio
    worst_match: float
    beats: int  # beats handed to the synth
    late_beats: int
    lead_min_ms: float
    overdue_max_ms: float  # the most a beat's planning waited for the owner thread
    late_blocks: int  # the renderer's, behind real time (as a live underrun would be)
    behind_s: float  # how far the audio fell behind real time by the end
    busy: int  # spinning processes

    def line(self) -> str:
        return (
            f"{self.summary.line()} bars={BARS} bpm={TEMPO_BPM} beats={self.beats} "
            f"late_beats={self.late_beats} lead_min_ms={self.lead_min_ms:.1f} "
            f"plan_overdue_max_ms={self.overdue_max_ms:.2f} "
            f"unmatched={self.unmatched} late_blocks={self.late_blocks} "
            f"audio_behind_s={self.behind_s:.2f} busy_cores={self.busy}"
        )

    @property
    def ok(self) -> bool:
        found_all = self.unmatched == 0 and self.summary.n == self.expected
        return found_all and self.summary.p99_ms <= P99_BUDGET_MS


def run() -> LoopOnsets:
    config = BoxConfig()
    loop = loop_named(LOOP)
    bar_s = loop.beats * 60.0 / TEMPO_BPM
    step_s = bar_s / loop.steps
    heard: list[SoundEvent] = []
    with tempfile.TemporaryDirectory(prefix="tonic-bench-") as tmp, busy_cores() as spinners:
        progress(
            f"{NAME}: {LOOP} at {TEMPO_BPM} BPM for {BARS} bars ({BARS * bar_s:.0f} s), "
            f"{len(spinners)} spinning processes"
        )
        real = open_synth(config)
        wav = WavWriter(Path(tmp) / "loop.wav", real.sample_rate)
        renderer = PacedRenderer(real, wav)
        level_loop(real)
        synth = _BeatWatch(real)
        factory = MockFactory()
        renderer.start()
        began = time.monotonic()
        try:
            box = Box(
                config,
                loop_profile(config, TEMPO_BPM),
                synth,
                pin_factory=factory,
                listeners=[heard.append],
                realtime=True,  # as the service asks
            )
            synth.due = lambda: box.engine.voicing.now  # read on the owner thread
            with box:
                _play(box, real, bar_s, step_s)
        except BaseException:
            wav.discard()
            raise
        finally:
            renderer.stop()
            factory.reset()
            real.close()
        behind_s = time.monotonic() - began - renderer.blocks * renderer.block / real.sample_rate
        path = wav.commit()
        progress(
            f"  {NAME}: renderer {renderer.blocks} blocks, {renderer.late_blocks} late; "
            f"the audio ended {behind_s:.1f} s behind real time"
        )
        audio = _read(path)
    kit = next(p.instrument for p in loop.parts if p.role is PartRole.DRUMS)
    announced = drum_hits(heard)
    # The first BARS bars' steps, counted from the loop's first downbeat (half a
    # step short of the next bar line, so rounding never lets its downbeat in).
    until = announced[0].t + (BARS * loop.steps - 0.5) * step_s if announced else 0.0
    hits = [h for h in announced if h.t < until]
    alone = open_synth(config)  # renders each step's drums alone, for the templates
    try:
        templates = Templates(alone, instrument_for(kit))
        report = find_onsets(audio, hits, step_s, config.sample_rate, templates)
    finally:
        alone.close()
    expected = BARS * _drum_steps(loop)
    if len(hits) != expected:
        progress(f"  {NAME}: {len(hits)} drum steps announced in {BARS} bars, not {expected}")
    return _result(report, expected, synth, renderer.late_blocks, len(spinners), behind_s)


def _drum_steps(loop: Loop) -> int:
    hits = loop.notes_in_bar(loop.chord_at(0, False), PitchClass(0))
    return len({h.step for h in hits if h.role is PartRole.DRUMS})


def _play(box: Box, synth: FluidSynth, bar_s: float, step_s: float) -> None:
    """Start the loop and wait until its first BARS bars have been rendered."""
    box.loop.submit(BandCommand(time.monotonic(), BandAction.LOOP_START, LOOP))
    # The loop's grid starts START_S after the synth's clock when it took the command.
    origin = box.loop.call(synth.sample_clock)
    end = origin + round((START_S + BARS * bar_s + TAIL_STEPS * step_s) * synth.sample_rate)
    give_up = time.monotonic() + PATIENCE * BARS * bar_s
    reported = time.monotonic()
    while synth.sample_clock() < end:
        if time.monotonic() > give_up:
            raise RuntimeError(f"{NAME}: the audio did not reach bar {BARS}")
        time.sleep(step_s)
        if time.monotonic() - reported >= REPORT_EVERY_S:
            reported = time.monotonic()
            progress(f"  {NAME}: {box.loop.call(box.engine.band.describe) or 'stopped'}")


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as f:
        return frames_of(np.frombuffer(f.readframes(f.getnframes()), dtype="<i2"))


def _result(
    report: OnsetReport,
    expected: int,
    synth: _BeatWatch,
    late_blocks: int,
    busy: int,
    behind_s: float,
) -> LoopOnsets:
    errors = report.errors_s()
    summary = summarize(NAME, errors) if errors else Summary(NAME, 0.0, 0.0, 0.0, 0)
    lead = (synth.least_lead_blocks or 0) * BLOCK_FRAMES / synth.sample_rate
    progress(
        f"  {NAME}: {len(errors)} of {expected} drum steps found (worst match "
        f"{report.worst_match:.3f}); {synth.late_beats} of {synth.beats} beats planned late"
    )
    return LoopOnsets(
        summary,
        expected,
        report.unmatched,
        report.worst_match,
        synth.beats,
        synth.late_beats,
        lead * 1e3,
        synth.most_overdue_s * 1e3,
        late_blocks,
        behind_s,
        busy,
    )
