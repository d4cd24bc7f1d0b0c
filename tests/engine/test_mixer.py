"""The mixer on its own: channel volumes, fades, the headroom rule, panic's steps.

Time is the mixer's own (each call carries it); ticks run at the mixer's
deadlines, as the engine and ``tonic render`` run them.
"""

from __future__ import annotations

import itertools
import math

import pytest

from appliance.engine.mixer import (
    CHORD_MARGIN,
    FALL_S,
    FLOOR_DB,
    FORGET_BELOW,
    LIMIT,
    PANIC_FADE_S,
    RELEASE_TAU_S,
    RISE_DB_PER_S,
    Mixer,
    PanicStep,
    next_block,
    volume_db,
)
from appliance.sound.level import FULL_CC7, REFERENCE_GAIN, Level
from appliance.sound.synth import Channel

BLOCK_S = 64 / 48000
CEILING = 2.8
SCALE = CEILING / REFERENCE_GAIN
LOUD = Level(FULL_CC7, 0.6, 0.3)  # a levelled instrument at its target
PIANO = Level(100, 0.5, 0.2)


class Desk:
    """A mixer whose channel volumes are written down with their times."""

    def __init__(self, volume: float = 0.6) -> None:
        self.sent: list[tuple[float, int, int]] = []
        self.now = 0.0
        self.mixer = Mixer(self._send, volume=volume, gain_ceiling=CEILING, block_s=BLOCK_S)

    def _send(self, channel: Channel, value: int) -> None:
        self.sent.append((self.now, channel, value))

    def at(self, t: float) -> Mixer:
        self.now = t
        return self.mixer

    def run_until(self, end: float) -> list[PanicStep]:
        """Tick at every deadline up to ``end``; the panic steps seen, in order."""
        steps = []
        while (due := self.mixer.deadline) is not None and due <= end:
            self.now = due
            step = self.mixer.tick(due)
            if step is not PanicStep.NONE:
                steps.append(step)
        return steps

    def values(self, channel: int) -> list[tuple[float, int]]:
        return [(t, v) for t, c, v in self.sent if c == channel]


def cc_for(trim: int, gain_db: float) -> int:
    return max(1, round(trim * 10 ** (gain_db / 40)))


# -- the volume taper -------------------------------------------------------------------


def test_the_default_volume_sits_seven_and_a_half_db_under_full():
    assert volume_db(1.0) == 0.0
    assert volume_db(0.6) == pytest.approx(-7.5)
    assert volume_db(0.2) < volume_db(0.6) < volume_db(0.8)


@pytest.mark.parametrize("volume", [0.0, -1.0, math.nan, -math.inf])
def test_no_volume_or_a_broken_one_is_the_floor(volume):
    assert volume_db(volume) == FLOOR_DB


@pytest.mark.parametrize("volume", [1.5, 5.0, math.inf])
def test_too_loud_a_volume_is_full_volume_and_no_more(volume):
    assert volume_db(volume) == 0.0


# -- channels -----------------------------------------------------------------------------


def test_a_channel_gets_its_trim_scaled_by_the_volume_before_any_note():
    desk = Desk(volume=0.6)
    desk.mixer.add_channel(Channel(0), PIANO)
    assert desk.sent == [(0.0, 0, cc_for(100, -7.5))]
    assert desk.mixer.deadline is None  # nothing moves, so nothing ticks


def test_full_volume_gives_exactly_the_trim_and_never_more():
    desk = Desk(volume=1.0)
    desk.mixer.add_channel(Channel(0), PIANO)
    desk.mixer.add_channel(Channel(1), LOUD)
    assert [v for _, _, v in desk.sent] == [100, FULL_CC7]


def test_volume_zero_keeps_a_channel_at_its_quietest_not_off():
    # At CC7 0 FluidSynth may drop a held note as inaudible; it must come back.
    desk = Desk(volume=0.0)
    desk.mixer.add_channel(Channel(0), LOUD)
    assert desk.sent[-1][2] == 1


def test_a_measured_level_replaces_the_provisional_one_at_once():
    desk = Desk(volume=1.0)
    desk.mixer.add_channel(Channel(2), Level(55, 0.6, 0.48))
    desk.at(0.5).relevel(Channel(2), PIANO)
    assert desk.sent[-1] == (0.5, 2, 100)


# -- volume moves ---------------------------------------------------------------------------


def test_lowering_the_volume_is_complete_within_24_ms_in_steps_of_one_block():
    desk = Desk(volume=0.8)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.sent.clear()
    desk.at(1.0).set_volume(0.2, 1.0)
    desk.run_until(2.0)
    times = [t for t, _ in desk.values(0)]
    values = [v for _, v in desk.values(0)]
    assert values == sorted(values, reverse=True)  # only ever down
    assert values[-1] == cc_for(FULL_CC7, volume_db(0.2))
    assert times[-1] - 1.0 <= FALL_S + BLOCK_S
    assert len(values) >= 10  # many small steps, not one jump
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(BLOCK_S)
    assert desk.mixer.deadline is None


def test_raising_the_volume_glides_at_its_rate():
    desk = Desk(volume=0.2)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.sent.clear()
    desk.at(1.0).set_volume(0.8, 1.0)
    desk.run_until(3.0)
    times = [t for t, _ in desk.values(0)]
    values = [v for _, v in desk.values(0)]
    assert values == sorted(values)
    assert values[-1] == cc_for(FULL_CC7, volume_db(0.8))
    took = times[-1] - 1.0
    expected = (volume_db(0.8) - volume_db(0.2)) / RISE_DB_PER_S
    # The last step is due once the rounded CC reaches the target, a block or
    # two before the exact dB does.
    assert expected - 4 * BLOCK_S <= took <= expected + 2 * BLOCK_S


def test_raising_from_silence_starts_where_it_can_be_heard_not_at_the_floor():
    desk = Desk(volume=0.0)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.at(1.0).set_volume(1.0, 1.0)
    desk.run_until(5.0)
    assert desk.values(0)[-1][0] - 1.0 <= 40 / RISE_DB_PER_S + 2 * BLOCK_S


def test_a_change_of_mind_mid_fade_turns_back_from_where_it_is():
    desk = Desk(volume=0.8)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.at(1.0).set_volume(0.2, 1.0)
    desk.run_until(1.01)
    reached = desk.sent[-1][2]
    desk.at(1.01).set_volume(0.8, 1.01)
    desk.run_until(3.0)
    after = [v for t, v in desk.values(0) if t > 1.01]
    assert after[0] >= reached - 3  # it fell on until the change, then rose
    assert after == sorted(after)


# -- the headroom rule -------------------------------------------------------------------------


def bound_total(notes: dict[int, tuple[Level, list[int]]], volume: float) -> float:
    """What the mixer's rule says the held notes can peak at, at full headroom."""
    total = 0.0
    for level, velocities in notes.values():
        weights = [(v / 127) ** 2 for v in velocities]
        each = level.note_peak * sum(weights)
        chords = math.ceil(len(weights) / 4)
        total += min(each, level.chord_peak * CHORD_MARGIN * chords * max(weights))
    return total * SCALE * 10 ** (volume_db(volume) / 20)


def test_one_note_at_the_default_volume_is_not_turned_down():
    desk = Desk(volume=0.6)
    desk.mixer.add_channel(Channel(0), PIANO)
    desk.mixer.note_on(Channel(0), 60, 100, 0.5)
    assert desk.mixer.headroom_db == 0.0
    assert desk.mixer.deadline is None


def test_the_box_is_turned_down_in_the_same_call_as_the_note_that_needs_it():
    desk = Desk(volume=1.0)
    for ch in range(4):
        desk.mixer.add_channel(Channel(ch), LOUD)
    notes: dict[int, tuple[Level, list[int]]] = {}
    for i, ch in enumerate([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]):
        desk.sent.clear()
        before = desk.mixer.headroom_db
        desk.at(0.5).note_on(Channel(ch), 60 + i, 127, 0.5)
        notes.setdefault(ch, (LOUD, []))[1].append(127)
        total = bound_total(notes, 1.0)
        applied = total * 10 ** (desk.mixer.headroom_db / 20)
        assert applied <= LIMIT * (1 + 1e-9)
        if desk.mixer.headroom_db < before:
            # every channel's lower volume went out before the note could sound
            assert {c for _, c, _ in desk.sent} == {0, 1, 2, 3}
            assert all(t == 0.5 for t, _, _ in desk.sent)
    assert desk.mixer.headroom_db < -6  # twelve full-velocity notes at full volume


def test_a_chord_counts_as_its_measured_chord_not_as_notes_added_up():
    desk = Desk(volume=1.0)
    desk.mixer.add_channel(Channel(0), LOUD)
    for note in (60, 64, 67):
        desk.mixer.note_on(Channel(0), note, 127, 0.5)
    as_chord = LOUD.chord_peak * CHORD_MARGIN * SCALE
    assert desk.mixer.headroom_db == pytest.approx(20 * math.log10(LIMIT / as_chord))


def test_the_headroom_comes_back_as_notes_end_and_then_ticking_stops():
    desk = Desk(volume=1.0)
    desk.mixer.add_channel(Channel(0), LOUD)
    for note in (60, 64, 67):
        desk.mixer.note_on(Channel(0), note, 127, 0.5)
    low = desk.mixer.headroom_db
    assert low < 0
    assert desk.mixer.deadline is None  # a held chord at a steady gain costs nothing
    desk.mixer.all_released(1.0)
    desk.run_until(4.0)
    assert desk.mixer.headroom_db == 0.0
    values = [v for t, v in desk.values(0) if t > 1.0]
    assert values == sorted(values)
    assert values[-1] == FULL_CC7
    assert desk.mixer.deadline is None


def test_hundreds_of_ringing_notes_count_each_at_its_own_fade_even_out_of_order():
    # A client drumming on every input: 300 short notes, one every 2 ms, a
    # third of them released with a time before a mixer tick already run (an
    # event from another thread, late to the engine), then a loud chord on
    # top. The box is turned down by exactly what the chord and every note
    # still remembered (faded from its own release) add up to.
    desk = Desk(volume=1.0)
    for ch in range(4):
        desk.mixer.add_channel(Channel(ch), PIANO)
    bound = PIANO.note_peak * (100 / 127) ** 2 * SCALE
    released: list[float] = []
    for i in range(300):
        t = 0.5 + i * 0.002
        ch = Channel(i % 4)
        desk.at(t).note_on(ch, 60, 100, t)
        desk.run_until(t + 0.0018)
        off = t + (0.0012 if i % 3 == 0 else 0.0019)
        desk.at(off).note_off(ch, 60, off)
        released.append(off)
        desk.run_until(t + 0.002)
    end = 0.5 + 300 * 0.002
    for note in (60, 64, 67, 72):
        desk.at(end).note_on(Channel(0), note, 127, end)
    fades = [math.exp(-(end - when) / RELEASE_TAU_S) for when in released]
    ringing = sum(bound * fade for fade in fades if fade > FORGET_BELOW)
    assert any(fade <= FORGET_BELOW for fade in fades)  # the oldest are forgotten
    chord = bound_total({0: (PIANO, [127] * 4)}, 1.0)
    expected = 20 * math.log10(LIMIT / (chord + ringing))
    assert desk.mixer.headroom_db == pytest.approx(expected, abs=1e-9)
    desk.mixer.all_released(end + 0.1)
    desk.run_until(end + 10.0)
    assert desk.mixer.headroom_db == 0.0
    assert desk.mixer.deadline is None  # every note forgotten: the ticking stops


def test_a_quieter_velocity_leaves_more_headroom():
    loud, soft = Desk(volume=1.0), Desk(volume=1.0)
    for desk, velocity in ((loud, 127), (soft, 60)):
        desk.mixer.add_channel(Channel(0), LOUD)
        desk.mixer.add_channel(Channel(1), LOUD)
        desk.mixer.note_on(Channel(0), 60, velocity, 0.5)
        desk.mixer.note_on(Channel(1), 62, velocity, 0.5)
    assert loud.mixer.headroom_db < soft.mixer.headroom_db <= 0.0


# -- panic --------------------------------------------------------------------------------------


def test_panic_fades_every_channel_to_nothing_then_cuts_then_restores():
    desk = Desk(volume=0.6)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.mixer.add_channel(Channel(9), PIANO)
    desk.mixer.note_on(Channel(0), 60, 100, 0.5)
    desk.sent.clear()
    desk.at(1.0).panic(1.0)
    assert desk.mixer.panicking
    steps: list[tuple[float, PanicStep]] = []
    while (due := desk.mixer.deadline) is not None and due <= 2.0:
        desk.now = due
        step = desk.mixer.tick(due)
        if step is not PanicStep.NONE:
            steps.append((due, step))
    (cut_at, cut), (reset_at, reset), (restore_at, restore) = steps
    assert (cut, reset, restore) == (PanicStep.CUT, PanicStep.RESET, PanicStep.RESTORE)
    assert cut_at - 1.0 == pytest.approx(PANIC_FADE_S, abs=BLOCK_S)
    assert reset_at - cut_at == pytest.approx(BLOCK_S)
    assert restore_at - reset_at == pytest.approx(BLOCK_S)
    assert not desk.mixer.panicking
    for channel in (0, 9):
        fade = [v for t, v in desk.values(channel) if t < cut_at]
        assert fade == sorted(fade, reverse=True)
        assert len(fade) >= 8  # a fade, not a cut
        assert fade[-1] <= fade[0] / 10
    # After the cut the synth is reset: the channels come back only when the
    # caller adds them again.
    assert desk.mixer.deadline is None


def test_panic_leaves_the_volume_where_it_was_going():
    desk = Desk(volume=0.2)
    desk.mixer.add_channel(Channel(0), LOUD)
    desk.at(1.0).set_volume(0.8, 1.0)
    desk.at(1.1).panic(1.1)
    desk.run_until(1.2)
    desk.sent.clear()
    desk.at(1.2).add_channel(Channel(0), LOUD)
    desk.run_until(3.0)
    assert desk.sent[-1][2] == cc_for(FULL_CC7, volume_db(0.8))


# -- the clock of a box that has been on for hours ------------------------------------------

#: A live box's times are its uptime: nine hours, a month, a year.
UPTIMES_S = (33071.30133333333, 9 * 3600 + 0.123, 30 * 86400 + 0.5, 365 * 86400 + 0.25)


@pytest.mark.parametrize("uptime", UPTIMES_S)
def test_the_next_block_is_always_later_however_long_the_box_has_been_on(uptime):
    t = uptime
    for _ in range(2000):  # every boundary as a timer runs at it, and in between
        following = next_block(t, BLOCK_S)
        assert t < following <= t + BLOCK_S * (1 + 1e-6)
        t = following if int(following * 1e6) % 3 else following - BLOCK_S / 3


@pytest.mark.parametrize("uptime", UPTIMES_S)
def test_a_fade_on_a_box_on_for_hours_ticks_through_to_its_end(uptime):
    # A boundary that came out equal to its own time once made a fade's timer due
    # again at once, for ever: the owner thread spun and the box stopped playing.
    desk = Desk(volume=0.6)
    desk.mixer.add_channel(Channel(0), PIANO)
    desk.at(uptime).set_volume(0.2, uptime)
    ticks = 0
    while (due := desk.mixer.deadline) is not None:
        assert due > desk.now
        desk.at(due).tick(due)
        ticks += 1
        assert ticks < 10 * FALL_S / BLOCK_S, "the fade never ends"
    assert desk.now - uptime == pytest.approx(FALL_S, abs=2 * BLOCK_S)
