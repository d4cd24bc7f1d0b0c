"""Glide: a controller moved toward its target in 10 ms steps, and only while moving."""

from __future__ import annotations

import itertools
import math

import pytest

from appliance.engine.glide import STEP_S, TAU_S, Glide


def run(g: Glide, until: float) -> list[tuple[float, int]]:
    """Tick every deadline up to ``until``; return (time, value sent) pairs."""
    sent = []
    while g.deadline is not None and g.deadline <= until:
        t = g.deadline
        value = g.tick(t)
        if value is not None:
            sent.append((t, value))
    return sent


def test_step_and_time_constant():
    assert STEP_S == 0.01
    assert TAU_S == 0.04


def test_aim_schedules_the_first_step_one_step_later():
    g = Glide(24.0, settle_within=0.3)
    assert g.deadline is None
    g.aim(1.0, 127.0)
    assert g.deadline == 1.0 + STEP_S
    assert g.tick(1.005) is None  # not due yet
    assert g.value == 24.0


def test_each_step_covers_the_one_pole_fraction_of_the_distance():
    g = Glide(24.0, settle_within=0.3)
    g.aim(0.0, 127.0)
    g.tick(g.deadline)
    fraction = 1 - math.exp(-STEP_S / TAU_S)
    assert g.value == pytest.approx(24.0 + 103.0 * fraction)
    g.tick(g.deadline)
    assert g.value == pytest.approx(127.0 - 103.0 * (1 - fraction) ** 2)


@pytest.mark.parametrize(("start", "target"), [(24.0, 127.0), (127.0, 24.0), (60.0, 70.0)])
def test_converges_and_settles_within_a_third_of_a_second(start, target):
    g = Glide(start, settle_within=0.3)
    g.aim(0.0, target)
    sent = run(g, until=1.0)
    assert g.deadline is None  # settled: no more ticks wanted
    assert g.value == target
    assert sent[-1][1] == round(target)
    settled_at = sent[-1][0]
    assert settled_at <= 0.3
    # Smooth: at least several steps, never overshooting, always toward the target.
    values = [v for _, v in sent]
    assert len(values) >= 5
    direction = 1 if target > start else -1
    assert all(direction * (b - a) > 0 for a, b in itertools.pairwise(values))
    assert all(min(start, target) <= v <= max(start, target) for v in values)


def test_ticks_come_every_10_ms_while_moving():
    g = Glide(24.0, settle_within=0.3)
    g.aim(2.0, 127.0)
    stamps = []
    while g.deadline is not None:
        stamps.append(g.deadline)
        g.tick(g.deadline)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert stamps[0] == pytest.approx(2.01)
    assert gaps == pytest.approx([STEP_S] * len(gaps))


def test_only_changed_integers_are_emitted():
    g = Glide(100.0, settle_within=0.3)
    g.take()  # the synth has 100
    g.aim(0.0, 103.0)  # three units: more steps than distinct integers
    steps = 0
    sent = []
    while g.deadline is not None:
        value = g.tick(g.deadline)
        steps += 1
        if value is not None:
            assert isinstance(value, int)
            sent.append(value)
    assert sent == [101, 102, 103]  # each integer once, none repeated
    assert steps > len(sent)  # some steps moved less than one unit and sent nothing
    assert g.take() is None  # the synth already has it


def test_take_sends_the_value_once():
    g = Glide(64.4, settle_within=0.3)
    assert g.take() == 64
    assert g.take() is None
    g.jump(80.0)
    assert g.take() == 80
    assert g.take() is None


def test_jump_sets_the_value_at_once_and_stops_gliding():
    g = Glide(24.0, settle_within=0.3)
    g.aim(0.0, 127.0)
    g.tick(g.deadline)
    g.jump(50.0)
    assert (g.value, g.target, g.deadline) == (50.0, 50.0, None)
    assert g.tick(5.0) is None
    assert g.take() == 50


def test_stays_idle_when_the_target_equals_the_value():
    g = Glide(64.0, settle_within=0.3)
    g.aim(0.0, 64.0)
    assert g.deadline is None
    g.aim(0.1, 64.2)  # within settle_within: not worth a step
    assert g.deadline is None
    assert g.tick(1.0) is None
    assert g.value == 64.0


def test_a_new_aim_while_moving_keeps_the_step_schedule():
    g = Glide(24.0, settle_within=0.3)
    g.aim(0.0, 127.0)
    g.tick(0.01)
    g.aim(0.015, 60.0)  # the hand moved again mid-glide
    assert g.deadline == pytest.approx(0.02)  # not restarted
    sent = run(g, until=1.0)
    assert g.value == 60.0
    assert sent[-1][1] == 60


def test_settle_within_sets_when_it_stops():
    coarse = Glide(0.0, settle_within=2.0)
    fine = Glide(0.0, settle_within=0.3)
    for g in (coarse, fine):
        g.aim(0.0, 1000.0)
    coarse_steps, fine_steps = len(run(coarse, 5.0)), len(run(fine, 5.0))
    assert coarse.value == fine.value == 1000.0
    assert coarse_steps < fine_steps
