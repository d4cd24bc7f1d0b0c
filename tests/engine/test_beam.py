"""From raw pings to a steady position: the position filter and the zone geometry, pure.

Every reading carries its own time and due deadlines are ticked first, as the
engine does, so nothing here reads a clock.
"""

from __future__ import annotations

import itertools

import pytest

from appliance.engine.beam import (
    GATE_M,
    JUMP_M,
    TRACK_READINGS,
    TRACK_WINDOW_S,
    Beam,
    PositionFilter,
)
from appliance.profile import BeamSettings

CONFIRM = 0.1  # the profile default, 100 ms
PING = 1 / 16  # one ping slot on the live box


def feed(
    f: PositionFilter, start: float, readings: list[float | None], step: float = PING
) -> list[float | None]:
    """Feed readings one ping apart, ticking due deadlines first as the engine does;
    return the estimate after each reading."""
    seen = []
    t = start
    for distance in readings:
        if f.deadline is not None and f.deadline <= t:
            f.tick(f.deadline)
        f.reading(t, distance, CONFIRM)
        seen.append(f.estimate)
        t += step
    return seen


def settled(distance: float, t: float = 0.0) -> PositionFilter:
    """A filter that has seen a still hand at ``distance`` for a whole track."""
    f = PositionFilter()
    feed(f, t, [distance] * TRACK_READINGS)
    assert f.estimate == pytest.approx(distance)
    return f


def after(f: PositionFilter, pings: int, t: float = 0.0) -> float:
    """The time ``pings`` slots after a track :func:`settled` at ``t`` began."""
    return t + (TRACK_READINGS + pings - 1) * PING


# -- a still hand ----------------------------------------------------------------------


def test_a_still_hand_is_averaged_well_inside_the_jitter():
    f = PositionFilter()
    seen = feed(f, 0.0, [0.49, 0.51] * TRACK_READINGS)
    # Each reading is 1 cm off; the estimate settles within 1 mm of the hand.
    assert all(abs(e - 0.5) <= 0.001 for e in seen[TRACK_READINGS:] if e is not None)


def test_an_outlier_inside_the_gate_barely_moves_the_estimate():
    f = PositionFilter()
    feed(f, 0.0, [0.495, 0.505] * 6)
    seen = feed(f, 12 * PING, [0.5 + GATE_M - 0.005, 0.5, 0.5, 0.5])
    assert all(abs(e - 0.5) <= 0.002 for e in seen)


@pytest.mark.parametrize("outlier", [2.5, 0.02, 0.9, 0.5 + GATE_M + 0.01, None])
def test_a_single_outlier_between_normal_pings_is_never_seen(outlier):
    f = settled(0.5)
    seen = feed(f, after(f, 1), [0.5, outlier, 0.5, 0.5])
    assert seen == pytest.approx([0.5] * 4)
    assert f.deadline is None  # the outlier's candidate was dropped
    assert f.tick(10.0) is False


def test_two_outliers_in_a_row_are_never_seen():
    f = settled(0.5)
    seen = feed(f, after(f, 1), [0.8, 0.82, 0.5, 0.5])
    assert seen == pytest.approx([0.5] * 4)


def test_three_readings_that_are_not_on_one_line_are_not_a_move():
    f = settled(0.5)
    # Each within JUMP_M of the last, but the third is 15 cm off the line of the first two.
    seen = feed(f, after(f, 1), [0.8, 0.9, 0.85, 0.5])
    assert seen == pytest.approx([0.5] * 4)


def test_a_lone_last_outlier_is_not_taken_when_the_pings_stop():
    f = settled(0.5)
    t = after(f, 1)
    assert f.reading(t, 0.9, CONFIRM) is False
    assert f.deadline is None  # a steady stream contradicts it: silence proves nothing
    assert f.tick(t + 10.0) is False
    assert f.estimate == pytest.approx(0.5)


# -- a moving hand ------------------------------------------------------------------------


def test_a_steady_sweep_is_followed_without_lag():
    f = PositionFilter()
    sweep = [0.2 + 0.03125 * i for i in range(20)]  # 0.5 m/s
    seen = feed(f, 0.0, sweep)
    # A ping covers 31 mm. Within a few pings the estimate is with the hand,
    # not a ping behind it; once the track is full it trails by half a millimetre.
    assert seen[3:] == pytest.approx(sweep[3:], abs=0.004)
    assert seen[TRACK_READINGS:] == pytest.approx(sweep[TRACK_READINGS:], abs=0.0006)


def test_a_hand_that_stops_dead_is_never_carried_past_where_it_stopped():
    f = PositionFilter()
    approach = [0.95 - 0.05 * i for i in range(15)]  # 0.8 m/s towards the sensor
    seen = feed(f, 0.0, [0.95, 0.95, *approach, *[0.25] * 16])
    assert min(e for e in seen if e is not None) == pytest.approx(0.25)
    assert seen[-1] == pytest.approx(0.25)


def test_a_hand_that_starts_to_move_is_followed_within_a_few_pings():
    f = settled(0.25)
    seen = feed(f, after(f, 1), [0.29, 0.31, 0.315, 0.36])
    assert seen[-1] > 0.34  # with the hand, not averaged back towards 0.25


def test_a_real_jump_is_taken_at_the_third_agreeing_ping():
    f = settled(0.5)
    t = after(f, 1)
    seen = feed(f, t, [0.8, 0.8, 0.8])
    assert seen[:2] == pytest.approx([0.5, 0.5])
    assert seen[2] == pytest.approx(0.8)


def test_a_run_of_two_is_taken_when_the_pings_stop_for_confirm_s():
    f = settled(0.5)
    t = after(f, 1)
    feed(f, t, [0.8, 0.8])
    assert f.deadline == pytest.approx(t + PING + CONFIRM)  # from its last reading
    assert f.tick(t + PING + CONFIRM - 1e-6) is False
    assert f.tick(t + PING + CONFIRM) is True
    assert f.estimate == pytest.approx(0.8)


def test_after_a_silence_a_move_a_hand_could_make_is_taken_at_once():
    f = settled(0.5)
    later = after(f, 0) + TRACK_WINDOW_S + 0.5  # nothing heard for longer than the track
    assert f.reading(later, 0.5 + JUMP_M - 0.01, CONFIRM) is True
    assert f.estimate == pytest.approx(0.5 + JUMP_M - 0.01)


def test_after_a_silence_a_bigger_jump_waits_for_confirm_s():
    f = settled(0.5)
    later = after(f, 0) + TRACK_WINDOW_S + 0.5
    assert f.reading(later, 0.9, CONFIRM) is False
    assert f.deadline == pytest.approx(later + CONFIRM)
    assert f.tick(later + CONFIRM) is True
    assert f.estimate == pytest.approx(0.9)


# -- entering and leaving ---------------------------------------------------------------


def test_entering_from_nothing_needs_a_second_agreeing_reading():
    f = PositionFilter()
    assert f.reading(1.0, 0.4, CONFIRM) is False
    assert f.estimate is None
    assert f.reading(1.0 + PING, 0.41, CONFIRM) is True
    assert f.estimate == pytest.approx(0.405)  # the mean of the two
    assert f.deadline is None


def test_entering_unconfirmed_is_taken_at_confirm_s():
    f = PositionFilter()
    f.reading(1.0, 0.4, CONFIRM)
    assert f.deadline == pytest.approx(1.1)
    assert f.tick(1.1) is True
    assert f.estimate == pytest.approx(0.4)


def test_one_spurious_echo_from_an_empty_beam_is_ignored():
    f = PositionFilter()
    assert feed(f, 1.0, [None, 0.7, None, None]) == [None] * 4
    assert f.deadline is None
    assert f.tick(10.0) is False


def test_leaving_needs_a_second_empty_reading():
    f = settled(0.5)
    t = after(f, 1)
    assert f.reading(t, None, CONFIRM) is False
    assert f.estimate == pytest.approx(0.5)
    assert f.reading(t + PING, None, CONFIRM) is True
    assert f.estimate is None


def test_leaving_unconfirmed_is_taken_at_confirm_s():
    f = settled(0.5)
    t = after(f, 1)
    f.reading(t, None, CONFIRM)
    assert f.deadline == pytest.approx(t + CONFIRM)
    assert f.tick(t + CONFIRM) is True
    assert f.estimate is None


def test_confirm_zero_takes_everything_at_once():
    f = PositionFilter()
    assert f.reading(1.0, 0.5, 0.0) is True
    assert f.reading(1.0 + PING, 2.5, 0.0) is True
    assert f.estimate == pytest.approx(2.5)
    assert f.reading(1.0 + 2 * PING, None, 0.0) is True
    assert f.estimate is None
    assert f.deadline is None


def test_clear_forgets_estimate_track_and_candidates():
    f = settled(0.5)
    f.reading(after(f, 1), None, CONFIRM)
    f.clear()
    assert (f.estimate, f.deadline, f.present) == (None, None, False)
    assert f.tick(5.0) is False
    assert f.reading(6.0, 0.5, CONFIRM) is False  # entering again needs confirming


def test_readings_stamped_at_one_instant_are_averaged():
    f = PositionFilter()
    feed(f, 1.0, [0.42, 0.43, 0.44, 0.43], step=0.0)  # no time between: no speed to see
    assert f.estimate == pytest.approx(0.43)


@pytest.mark.parametrize(("first", "second"), itertools.product([0.3, 0.6], [0.31, 0.59]))
def test_the_estimate_never_leaves_the_readings_range(first, second):
    f = PositionFilter()
    seen = feed(f, 0.0, [first, second] * 8)
    low, high = min(first, second), max(first, second)
    assert all(low - 1e-9 <= e <= high + 1e-9 for e in seen if e is not None)


# -- Beam: zones --------------------------------------------------------------------

DEFAULT = Beam(near=0.15, far=1.0, zones=5, hysteresis_m=0.02)  # width 0.17


def test_from_settings():
    s = BeamSettings(near=0.2, far=0.8, zones=6, hysteresis_m=0.01)
    assert Beam.from_settings(s) == Beam(0.2, 0.8, 6, 0.01)


@pytest.mark.parametrize("zones", range(2, 17))
def test_zone_edges_lie_at_equal_steps(zones):
    beam = Beam(0.15, 1.0, zones, 0.02)
    width = (1.0 - 0.15) / zones
    assert beam.zone_width == pytest.approx(width)
    for k in range(zones):
        low = 0.15 + k * width
        assert beam.zone_for(low + 1e-6) == k
        assert beam.zone_for(low + width / 2) == k
        assert beam.zone_for(low + width - 1e-6) == k
        if k > 0:
            assert beam.zone_for(low - 1e-6) == k - 1


@pytest.mark.parametrize(
    ("near", "far", "zones", "hysteresis_m", "expected"),
    [
        (0.15, 1.0, 5, 0.02, 0.02),  # width 0.17: the setting applies
        (0.15, 1.0, 16, 0.02, 0.85 / 16 / 4),  # width 0.053: capped at a quarter
        (0.15, 0.3, 4, 0.02, 0.15 / 4 / 4),
        (0.15, 1.0, 5, 0.0, 0.0),
        (0.1, 2.1, 2, 0.2, 0.2),
    ],
)
def test_hysteresis_is_the_setting_capped_at_a_quarter_zone(
    near, far, zones, hysteresis_m, expected
):
    assert Beam(near, far, zones, hysteresis_m).hysteresis == pytest.approx(expected)


def test_hysteresis_around_the_first_edge():
    # The docstring's example: the edge between zones 0 and 1 is at 0.32.
    assert DEFAULT.zone_for(0.3399, current=0) == 0
    assert DEFAULT.zone_for(0.3401, current=0) == 1
    assert DEFAULT.zone_for(0.3001, current=1) == 1
    assert DEFAULT.zone_for(0.2999, current=1) == 0
    # With no current zone there is no hysteresis.
    assert DEFAULT.zone_for(0.3201) == 1
    assert DEFAULT.zone_for(0.3199) == 0


def test_the_docstring_sequence():
    zone = None
    seen = []
    for d in (0.30, 0.31, 0.33, 0.31, 0.33, 0.36):
        zone = DEFAULT.zone_for(d, zone)
        seen.append(zone)
    assert seen == [0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("side", [-1, 1])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_one_cm_jitter_on_an_edge_keeps_the_zone(side, k):
    edge = 0.15 + k * DEFAULT.zone_width  # 0.32, 0.49, 0.66, 0.83
    zone = DEFAULT.zone_for(edge + side * 0.01)
    assert zone == (k if side > 0 else k - 1)
    for i in range(200):
        d = edge + (0.01 if i % 2 else -0.01)
        zone = DEFAULT.zone_for(d, zone)
        assert zone == (k if side > 0 else k - 1)


def test_a_jump_across_several_zones_moves_there_directly():
    assert DEFAULT.zone_for(0.9, current=0) == 4
    assert DEFAULT.zone_for(0.2, current=4) == 0


def test_beyond_far_plus_hysteresis_is_out_of_range():
    h = DEFAULT.hysteresis
    assert DEFAULT.zone_for(1.0 + h - 1e-6, current=4) == 4
    assert DEFAULT.zone_for(1.0 + h + 1e-6, current=4) is None
    assert DEFAULT.zone_for(1.0 + h + 1e-6, current=2) is None
    assert DEFAULT.zone_for(3.5, current=4) is None
    # Entering from outside, the range ends at far itself.
    assert DEFAULT.zone_for(1.0) == 4
    assert DEFAULT.zone_for(1.0 + 1e-6) is None


def test_nearer_than_near_is_the_first_zone():
    assert DEFAULT.zone_for(0.14) == 0
    assert DEFAULT.zone_for(0.0) == 0
    assert DEFAULT.zone_for(0.05, current=0) == 0
    assert DEFAULT.zone_for(0.05, current=3) == 0


def test_no_reading_is_no_zone():
    assert DEFAULT.zone_for(None) is None
    assert DEFAULT.zone_for(None, current=2) is None


def test_position_runs_from_near_to_far():
    assert DEFAULT.position(0.15) == 0.0
    assert DEFAULT.position(1.0) == 1.0
    assert DEFAULT.position(0.575) == pytest.approx(0.5)
    assert DEFAULT.position(0.3) == pytest.approx(0.15 / 0.85)
    assert DEFAULT.position(0.05) == 0.0  # clamped
    assert DEFAULT.position(2.0) == 1.0


def _sweep(beam: Beam, distances: list[float]) -> list[int | None]:
    """Zones a hand passes through, each listed once per visit."""
    zone = None
    visited: list[int | None] = []
    for d in distances:
        zone = beam.zone_for(d, zone)
        if not visited or visited[-1] != zone:
            visited.append(zone)
    return visited


@pytest.mark.parametrize("zones", range(2, 17))
def test_a_slow_sweep_visits_every_zone_once_in_order(zones):
    beam = Beam(0.15, 1.0, zones, 0.02)
    out = [round(0.10 + cm / 100, 2) for cm in range(101)]  # 0.10 .. 1.10 in 1 cm steps
    assert _sweep(beam, out) == [*range(zones), None]
    back = out[::-1]
    assert _sweep(beam, back) == [None, *reversed(range(zones))]


@pytest.mark.parametrize("zones", range(2, 17))
def test_a_jittering_sweep_still_visits_each_zone_once(zones):
    beam = Beam(0.15, 1.0, zones, 0.02)
    # Forward 1 cm, back 0.5 cm, forward again: a hand that wobbles as it moves.
    out = []
    d = 0.12
    while d < 1.06:
        out += [d, d - 0.005]
        d += 0.01
    assert _sweep(beam, out) == [*range(zones), None]


def test_a_zone_from_before_the_zones_changed_is_not_kept():
    # The therapist cut 8 zones to 3 while the hand sat in zone 6.
    three = Beam(0.15, 1.0, 3, 0.02)
    assert three.zone_for(0.93, current=6) == 2
    assert three.zone_for(0.2, current=6) == 0
