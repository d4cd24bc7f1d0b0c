"""The accompaniment loop player, through the engine on a FakeSynth.

What is checked is what the synth was handed (:attr:`FakeSynth.scheduled`: the
blocks each note sounds in, and the group that can take it back) and the
record of sound events the engine announces (what ``tonic render --events``
writes). The test moves the synth's sample clock the way ``tonic render``
does: to each timer's time, then to each event's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.accompaniment import (
    DRONE_VELOCITY,
    LEAD_S,
    LOOP_CHANNELS,
    START_S,
    TAKE_BACK_S,
)
from appliance.events import (
    BandAction,
    BandCommand,
    InputId,
    Panic,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.music import Key
from appliance.music.loop import Loop, PartRole
from appliance.music.loops import all_loops, loop_named
from appliance.music.notes import PitchClass
from appliance.music.song import SEMITONES
from appliance.profile import Profile, default_profile
from appliance.sound.fake import FakeSynth
from appliance.sound.synth import BLOCK_FRAMES, DRUM_CHANNEL, Scheduled

RATE = FakeSynth.sample_rate
TEMPO = 90
BARS = 8
PITCHED = frozenset(LOOP_CHANNELS[r] for r in (PartRole.BASS, PartRole.CHORDS, PartRole.PAD))
ROLE_OF = {channel: role for role, channel in LOOP_CHANNELS.items()}


class Rig:
    """An engine on a FakeSynth whose sample clock follows the engine's time,
    as a render moves FluidSynth's: to each timer's time, then to each event's."""

    def __init__(self, profile: Profile | None = None) -> None:
        self.synth = FakeSynth()
        self.log: list[SoundEvent] = []
        self.engine = Engine(
            self.synth, profile or default_profile(), BoxConfig().input_ids(), [self.log.append]
        )
        #: Every event the synth was handed, cancelled or not, and each take-back:
        #: (events handed before it, the sample clock then, the groups or None for all).
        self.handed: list[Scheduled] = []
        self.cancels: list[tuple[int, int, frozenset[int] | None]] = []
        schedule, cancel = self.synth.schedule, self.synth.cancel

        def keep(events: Iterable[Scheduled]) -> None:
            events = list(events)
            self.handed += events
            schedule(events)

        def take_back(groups: Iterable[int] | None = None) -> None:
            groups = None if groups is None else frozenset(groups)
            self.cancels.append((len(self.handed), self.synth.frames, groups))
            cancel(groups)

        self.synth.schedule = keep  # type: ignore[method-assign]
        self.synth.cancel = take_back  # type: ignore[method-assign]

    def played(self) -> list[Scheduled]:
        """What FluidSynth plays of what it was handed: a take-back drops only
        events still to come."""
        return [
            e
            for i, e in enumerate(self.handed)
            if not any(
                i < n and (groups is None or e.group in groups) and e.block * BLOCK_FRAMES > frames
                for n, frames, groups in self.cancels
            )
        ]

    def to_come(self) -> list[Scheduled]:
        """Events the synth still holds that have not played yet."""
        return [e for e in self.synth.scheduled if e.block * BLOCK_FRAMES > self.synth.frames]

    def until(self, t: float) -> None:
        while (when := self.engine.next_deadline()) is not None and when <= t:
            self.synth.frames = max(self.synth.frames, round(when * RATE))
            self.engine.tick(when)
        self.synth.frames = max(self.synth.frames, round(t * RATE))

    def handle(self, event: object) -> None:
        self.until(event.t)  # type: ignore[attr-defined]
        self.engine.handle(event)  # type: ignore[arg-type]

    def set(self, t: float, path: str, value: str) -> None:
        self.handle(SetSetting(t, path, value))

    def start(self, t: float, name: str = "calypso") -> None:
        self.handle(BandCommand(t, BandAction.LOOP_START, name))

    def stop(self, t: float) -> None:
        self.handle(BandCommand(t, BandAction.LOOP_STOP))

    def tap(self, t: float, source: str = "switch:1", held: float = 0.1) -> None:
        self.handle(Pressed(t, InputId(source)))
        self.handle(Released(t + held, InputId(source)))

    def loop_ons(self) -> list[SoundEvent]:
        return [e for e in self.log if e.source == "loop" and e.type is SoundKind.NOTE_ON]

    def sounding(self) -> Counter[tuple[int | None, int | None]]:
        """Notes the record leaves on: note-ons without a note-off of their own."""
        count: Counter[tuple[int | None, int | None]] = Counter()
        for e in self.log:
            if e.type is SoundKind.NOTE_ON:
                count[e.channel, e.note] += 1
            elif e.type is SoundKind.NOTE_OFF and count[e.channel, e.note] > 0:
                count[e.channel, e.note] -= 1
        return +count


def nearest_block(samples: float) -> int:
    """The block a sample position sounds in: the nearest, a tie going later."""
    return math.floor(samples / BLOCK_FRAMES + 0.5)


class Grid:
    """Where a loop started at ``t`` puts its steps, in samples, worked out
    here from the tempo alone: the first downbeat START_S after the command,
    on a block, then ``steps`` equal steps a bar."""

    def __init__(
        self, loop: Loop, t: float = 0.0, tempo: int = TEMPO, downbeat: float | None = None
    ) -> None:
        self.loop = loop
        first = nearest_block((t + START_S) * RATE) * BLOCK_FRAMES
        self.downbeat = first if downbeat is None else downbeat
        self.bar = loop.beats * 60 / tempo * RATE
        self.step = self.bar / loop.steps

    def samples(self, bar: int, step: int = 0) -> float:
        return self.downbeat + bar * self.bar + step * self.step

    def block(self, bar: int, step: int = 0) -> int:
        return nearest_block(self.samples(bar, step))

    def time(self, bar: int, beat: float = 0) -> float:
        return (self.samples(bar) + beat * self.bar / self.loop.beats) / RATE

    def expected(self, bars: int, tonic: int = 0, drone: bool = False) -> Counter:
        """(block, channel, note, velocity) of every note-on of ``bars`` bars."""
        out: Counter = Counter()
        for bar in range(bars):
            chord = self.loop.chord_at(bar, minor=False)
            for hit in self.loop.notes_in_bar(chord, PitchClass(tonic), drone=drone):
                velocity = round(hit.velocity * (DRONE_VELOCITY if drone else 1.0))
                for note in hit.notes:
                    out[self.block(bar, hit.step), LOOP_CHANNELS[hit.role], note, velocity] += 1
        return out


def note_ons(events: Iterable[Scheduled]) -> Counter:
    return Counter((e.block, e.channel, e.note, e.velocity) for e in events if e.velocity > 0)


def block_time(block: int) -> float:
    return block * BLOCK_FRAMES / RATE


def chord_classes(loop: Loop, bar: int, tonic: int, minor: bool = False) -> set[int]:
    chord = loop.chord_at(bar, minor)
    return {(tonic + chord.root + i) % SEMITONES for i in chord.quality.intervals}


def play_bars(name: str, bars: int = BARS, tempo: int = TEMPO) -> Rig:
    rig = Rig()
    rig.set(0.0, "tempo", str(tempo))
    rig.start(0.0, name)
    rig.until(Grid(loop_named(name), tempo=tempo).time(bars) - LEAD_S - 0.01)
    return rig


# -- the grid ------------------------------------------------------------------------


@pytest.mark.parametrize("loop", all_loops(), ids=lambda loop: loop.name)
def test_every_loop_plays_each_bar_on_its_grid(loop):
    rig = play_bars(loop.name)
    assert note_ons(rig.played()) == Grid(loop).expected(BARS)


@pytest.mark.parametrize("name", ["calypso", "waltz", "sea_shanty", "walking_swing"])
def test_every_onset_is_within_half_a_block_of_the_tempo_grid(name):
    """The only rounding is to the synth's block: half a block, 0.67 ms, at most."""
    loop = loop_named(name)
    grid = Grid(loop)
    rig = play_bars(name)
    for e in rig.played():
        position = e.block * BLOCK_FRAMES - grid.downbeat
        steps = position / grid.step
        if e.velocity > 0:
            assert abs(steps - round(steps)) * grid.step <= BLOCK_FRAMES / 2, e


def test_each_beat_is_handed_over_as_a_group_of_its_own():
    loop = loop_named("calypso")
    grid = Grid(loop)
    rig = play_bars("calypso")
    beat_length = grid.bar / loop.beats
    beats_of: dict[int, set[int]] = {}
    for e in rig.handed:
        if e.velocity > 0:  # an onset rounds to its block by half a block at most
            position = e.block * BLOCK_FRAMES - grid.downbeat + BLOCK_FRAMES / 2
            beats_of.setdefault(e.group, set()).add(int(position // beat_length))
    assert all(len(beats) == 1 for beats in beats_of.values()), beats_of
    assert sorted(b for beats in beats_of.values() for b in beats) == list(range(BARS * loop.beats))
    for off in (e for e in rig.handed if e.velocity == 0):
        _, group = max(
            (e.block, e.group)
            for e in rig.handed
            if e.velocity > 0
            and (e.channel, e.note) == (off.channel, off.note)
            and e.block < off.block
        )
        assert off.group == group  # a note-off is taken back with its note-on


def test_a_beat_is_handed_over_lead_s_before_it_sounds():
    rig = Rig()
    rig.start(0.0)
    grid = Grid(loop_named("calypso"), tempo=loop_named("calypso").tempo)
    rig.until(grid.time(0, 1) - LEAD_S - 0.001)
    assert max(e.block for e in rig.handed if e.velocity) < grid.block(0, 4)  # the first beat
    rig.until(grid.time(0, 1) - LEAD_S + 0.001)
    assert max(e.block for e in rig.handed if e.velocity) >= grid.block(0, 4)  # and the second


def test_every_note_is_announced_once_when_it_sounds_as_loop():
    rig = play_bars("calypso")
    now = rig.synth.frames / BLOCK_FRAMES
    sounded = Counter(
        (e.block, e.channel, e.note, e.velocity) for e in rig.played() if e.block <= now
    )
    told = Counter(
        (round(e.t * RATE / BLOCK_FRAMES), e.channel, e.note, e.velocity or 0)
        for e in rig.log
        if e.source == "loop" and e.type in (SoundKind.NOTE_ON, SoundKind.NOTE_OFF)
    )
    assert told == sounded
    assert all(
        abs(e.t * RATE / BLOCK_FRAMES - round(e.t * RATE / BLOCK_FRAMES)) < 1e-6
        for e in rig.log
        if e.source == "loop" and e.note is not None
    )


def test_the_first_downbeat_is_start_s_after_the_command_on_a_block():
    rig = Rig()
    rig.start(1.2345)
    rig.until(3.0)
    first = min(e.t for e in rig.loop_ons())
    assert first == pytest.approx(1.2345 + START_S, abs=BLOCK_FRAMES / RATE / 2)
    assert first * RATE / BLOCK_FRAMES == pytest.approx(round(first * RATE / BLOCK_FRAMES))


# -- bar lines: tempo, key, stop, another loop -------------------------------------------

#: When in a bar the change comes, in beats from its downbeat: early, mid-bar,
#: in the last beat before the next downbeat is handed over, and after that,
#: while it can still be taken back.
IN_THE_BAR = {
    "early": 0.5,
    "mid-bar": 2.0,
    "last beat": 3.1,
    "inside the lead": 4 - (LEAD_S - 0.05) * TEMPO / 60,
    "just before the take-back limit": 4 - (TAKE_BACK_S + 0.005) * TEMPO / 60,
}


@pytest.mark.parametrize("beat", IN_THE_BAR.values(), ids=IN_THE_BAR.keys())
def test_a_tempo_change_in_bar_4_takes_effect_on_the_bar_line(beat):
    loop = loop_named("calypso")
    old, new = Grid(loop), Grid(loop, tempo=120)
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.set(old.time(3, beat), "tempo", "120")
    rig.until(old.time(8))
    line = old.samples(4)  # bar 5's downbeat: the old grid's fifth bar line
    blocks = sorted({e.block for e in rig.played() if e.velocity > 0})
    before = [b for b in blocks if b * BLOCK_FRAMES < line - 1]
    after = [b for b in blocks if b * BLOCK_FRAMES >= line - BLOCK_FRAMES]
    assert before[-1] == old.block(3, 15)  # bars 1-4 whole, at the old tempo
    assert set(before) <= {old.block(bar, s) for bar in range(4) for s in range(16)}
    # From bar 5 on: the new bar length, counted from the old grid's bar line.
    for b in after:
        steps = (b * BLOCK_FRAMES - line) / new.step
        assert abs(steps - round(steps)) * new.step <= BLOCK_FRAMES / 2 + 1e-6
    assert after[0] == round(line / BLOCK_FRAMES)
    assert round(line / BLOCK_FRAMES + new.bar / BLOCK_FRAMES) in after


def test_a_tempo_change_too_close_to_the_bar_line_waits_for_the_next():
    loop = loop_named("calypso")
    old, new = Grid(loop), Grid(loop, tempo=120)
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.set(old.time(4) - TAKE_BACK_S / 2, "tempo", "120")  # bar 5 is already sounding
    rig.until(old.time(8))
    blocks = {e.block for e in rig.played() if e.velocity > 0}
    assert old.block(4, 4) in blocks  # bar 5 at the old tempo ...
    assert round((old.samples(5) + new.bar) / BLOCK_FRAMES) in blocks  # ... bar 6 at the new


def _pitched_in(rig: Rig, start: float, end: float) -> list[Scheduled]:
    return [
        e
        for e in rig.played()
        if e.velocity > 0 and e.channel in PITCHED and start <= e.block * BLOCK_FRAMES < end
    ]


@pytest.mark.parametrize("beat", IN_THE_BAR.values(), ids=IN_THE_BAR.keys())
def test_a_key_change_sounds_from_the_next_bar_line(beat):
    loop = loop_named("calypso")
    grid = Grid(loop)
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.set(grid.time(2, beat), "key", "G")  # during bar 3
    rig.until(grid.time(8))
    g = Key.parse("G", "major").tonic
    for bar in range(8):
        tonic = 0 if bar < 3 else g
        notes = _pitched_in(rig, grid.samples(bar) - 1, grid.samples(bar + 1) - 1)
        assert notes, bar
        assert {e.note % SEMITONES for e in notes} <= chord_classes(loop, bar, tonic), bar


def test_a_minor_scale_plays_the_loops_minor_chords_from_the_next_bar():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.set(grid.time(0, 1), "scale", "minor")
    rig.until(grid.time(3))
    bar_1 = {e.note % 12 for e in _pitched_in(rig, grid.samples(0), grid.samples(1) - 1)}
    bar_2 = {e.note % 12 for e in _pitched_in(rig, grid.samples(1), grid.samples(2) - 1)}
    assert bar_1 == {0, 4, 7}  # I in C major, as it began
    assert bar_2 == {5, 8, 0}  # then iv in C minor: F A-flat C


@pytest.mark.parametrize("beat", IN_THE_BAR.values(), ids=IN_THE_BAR.keys())
def test_stop_ends_the_loop_at_the_next_bar_line_with_every_note_ended(beat):
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.stop(grid.time(3, beat))
    rig.until(grid.time(8))
    last = max(e.t for e in rig.loop_ons())
    assert grid.time(3, 3.5) <= last < grid.time(4) - 0.001  # bar 4 played to its end
    assert not rig.sounding()
    assert not rig.engine.band.loop.playing
    assert rig.to_come() == []


def test_stop_before_the_first_downbeat_plays_nothing():
    rig = Rig()
    rig.start(0.0)
    rig.stop(0.05)
    rig.until(5.0)
    assert rig.loop_ons() == []
    assert not rig.engine.band.loop.playing


@pytest.mark.parametrize("beat", IN_THE_BAR.values(), ids=IN_THE_BAR.keys())
def test_another_loop_starts_at_the_next_bar_line(beat):
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.start(grid.time(3, beat), "walking_swing")
    rig.until(grid.time(6))
    line = grid.time(4)
    old = [e for e in rig.loop_ons() if e.t < line - 0.001]
    new = [e for e in rig.loop_ons() if e.t >= line - 0.001]
    # From the bar line, the new loop's own first bar, at the profile's tempo.
    swing = Grid(loop_named("walking_swing"), downbeat=grid.samples(4))
    first_bar = [
        e
        for e in rig.played()
        if swing.samples(0) - 1 <= e.block * BLOCK_FRAMES < swing.samples(1) - 1
    ]
    assert note_ons(first_bar) == swing.expected(1)
    assert min(e.t for e in new) == pytest.approx(line, abs=0.001)
    assert old and {e.channel for e in old} >= {DRUM_CHANNEL, 14}
    # Each channel's new instrument is set after the old loop's last note-on there
    # and before the new loop's first.
    programs = [e for e in rig.log if e.type is SoundKind.PROGRAM and e.source == "loop"]
    switched = [e for e in programs if e.t > 0.0]
    assert {e.instrument for e in switched} >= {"jazz_kit", "electric_piano_1"}
    for e in switched:
        last_old = max(o.t for o in old if o.channel == e.channel)
        first_new = min(o.t for o in new if o.channel == e.channel)
        assert last_old < e.t < first_new, (e, last_old, first_new)


def test_a_loop_started_while_one_stops_at_a_line_not_yet_reached_plays_on_the_grid():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    rig.stop(grid.time(1, 1))
    rig.start(grid.time(2) - LEAD_S / 2, "calypso")  # after bar 3 was decided: the stop
    rig.until(grid.time(4))
    blocks = {e.block for e in rig.played() if e.velocity > 0}
    assert grid.block(2) in blocks and grid.block(3, 4) in blocks


# -- silence: panic, profile loads ---------------------------------------------------------


def test_panic_silences_the_loop_at_once_and_takes_back_every_note_to_come():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    at = grid.time(1, 1.3)  # the bar's pad note is sounding, its note-off to come
    rig.handle(Panic(at))
    assert not rig.sounding()
    offs = [e for e in rig.log if e.type is SoundKind.NOTE_OFF and e.t == at]
    assert {(e.channel, e.note) for e in offs} >= {(15, 53), (15, 57), (15, 60)}  # the pad
    assert rig.to_come() == []  # the pad's note-off included: nothing left to fire later
    rig.until(at + 10)
    assert max(e.t for e in rig.loop_ons()) < at
    assert not rig.engine.band.loop.playing


def test_a_loop_started_after_a_panic_is_not_cut_by_the_old_loops_note_offs():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    panic = grid.time(0, 1.5)
    rig.handle(Panic(panic))
    rig.start(grid.time(0, 2))  # the same pad chord, the old one's note-off due in its bar
    rig.until(grid.time(0, 2) + 4 * grid.bar / RATE)  # its bars 1 and 4 play I
    after = [
        e
        for e in rig.played()
        if e.channel == LOOP_CHANNELS[PartRole.PAD] and e.note == 48 and block_time(e.block) > panic
    ]
    ons = sorted(e.block for e in after if e.velocity > 0)
    offs = sorted(e.block for e in after if e.velocity == 0)
    assert len(ons) == len(offs) == 2  # no stray note-off from before the panic
    bar = Grid(loop_named("calypso")).bar / BLOCK_FRAMES
    assert all(off == on + bar - 1 for on, off in zip(ons, offs, strict=True))  # whole bars


def test_a_profile_load_silences_the_loop():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    at = grid.time(1, 1.5)
    rig.until(at)
    rig.engine.load_profile(default_profile(), at)
    rig.until(at + 8)
    assert max(e.t for e in rig.loop_ons()) <= at
    assert not rig.sounding()
    assert not rig.engine.band.loop.playing


def test_a_profile_load_with_play_true_starts_its_loop_afresh():
    rig = Rig()
    rig.start(0.0, "calypso")
    rig.until(3.0)
    profile = default_profile().with_settings([("loop.play", "true"), ("loop.name", "waltz")])
    rig.engine.load_profile(profile, 3.0)
    rig.until(6.0)
    waltz = loop_named("waltz")
    ons = [e for e in rig.loop_ons() if e.t > 3.0]
    assert min(e.t for e in ons) == pytest.approx(3.0 + START_S, abs=0.001)
    assert rig.engine.band.loop.loop is waltz
    assert all(e.t < 3.0 for e in rig.loop_ons() if e.channel == DRUM_CHANNEL)  # waltz: no drums


# -- wait for me --------------------------------------------------------------------------


def wait_rig() -> tuple[Rig, Grid]:
    loop = loop_named("calypso")
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.set(0.0, "loop.wait", "true")
    rig.start(0.0)
    return rig, Grid(loop)


def _bar_notes(rig: Rig, grid: Grid, bar: int) -> list[Scheduled]:
    return [
        e
        for e in rig.played()
        if e.velocity > 0
        and grid.samples(bar) - 1 <= e.block * BLOCK_FRAMES < grid.samples(bar + 1) - 1
    ]


def test_waiting_with_nobody_playing_holds_the_chord_on_the_drone_softly():
    rig, grid = wait_rig()
    rig.until(grid.time(4) - LEAD_S - 0.01)
    drone = {LOOP_CHANNELS[p.role] for p in grid.loop.parts if p.in_drone}
    assert note_ons(rig.played()) == Counter(
        {
            (b + (grid.block(bar) - grid.block(0)), c, n, v): k
            for bar in range(4)
            for (b, c, n, v), k in grid.expected(1, drone=True).items()
        }
    )
    assert {e.channel for e in rig.played()} == drone
    full = {(c, n): v for (_, c, n, v) in grid.expected(1)}
    assert all(e.velocity < full[e.channel, e.note] for e in rig.played() if e.velocity)


def test_the_progression_moves_while_the_client_plays_and_holds_when_they_stop():
    rig, grid = wait_rig()
    for bar in range(2):  # bars 1 and 2 played in
        rig.tap(grid.time(bar, 1.2))
    rig.until(grid.time(7))
    chords = [
        {e.note % 12 for e in _bar_notes(rig, grid, bar) if e.channel in PITCHED}
        for bar in range(7)
    ]
    i, iv, v = ({0, 4, 7}, {5, 9, 0}, {7, 11, 2})
    assert chords[:3] == [i, iv, v]  # each bar played in moves the next on
    assert chords[3:] == [v] * 4  # nobody has played since: V holds, bar after bar
    drone = {LOOP_CHANNELS[p.role] for p in grid.loop.parts if p.in_drone}
    assert {e.channel for bar in range(3, 7) for e in _bar_notes(rig, grid, bar)} == drone
    assert len({e.channel for e in _bar_notes(rig, grid, 1)}) == len(LOOP_CHANNELS)


#: How long before a beat the press comes: far, inside the lead window, near its limit.
PRESS_BEFORE_BEAT = {
    "a third of a beat": 60 / TEMPO / 3,
    "inside the lead window": LEAD_S * 0.7,
    "30 ms": 0.03,
    "just over the take-back limit": TAKE_BACK_S + 0.002,
}


@pytest.mark.parametrize("ahead", PRESS_BEFORE_BEAT.values(), ids=PRESS_BEFORE_BEAT.keys())
def test_a_press_wakes_the_full_band_on_the_next_beat(ahead):
    rig, grid = wait_rig()
    beat = grid.time(2, 2)  # bar 3, beat 3: the band has waited two bars
    rig.tap(beat - ahead)
    rig.until(grid.time(4))
    full_only = {LOOP_CHANNELS[p.role] for p in grid.loop.parts if not p.in_drone}
    woken = [e for e in rig.played() if e.velocity > 0 and e.channel in full_only]
    assert woken, "the band never woke"
    assert block_time(min(e.block for e in woken)) == pytest.approx(beat, abs=0.001)


def test_a_press_too_close_to_a_beat_wakes_the_band_on_the_one_after():
    rig, grid = wait_rig()
    beat = grid.time(2, 2)
    rig.tap(beat - TAKE_BACK_S / 2)  # that beat is already with the synth for good
    rig.until(grid.time(4))
    full_only = {LOOP_CHANNELS[p.role] for p in grid.loop.parts if not p.in_drone}
    woken = [e for e in rig.played() if e.velocity > 0 and e.channel in full_only]
    assert block_time(min(e.block for e in woken)) == pytest.approx(grid.time(2, 3), abs=0.001)


def test_a_press_in_a_bars_last_moments_moves_the_next_bar_on():
    rig, grid = wait_rig()
    rig.tap(grid.time(2) - LEAD_S / 2)  # bar 3's downbeat already handed over, held on I
    rig.until(grid.time(4))
    chords = [
        {e.note % 12 for e in _bar_notes(rig, grid, bar) if e.channel in PITCHED}
        for bar in range(4)
    ]
    assert chords == [{0, 4, 7}, {0, 4, 7}, {5, 9, 0}, {5, 9, 0}]  # bar 2 was played in


# -- harmony = loop --------------------------------------------------------------------------


def test_clients_play_the_chord_of_the_bar_sounding():
    loop = loop_named("calypso")
    grid = Grid(loop)
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.set(0.0, "harmony", "loop")
    rig.start(0.0)
    sources = ["switch:1", "switch:2", "switch:3", "switch:4", "pad:2", "pad:4", "pad:6", "pad:7"]
    for bar in range(BARS):
        for i, source in enumerate(sources):
            rig.tap(grid.time(bar, 0.1 + i * 0.45), source, held=0.05)
    rig.until(grid.time(BARS))
    client = [e for e in rig.log if e.type is SoundKind.NOTE_ON and e.source in sources]
    assert len(client) == BARS * len(sources)
    for e in client:
        bar = int((e.t * RATE - grid.downbeat) // grid.bar)
        assert e.note is not None and e.note % 12 in chord_classes(loop, bar, 0), (bar, e)


def test_the_status_names_the_loop_and_its_bar():
    grid = Grid(loop_named("calypso"))
    rig = Rig()
    rig.set(0.0, "tempo", str(TEMPO))
    rig.start(0.0)
    assert rig.engine.band.loop.describe() == "calypso, starting"
    rig.until(grid.time(2, 1))
    assert rig.engine.band.loop.describe() == "calypso, bar 3"
