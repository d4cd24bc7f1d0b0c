"""Beams, access settings and note limits in the engine, heard through a FakeSynth.

Time is explicit: each event is handled at its own time after running every
engine timer due before it, as the live loop and ``tonic render`` do.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.beam import Beam
from appliance.engine.beam_player import CC_CUTOFF, CC_EXPRESSION
from appliance.events import (
    BeamReading,
    Event,
    InputId,
    InputOffline,
    InputOnline,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.music import Key
from appliance.profile import Profile, default_profile
from appliance.sound.fake import FakeSynth

INPUTS = BoxConfig().input_ids()
BEAM = "beam:1"
PING = 1 / 16
KEY = Key.parse("C", "major_pentatonic")
#: Notes of the beam's zones in the default profile (degree 1, octave 4): C D E G A C ...
ZONE_NOTES = [int(KEY.degree_to_note(1 + z, 4)) for z in range(16)]


def profile(**settings: str) -> Profile:
    """The default profile with ``beam_1__zones="5"``-style settings applied."""
    p = default_profile()
    for name, value in settings.items():
        p = p.with_setting(name.replace("__", ".").replace("_", ":", 1), value)
    return p


class Rig:
    """An engine on a FakeSynth; every event runs the timers due before it first."""

    def __init__(self, p: Profile | None = None) -> None:
        self.synth = FakeSynth()
        self.log: list[SoundEvent] = []
        self.engine = Engine(self.synth, p or default_profile(), INPUTS, [self.log.append])

    def advance(self, t: float) -> None:
        self.engine.tick(t)

    def step(self, until: float, every: float = 0.01) -> None:
        """Tick the engine every ``every`` seconds up to ``until``, like a 10 ms loop."""
        t = self.engine.voicing.now
        while t < until - 1e-12:
            t = min(t + every, until)
            self.engine.tick(t)

    def send(self, event: Event) -> None:
        self.engine.tick(event.t)
        self.engine.handle(event)

    def press(self, t: float, iid: str = "switch:1") -> None:
        self.send(Pressed(t, InputId(iid)))

    def release(self, t: float, iid: str = "switch:1") -> None:
        self.send(Released(t, InputId(iid)))

    def set(self, t: float, path: str, value: str) -> None:
        self.send(SetSetting(t, path, value))

    def ping(self, t: float, distance: float | None, iid: str = BEAM) -> None:
        self.send(BeamReading(t, InputId(iid), distance))

    def pings(self, start: float, distances: list[float | None], every: float = PING) -> float:
        """One reading per ping slot from ``start``; return the time of the next slot."""
        t = start
        for d in distances:
            self.ping(t, d)
            t += every
        return t

    # -- what was heard -------------------------------------------------------

    def events(self, kind: SoundKind, source: str = BEAM) -> list[SoundEvent]:
        return [e for e in self.log if e.type is kind and e.source == source]

    def ons(self, source: str = BEAM) -> list[int]:
        return [e.note for e in self.events(SoundKind.NOTE_ON, source)]

    def offs(self, source: str = BEAM) -> list[int]:
        return [e.note for e in self.events(SoundKind.NOTE_OFF, source)]

    def ccs(self, control: int, source: str = BEAM) -> list[SoundEvent]:
        return [e for e in self.events(SoundKind.CC, source) if e.control == control]

    def sounding(self) -> set[tuple[int, int]]:
        on: set[tuple[int, int]] = set()
        for call in self.synth.calls:
            if call[0] == "note_on":
                on.add((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] == "note_off":
                on.discard((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] == "all_notes_off":
                on = set()
        return on

    def status(self, iid: str = BEAM):
        return next(i for i in self.engine.status().inputs if i.id == iid)


def assert_balanced(calls: list[tuple[object, ...]]) -> None:
    count: Counter[tuple[object, object]] = Counter()
    for call in calls:
        if call[0] == "note_on":
            count[call[1], call[2]] += 1
        elif call[0] == "note_off":
            count[call[1], call[2]] -= 1
            assert count[call[1], call[2]] >= 0, f"note_off without a note_on: {call}"
    assert +count == Counter(), f"note_ons never stopped: {+count}"


def cc_for(distance: float, beam: Beam) -> int:
    """Expression's CC value for a hand at ``distance``: 127 near, 24 far."""
    return round(127 + (24 - 127) * beam.position(distance))


FIVE = Beam(0.15, 1.0, 5, 0.02)  # zone edges 0.32, 0.49, 0.66, 0.83


# -- zones ----------------------------------------------------------------------------


def test_zones_entering_plays_the_zone_note_once_confirmed():
    rig = Rig(profile(beam_1__zones="5"))
    rig.ping(1.0, 0.40)
    assert rig.ons() == []  # one ping is not yet a hand
    rig.ping(1.0 + PING, 0.41)
    assert rig.ons() == [ZONE_NOTES[1]] == [62]
    assert rig.events(SoundKind.NOTE_ON)[0].t == 1.0 + PING
    assert rig.status().zone == 1
    assert rig.status().distance == pytest.approx(0.405)  # the two readings' mean


def test_zones_entering_with_one_ping_plays_at_the_confirm_deadline():
    rig = Rig(profile(beam_1__zones="5"))
    rig.ping(1.0, 0.40)
    assert rig.engine.next_deadline() == pytest.approx(1.1)
    rig.advance(1.099)
    assert rig.ons() == []
    rig.advance(1.2)
    assert rig.ons() == [62]
    assert rig.events(SoundKind.NOTE_ON)[0].t == pytest.approx(1.1)


def test_zones_moving_zone_stops_the_old_note_and_starts_the_new():
    rig = Rig(profile(beam_1__zones="5"))
    t = rig.pings(1.0, [0.40, 0.41, 0.45, 0.50, 0.505])  # zone 1, within the hysteresis
    assert (rig.ons(), rig.offs()) == ([62], [])
    rig.ping(t, 0.53)  # past 0.49 + 0.02
    assert rig.ons() == [62, 64]
    assert rig.offs() == [62]
    off, on = rig.log[-2], rig.log[-1]
    assert (off.type, off.note, on.type, on.note) == (
        SoundKind.NOTE_OFF,
        62,
        SoundKind.NOTE_ON,
        64,
    )
    assert off.t == on.t == t
    assert rig.status().zone == 2
    assert rig.status().sounding == ("E4",)


def test_zones_leaving_stops_the_note():
    rig = Rig(profile(beam_1__zones="5"))
    t = rig.pings(1.0, [0.40, 0.41, None])
    assert rig.offs() == []  # one missed echo is not leaving
    rig.pings(t, [None])
    assert rig.offs() == [62]
    assert rig.sounding() == set()
    assert (rig.status().zone, rig.status().distance) == (None, None)
    assert rig.engine.next_deadline() is None
    assert_balanced(rig.synth.calls)


def test_zones_beyond_far_is_leaving():
    rig = Rig(profile(beam_1__zones="5"))
    rig.pings(1.0, [0.95, 0.96, 1.0, 1.01, 1.015])  # within far + hysteresis
    assert rig.offs() == []
    rig.pings(2.0, [1.05])
    assert rig.offs() == [69]
    assert rig.status().zone is None


def test_zones_notes_are_on_the_instruments_shared_channel():
    rig = Rig(profile(beam_1__zones="5"))
    rig.pings(1.0, [0.2, 0.2])
    celesta = [c[1] for c in rig.synth.calls if c[0] == "program" and c[3] == 8]
    assert rig.events(SoundKind.NOTE_ON)[0].channel == celesta[0]


def test_zones_a_single_outlier_plays_nothing():
    rig = Rig(profile(beam_1__zones="5"))
    rig.pings(1.0, [0.5, 0.5, 0.5, 2.5, 0.5, 0.05, 0.5, None, 0.5, 0.5])
    assert rig.ons() == [64]
    assert rig.offs() == []


def test_zones_jitter_on_an_edge_repeats_no_note():
    rig = Rig(profile(beam_1__zones="5"))
    rig.pings(1.0, [0.31, 0.33] * 32)
    assert len(rig.ons()) == 1
    assert rig.offs() == []


# -- expression: volume ----------------------------------------------------------


def expression(kind: str = "volume", **more: str) -> Rig:
    return Rig(profile(beam_1__mode="expression", beam_1__expression=kind, **more))


def test_expression_volume_enters_with_one_note_and_its_level_first():
    rig = expression()
    rig.pings(1.0, [0.9, 0.9])
    [on] = rig.events(SoundKind.NOTE_ON)
    assert on.note == 60
    ccs = rig.ccs(CC_EXPRESSION)
    assert [e.value for e in ccs] == [cc_for(0.9, Beam(0.15, 1.0, 8, 0.02))] == [36]
    # The level is set before the note starts, on the note's own channel.
    assert rig.log.index(ccs[0]) < rig.log.index(on)
    assert ccs[0].channel == on.channel


def test_expression_volume_has_a_channel_of_its_own():
    rig = expression()
    rig.pings(1.0, [0.9, 0.9])
    channel = rig.events(SoundKind.NOTE_ON)[0].channel
    # No other input's instrument was programmed on that channel, and the
    # beam's zones-mode celesta channel is a different one.
    programs = [c for c in rig.synth.calls if c[0] == "program" and c[1] == channel]
    assert len(programs) == 1 and programs[0][3] == 8  # celesta, for this voice only
    rig.press(2.0, "switch:1")
    rig.press(2.0, "pad:1")
    others = [e.channel for e in rig.log if e.type is SoundKind.NOTE_ON and e.source != BEAM]
    assert channel not in others


def test_expression_volume_moving_nearer_raises_cc11_smoothly():
    rig = expression()
    t = rig.pings(1.0, [0.9, 0.9])
    rig.step(t)
    before = len(rig.ccs(CC_EXPRESSION))
    t = rig.pings(t, [0.76] * 3)  # a 14 cm jump: taken at its third agreeing ping
    rig.step(t)
    t -= PING  # when it was taken
    rig.step(t + 0.5)
    moved = rig.ccs(CC_EXPRESSION)[before:]
    values = [e.value for e in moved]
    beam = Beam(0.15, 1.0, 8, 0.02)
    assert values[-1] == cc_for(0.76, beam) == 53
    assert values[0] < values[-1]  # not one jump: the first step is part of the way
    assert len(values) >= 5  # several steps
    assert values == sorted(set(values))  # strictly rising, each value once
    assert all(b - a <= 5 for a, b in itertools.pairwise(values))
    stamps = [e.t for e in moved]
    assert stamps[0] == pytest.approx(t + 0.01)  # the first step one tick later
    assert stamps[-1] - t <= 0.3  # settled within 0.3 s
    # A still hand costs nothing: the only timer left is the note's max_note_s.
    first_on = rig.events(SoundKind.NOTE_ON, BEAM)[0].t
    assert rig.engine.next_deadline() == pytest.approx(first_on + 30.0)
    assert len(rig.ons()) == 1


def test_expression_volume_a_slow_approach_keeps_rising():
    rig = expression()
    t = rig.pings(1.0, [0.95, 0.95])
    for i in range(15):
        rig.ping(t, 0.95 - 0.05 * i)
        rig.step(t + PING)
        t += PING
    rig.step(t + 0.5)
    values = [e.value for e in rig.ccs(CC_EXPRESSION)]
    assert values == sorted(values)
    assert values[-1] == cc_for(0.25, Beam(0.15, 1.0, 8, 0.02))
    assert len(rig.ons()) == 1


def test_expression_volume_leaving_stops_the_note_and_the_glide():
    rig = expression()
    t = rig.pings(1.0, [0.9, 0.9])
    rig.ping(t, 0.76)
    rig.pings(t + 0.02, [None, None])  # leaves mid-glide
    assert rig.offs() == [60]
    assert rig.sounding() == set()
    sent = len(rig.ccs(CC_EXPRESSION))
    rig.step(t + 1.0)
    assert len(rig.ccs(CC_EXPRESSION)) == sent  # nothing moves after the note ended
    assert rig.engine.next_deadline() is None
    assert_balanced(rig.synth.calls)


def test_expression_volume_beyond_far_is_leaving():
    rig = expression()
    rig.pings(1.0, [0.9, 0.95, 1.0, 1.01])
    assert rig.offs() == []
    rig.pings(2.0, [1.1])
    assert rig.offs() == [60]


def test_expression_volume_re_entering_starts_at_the_new_position():
    rig = expression()
    rig.pings(1.0, [0.9, 0.9, None, None])
    rig.pings(2.0, [0.2, 0.2])
    assert rig.ons() == [60, 60]
    last_cc = rig.ccs(CC_EXPRESSION)[-1]
    assert last_cc.value == cc_for(0.2, Beam(0.15, 1.0, 8, 0.02))
    assert rig.log.index(last_cc) < rig.log.index(rig.events(SoundKind.NOTE_ON)[-1])


# -- expression: pitch -------------------------------------------------------------


# Five zones of C major pentatonic span C4..A4 (9 semitones); the engine sets
# the bend range to that span plus two, room for a key change mid-note.
BEND_RANGE = ZONE_NOTES[4] - ZONE_NOTES[0] + 2
RPN = [(101, 0), (100, 0), (6, BEND_RANGE), (38, 0), (101, 127), (100, 127)]


def bend_for(zone: int) -> int:
    """The bend that plays zone ``zone``'s scale note over the base note."""
    semitones = ZONE_NOTES[zone] - ZONE_NOTES[0]
    return min(8191, round(semitones * 8192 / BEND_RANGE))


def test_expression_pitch_sets_the_bend_range_then_the_bend_then_the_note():
    rig = expression("pitch", beam_1__zones="5")
    rig.pings(1.0, [0.2, 0.2])
    beam_log = [e for e in rig.log if e.source == BEAM]
    kinds = [(e.type, e.control, e.value) for e in beam_log]
    assert kinds == [
        *[(SoundKind.CC, c, v) for c, v in RPN],
        (SoundKind.PITCH_BEND, None, 0),
        (SoundKind.NOTE_ON, None, None),
    ]
    assert len({e.channel for e in beam_log}) == 1
    assert beam_log[-1].note == ZONE_NOTES[0] == 60
    # The synth got the RPN in that order too.
    ccs = [(c[2], c[3]) for c in rig.synth.calls if c[0] == "cc" and c[2] != 121]
    assert ccs[-6:] == RPN


def test_expression_pitch_bends_land_on_scale_notes_and_glide_between():
    rig = expression("pitch", beam_1__zones="5")
    t = rig.pings(1.0, [0.2, 0.2])
    for zone in range(1, 5):
        centre = 0.15 + (zone + 0.5) * FIVE.zone_width
        before = len(rig.events(SoundKind.PITCH_BEND))
        # Walk there in small steps, then hold still until it settles.
        d = 0.15 + (zone - 0.5) * FIVE.zone_width
        while d < centre:
            d = min(d + 0.04, centre)
            rig.ping(t, d)
            t += PING
            rig.step(t)
        rig.step(t + 0.6)
        t += 0.6
        bends = [e.value for e in rig.events(SoundKind.PITCH_BEND)[before:]]
        assert bends[-1] == bend_for(zone), f"zone {zone}"
        # Semitones of the bend over C4 make a note of the key.
        semitones = bends[-1] * BEND_RANGE / 8192
        assert KEY.contains(60 + round(semitones))
        assert abs(semitones - round(semitones)) < 0.01
        # It glided there: several intermediate values, all rising.
        assert len(bends) >= 3
        assert bends == sorted(bends)
        assert rig.status().zone == zone
    assert rig.ons() == [60]  # one note all along


def test_expression_pitch_gliding_back_down_lands_on_zero():
    rig = expression("pitch", beam_1__zones="5")
    t = rig.pings(1.0, [0.2, 0.2, 0.34, 0.45])  # zone 1 (0.32..0.49)
    rig.step(t + 0.5)
    assert rig.events(SoundKind.PITCH_BEND)[-1].value == bend_for(1)
    rig.pings(t + 0.5, [0.3, 0.25])
    rig.step(t + 1.5)
    bends = [e.value for e in rig.events(SoundKind.PITCH_BEND)]
    assert bends[-1] == 0
    assert rig.ons() == [60]


def _sent_bend_range(rig: Rig) -> int:
    """The pitch-bend range the engine last set on the beam's channel (RPN 0 data)."""
    return [e.value for e in rig.ccs(6)][-1]


def _settle_at(rig: Rig, t: float, frm: float, to: float) -> float:
    """Move the hand from ``frm`` to ``to`` in 4 cm steps, one per ping, then hold
    still for half a second; return the time after."""
    d = frm
    while abs(to - d) > 1e-9:
        d = min(d + 0.04, to) if to > d else max(d - 0.04, to)
        rig.ping(t, d)
        t += PING
        rig.step(t)
    rig.step(t + 0.5)
    return t + 0.5


def test_expression_pitch_every_zone_of_sixteen_lands_on_its_own_note():
    rig = expression("pitch", beam_1__zones="16")
    beam = Beam(0.15, 1.0, 16, 0.02)
    t = rig.pings(1.0, [0.16, 0.16])
    d = 0.16
    for zone in (8, 10, 12, 15):
        centre = 0.15 + (zone + 0.5) * beam.zone_width
        t = _settle_at(rig, t, d, centre)
        d = centre
        bend = rig.events(SoundKind.PITCH_BEND)[-1].value
        heard = 60 + bend * _sent_bend_range(rig) / 8192
        assert heard == pytest.approx(ZONE_NOTES[zone], abs=0.05), f"zone {zone}"


def test_expression_pitch_follows_a_key_change_mid_note():
    rig = expression("pitch", beam_1__zones="5")
    t = rig.pings(1.0, [0.2, 0.2])
    rig.set(t, "key", "D")
    d_key = Key.parse("D", "major_pentatonic")
    centre = 0.15 + 3.5 * FIVE.zone_width  # zone 3: degree 4, A4 in D major pentatonic
    _settle_at(rig, t + 0.1, 0.2, centre)
    ons = rig.ons()
    bend = rig.events(SoundKind.PITCH_BEND)[-1].value
    heard = ons[-1] + bend * _sent_bend_range(rig) / 8192
    assert heard == pytest.approx(int(d_key.degree_to_note(4, 4)), abs=0.05)


# -- expression: cutoff --------------------------------------------------------------


def test_expression_cutoff_moves_cc74_not_cc11():
    rig = expression("cutoff")
    t = rig.pings(1.0, [0.9, 0.9])
    rig.pings(t, [0.8] * 3)
    rig.step(t + 0.5)
    cutoff = [e.value for e in rig.ccs(CC_CUTOFF)]
    assert cutoff[0] == cc_for(0.9, Beam(0.15, 1.0, 8, 0.02))
    assert cutoff[-1] == cc_for(0.8, Beam(0.15, 1.0, 8, 0.02))
    assert len(cutoff) >= 4
    assert rig.ccs(CC_EXPRESSION) == []
    assert rig.events(SoundKind.PITCH_BEND) == []
    assert rig.ons() == [60]


# -- trigger ------------------------------------------------------------------------


def trigger(**more: str) -> Rig:
    return Rig(profile(beam_1__mode="trigger", **more))


def test_trigger_closer_than_trigger_m_presses_and_pulling_back_releases():
    rig = trigger()  # trigger_m 0.3, hysteresis 0.02
    t = rig.pings(1.0, [0.6, 0.6, 0.5, 0.4, 0.31])
    assert rig.ons() == []
    rig.ping(t, 0.29)
    assert rig.ons() == [60]
    assert rig.events(SoundKind.NOTE_ON)[0].t == t
    assert rig.status().active
    t = rig.pings(t + PING, [0.25, 0.31, 0.319])  # back, but not past 0.3 + 0.02
    assert rig.offs() == []
    rig.ping(t, 0.33)
    assert rig.offs() == [60]
    assert not rig.status().active
    assert_balanced(rig.synth.calls)


def test_trigger_leaving_the_beam_releases():
    rig = trigger()
    t = rig.pings(1.0, [0.2, 0.2])
    assert rig.ons() == [60]
    rig.pings(t, [None, None])
    assert rig.offs() == [60]


def test_trigger_accept_ms_ignores_a_brush_and_takes_a_hold():
    rig = trigger(beam_1__accept_ms="200")
    # A brush: confirmed in range at 1.0625, gone at 1.25 (the third ping away).
    rig.pings(1.0, [0.25, 0.25, 0.5, 0.6, 0.7])
    rig.advance(3.0)
    assert rig.ons() == []
    # A hold: in range from 4.0625 (the confirming ping).
    rig.pings(4.0, [0.25, 0.25, 0.24, 0.25, 0.26, 0.25])
    assert rig.ons() == [60]
    assert rig.events(SoundKind.NOTE_ON)[0].t == pytest.approx(4.0 + PING + 0.2)


def test_trigger_mode_ignores_zones():
    rig = trigger()
    rig.pings(1.0, [0.9, 0.9, 0.8, 0.7, 0.6, 0.5])
    assert rig.ons() == []  # far from the line: no zone notes


# -- max_note_s ----------------------------------------------------------------------


def test_max_note_releases_a_held_switch_at_press_plus_max():
    rig = Rig(profile(switch_1__max_note_s="2"))
    rig.press(1.0)
    assert rig.engine.next_deadline() == pytest.approx(3.0)
    rig.advance(2.999)
    assert rig.offs("switch:1") == []
    rig.advance(3.0)
    [off] = rig.events(SoundKind.NOTE_OFF, "switch:1")
    assert (off.note, off.t) == (60, pytest.approx(3.0))
    assert rig.sounding() == set()


def test_max_note_the_still_held_switch_does_not_replay_until_pressed_again():
    rig = Rig(profile(switch_1__max_note_s="2"))
    rig.press(1.0)
    rig.advance(10.0)
    rig.press(10.5)  # the same contact reported again: still one press
    rig.advance(20.0)
    assert rig.ons("switch:1") == [60]
    rig.release(21.0)
    assert rig.offs("switch:1") == [60]  # the release stops nothing more
    rig.press(22.0)
    assert rig.ons("switch:1") == [60, 60]
    rig.advance(24.0)
    assert rig.offs("switch:1") == [60, 60]
    assert_balanced(rig.synth.calls)


def test_max_note_ends_a_latched_note():
    rig = Rig(profile(switch_1__max_note_s="2", switch_1__mode="latch"))
    rig.press(1.0)
    rig.release(1.2)
    rig.advance(2.99)
    assert rig.sounding() == {(0, 60)}
    rig.advance(3.0)
    assert rig.sounding() == set()
    assert rig.events(SoundKind.NOTE_OFF, "switch:1")[0].t == pytest.approx(3.0)
    # The next press starts the latch afresh rather than "unlatching" silence.
    rig.press(4.0)
    rig.release(4.1)
    assert rig.sounding() == {(0, 60)}


def test_max_note_timer_of_an_earlier_press_does_not_cut_a_later_note():
    rig = Rig(profile(switch_1__max_note_s="2"))
    rig.press(1.0)
    rig.release(1.5)
    rig.press(2.0)
    rig.advance(3.99)
    assert rig.sounding() == {(0, 60)}  # the first press's limit (3.0) is gone
    rig.advance(4.0)
    assert rig.sounding() == set()


def test_max_note_zero_means_no_limit():
    rig = Rig(profile(switch_1__max_note_s="0"))
    rig.press(1.0)
    assert rig.engine.next_deadline() is None
    rig.advance(10_000.0)
    assert rig.sounding() == {(0, 60)}


def test_max_note_ends_a_beam_trigger_note():
    rig = trigger(beam_1__max_note_s="1")
    t = rig.pings(1.0, [0.2, 0.2])  # pressed at 1.0625
    for _ in range(40):
        rig.ping(t, 0.2)
        t += PING
    assert rig.ons() == [60]
    assert rig.events(SoundKind.NOTE_OFF)[0].t == pytest.approx(1.0 + PING + 1.0)


@pytest.mark.parametrize("mode", ["zones", "expression"])
def test_max_note_ends_a_beam_note_held_still(mode):
    rig = Rig(profile(beam_1__mode=mode, beam_1__max_note_s="2"))
    t = rig.pings(1.0, [0.5] * 80)  # a hand (or a chair) resting in the beam for 5 s
    rig.advance(t)
    [on] = rig.events(SoundKind.NOTE_ON)
    assert on.note == (ZONE_NOTES[3] if mode == "zones" else 60)
    offs = rig.events(SoundKind.NOTE_OFF)
    assert offs, "the note outlived max_note_s"
    assert offs[0].t == pytest.approx(on.t + 2.0)


# -- accept settings on switches through the engine -------------------------------


def test_accept_release_and_lockout_through_the_engine():
    rig = Rig(profile(switch_1__accept_ms="100", switch_1__release_ms="200"))
    rig.press(1.0)
    rig.release(1.05)  # brush
    rig.press(2.0)
    rig.release(2.5)
    rig.press(2.6)  # 100 ms gap
    rig.release(3.0)
    rig.advance(5.0)
    ons, offs = (rig.events(k, "switch:1") for k in (SoundKind.NOTE_ON, SoundKind.NOTE_OFF))
    assert [e.t for e in ons] == pytest.approx([2.1])
    assert [e.t for e in offs] == pytest.approx([3.2])
    assert rig.status("switch:1").active is False


# -- changing mode mid-note ----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("zones", "expression"),
        ("zones", "trigger"),
        ("expression", "zones"),
        ("expression", "trigger"),
        ("trigger", "zones"),
        ("trigger", "expression"),
    ],
)
def test_changing_a_beams_mode_mid_note_releases_its_note(old, new):
    rig = Rig(profile(beam_1__mode=old))
    t = rig.pings(1.0, [0.2, 0.2, 0.21])
    assert len(rig.ons()) == 1
    rig.set(t, "beam:1.mode", new)
    assert len(rig.offs()) == 1
    assert rig.sounding() == set()
    assert rig.engine.status().notes_sounding == 0
    # The beam then plays in its new mode from scratch.
    rig.pings(t + 0.1, [0.2, 0.2])
    assert len(rig.ons()) == 2
    rig.pings(t + 1.0, [None, None])
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


def test_changing_expression_kind_keeps_no_stale_glide_running():
    rig = expression()
    t = rig.pings(1.0, [0.9, 0.9])
    rig.set(t, "beam:1.mode", "zones")
    rig.step(t + 1.0)
    assert rig.engine.next_deadline() is None


# -- sensors going offline ------------------------------------------------------


def test_beam_offline_releases_its_note_and_status_says_why():
    rig = Rig(profile(beam_1__zones="5"))
    t = rig.pings(1.0, [0.4, 0.4])
    assert rig.ons() == [62]
    rig.send(InputOffline(t, InputId(BEAM), "no echo for 2 s"))
    assert rig.offs() == [62]
    assert rig.sounding() == set()
    s = rig.status()
    assert (s.online, s.reason) == (False, "no echo for 2 s")
    assert (s.distance, s.zone, s.sounding) == (None, None, ())
    assert rig.engine.next_deadline() is None
    rig.send(InputOnline(t + 1.0, InputId(BEAM)))
    s = rig.status()
    assert (s.online, s.reason) == (True, "")
    # It plays again, starting afresh (a new hand needs confirming).
    rig.ping(t + 1.1, 0.6)
    assert rig.ons() == [62]
    rig.ping(t + 1.1 + PING, 0.6)
    assert rig.ons() == [62, ZONE_NOTES[2]]


def test_expression_beam_offline_releases_its_note():
    rig = expression()
    t = rig.pings(1.0, [0.5, 0.5])
    rig.ping(t, 0.4)  # mid-glide
    rig.send(InputOffline(t + 0.02, InputId(BEAM), "unplugged"))
    assert rig.offs() == [60]
    assert rig.engine.next_deadline() is None
    assert rig.status().online is False


def test_pad_offline_releases_its_note_and_online_restores():
    rig = Rig()
    rig.press(1.0, "pad:3")
    assert rig.ons("pad:3") == [64]
    rig.send(InputOffline(1.5, InputId("pad:3"), "chip lost"))
    assert rig.offs("pad:3") == [64]
    s = rig.status("pad:3")
    assert (s.online, s.reason, s.active, s.sounding) == (False, "chip lost", False, ())
    rig.release(1.6, "pad:3")  # the late release of the lost touch does nothing
    assert rig.offs("pad:3") == [64]
    rig.send(InputOnline(2.0, InputId("pad:3")))
    assert rig.status("pad:3").online is True
    rig.press(2.1, "pad:3")
    assert rig.ons("pad:3") == [64, 64]
    assert rig.engine.status().errors == 0


def test_offline_cancels_a_pending_max_note_and_access_timer():
    rig = Rig(profile(pad_1__accept_ms="300", pad_2__max_note_s="2"))
    rig.press(1.0, "pad:1")  # waiting for its dwell
    rig.press(1.0, "pad:2")
    for pad in ("pad:1", "pad:2"):
        rig.send(InputOffline(1.1, InputId(pad), "gone"))
    assert rig.engine.next_deadline() is None
    rig.advance(10.0)
    assert rig.ons("pad:1") == []
    assert rig.sounding() == set()


# -- status -----------------------------------------------------------------------------


def test_status_shows_the_beams_smoothed_distance_and_zone():
    rig = Rig(profile(beam_1__zones="5"))
    s = rig.status()
    assert (s.distance, s.zone, s.mode) == (None, None, "zones")
    t = rig.pings(1.0, [0.7, 0.72])
    s = rig.status()
    assert (s.distance, s.zone, s.sounding) == (pytest.approx(0.71), 3, ("G4",))
    rig.ping(t, 2.9)  # an outlier: status keeps the hand where it is
    assert (rig.status().distance, rig.status().zone) == (pytest.approx(0.71), 3)


def test_status_zone_clears_when_a_pitch_beam_is_left():
    rig = expression("pitch", beam_1__zones="5")
    rig.pings(1.0, [0.6, 0.6, None, None])
    s = rig.status()
    assert s.distance is None
    assert s.zone is None
