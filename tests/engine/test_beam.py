"""From raw pings to a steady position: the jump filter and the zone geometry, pure."""

from __future__ import annotations

import pytest

from appliance.engine.beam import JUMP_M, Beam, JumpFilter
from appliance.profile import BeamSettings

CONFIRM = 0.1  # the profile default, 100 ms
PING = 1 / 16  # one ping slot on the live box


def settled(distance: float, t: float = 0.0) -> JumpFilter:
    """A filter that has seen a hand at ``distance`` for a while."""
    f = JumpFilter()
    f.reading(t, distance, CONFIRM)
    f.reading(t + PING, distance, CONFIRM)
    assert f.estimate == distance
    return f


def feed(f: JumpFilter, start: float, readings: list[float | None], step: float = PING):
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


# -- JumpFilter: continuous movement -----------------------------------------------


def test_continuous_small_moves_pass_at_once():
    f = settled(0.5)
    t = 1.0
    for d in (0.52, 0.56, 0.62, 0.7, 0.8, 0.9, 0.78, 0.64):  # each step <= JUMP_M
        assert f.reading(t, d, CONFIRM) is True
        assert f.estimate == d  # no added lag at all
        assert f.deadline is None
        t += PING


def test_jump_m_is_the_line_between_a_move_and_a_jump():
    f = settled(0.5)
    assert f.reading(1.0, 0.5 + JUMP_M - 1e-6, CONFIRM) is True  # within: taken at once
    f = settled(0.5)
    assert f.reading(1.0, 0.5 + JUMP_M + 0.01, CONFIRM) is False  # beyond: a candidate
    assert f.estimate == 0.5


def test_the_same_reading_again_is_no_change():
    f = settled(0.5)
    assert f.reading(1.0, 0.5, CONFIRM) is False
    assert f.estimate == 0.5


# -- JumpFilter: outliers ------------------------------------------------------------


@pytest.mark.parametrize("outlier", [2.5, 0.02, 0.9, None])
def test_a_single_outlier_between_normal_pings_is_never_seen(outlier):
    f = settled(0.5)
    seen = feed(f, 1.0, [0.5, 0.51, outlier, 0.5, 0.49, 0.5])
    assert seen == [0.5, 0.51, 0.51, 0.5, 0.49, 0.5]
    assert f.deadline is None  # the outlier's candidate was dropped
    assert f.tick(10.0) is False
    assert f.estimate == 0.5


def test_outlier_reading_returns_no_change_and_sets_a_deadline():
    f = settled(0.5)
    assert f.reading(1.0, 2.5, CONFIRM) is False
    assert f.estimate == 0.5
    assert f.deadline == 1.0 + CONFIRM


def test_repeated_isolated_outliers_never_reach_the_estimate():
    f = settled(0.5)
    readings = [0.5, 2.5, 0.5, None, 0.5, 3.1, 0.5, 0.05, 0.5] * 4
    assert set(feed(f, 1.0, readings)) == {0.5}


# -- JumpFilter: real jumps --------------------------------------------------------


def test_a_real_jump_is_taken_at_the_confirming_ping():
    f = settled(0.5)
    assert f.reading(1.0, 0.9, CONFIRM) is False
    assert f.estimate == 0.5
    assert f.reading(1.0 + PING, 0.91, CONFIRM) is True  # agrees with the candidate
    assert f.estimate == 0.91  # the confirming reading itself, not the first
    assert f.deadline is None


def test_an_unconfirmed_jump_is_taken_at_exactly_confirm_s():
    f = settled(0.5)
    f.reading(1.0, 0.9, CONFIRM)
    due = 1.0 + CONFIRM
    assert f.deadline == due
    assert f.tick(due - 0.001) is False
    assert f.estimate == 0.5
    assert f.tick(due) is True
    assert f.estimate == 0.9
    assert f.deadline is None


def test_the_deadline_does_not_restart_on_further_jumping_readings():
    f = settled(0.3)
    # A fast sweep: every ping jumps again from the last one.
    f.reading(1.0, 0.6, CONFIRM)
    f.reading(1.03, 0.9, CONFIRM)
    assert f.deadline == 1.0 + CONFIRM  # still the first jump's deadline
    f.reading(1.06, 1.2, CONFIRM)
    assert f.deadline == 1.0 + CONFIRM
    assert f.estimate == 0.3
    assert f.tick(1.0 + CONFIRM) is True
    assert f.estimate == 1.2  # lands where the hand is, within confirm_s
    assert f.deadline is None


def test_a_candidate_contradicted_by_the_estimate_is_dropped_with_its_deadline():
    f = settled(0.5)
    f.reading(1.0, 0.9, CONFIRM)
    f.reading(1.05, 0.52, CONFIRM)
    assert f.deadline is None
    assert f.estimate == 0.52
    assert f.tick(1.2) is False


# -- JumpFilter: entering and leaving -------------------------------------------


def test_entering_from_nothing_needs_confirmation():
    f = JumpFilter()
    assert f.estimate is None
    assert f.reading(1.0, 0.5, CONFIRM) is False
    assert f.estimate is None
    assert f.deadline == 1.0 + CONFIRM
    assert f.reading(1.0 + PING, 0.52, CONFIRM) is True
    assert f.estimate == 0.52


def test_entering_unconfirmed_is_taken_at_confirm_s():
    f = JumpFilter()
    f.reading(1.0, 0.5, CONFIRM)
    assert f.tick(1.0 + CONFIRM) is True
    assert f.estimate == 0.5


def test_one_spurious_echo_from_an_empty_beam_is_ignored():
    f = JumpFilter()
    seen = feed(f, 1.0, [None, None, 0.7, None, None, None])
    assert seen == [None] * 6
    assert f.deadline is None


def test_leaving_needs_confirmation():
    f = settled(0.5)
    assert f.reading(1.0, None, CONFIRM) is False
    assert f.estimate == 0.5  # one missed echo does not end the note
    assert f.deadline == 1.0 + CONFIRM
    assert f.reading(1.0 + PING, None, CONFIRM) is True
    assert f.estimate is None
    assert f.deadline is None


def test_leaving_unconfirmed_is_taken_at_confirm_s():
    f = settled(0.5)
    f.reading(1.0, None, CONFIRM)
    assert f.tick(1.0 + CONFIRM - 0.001) is False
    assert f.tick(1.0 + CONFIRM) is True
    assert f.estimate is None


def test_confirm_zero_takes_everything_at_once():
    f = JumpFilter()
    assert f.reading(1.0, 0.5, 0.0) is True
    assert f.estimate == 0.5
    assert f.reading(1.1, 2.5, 0.0) is True
    assert f.estimate == 2.5
    assert f.reading(1.2, None, 0.0) is True
    assert f.estimate is None
    assert f.deadline is None


def test_clear_forgets_estimate_and_candidate():
    f = settled(0.5)
    f.reading(1.0, 0.9, CONFIRM)
    f.clear()
    assert (f.estimate, f.deadline) == (None, None)
    assert f.tick(5.0) is False
    assert f.reading(6.0, 0.5, CONFIRM) is False  # entering again needs confirming


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
