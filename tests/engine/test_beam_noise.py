"""A steady beam: seeded HC-SR04 noise through the engine, as ``tonic render`` feeds it.

The readings come from the noise model the simulated box uses
(:mod:`appliance.inputs.beam_noise`): 1 cm jitter, and one ping in twenty an
outlier up to 30 cm off, 16 pings a second. Each reading goes to the engine
at its own time after the timers due before it, exactly as the render loop
does, and the notes are what a FakeSynth was asked to play.
"""

from __future__ import annotations

import random
import statistics

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.events import BeamReading, InputId, SoundEvent, SoundKind
from appliance.inputs.beam_noise import (
    EXACT,
    JITTER_M,
    OUTLIER_CHANCE,
    OUTLIER_SPAN_M,
    BeamNoise,
    NoisySensor,
)
from appliance.music import Key
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

BEAM = InputId("beam:1")
PING = 1 / 16
NEAR, FAR, ZONES = 0.15, 1.0, 8  # the default profile's beam
EDGES = [NEAR + (FAR - NEAR) * k / ZONES for k in range(1, ZONES)]
KEY = Key.parse("C", "major_pentatonic")
ZONE_NOTES = [int(KEY.degree_to_note(1 + z, 4)) for z in range(ZONES)]
HELD_S = 10.0
START = 0.5
SEEDS = range(8)
#: The bounds a therapist hears as "at once" on a sweep, from the crossing.
LATEST_S, EARLIEST_S = 0.15, -0.07
SWEEP_SPEED = 0.5  # m/s


def beam_notes(readings: list[tuple[float, float | None]]) -> list[SoundEvent]:
    """The beam's note-ons for these readings, fed as ``tonic render`` feeds them."""
    log: list[SoundEvent] = []
    engine = Engine(FakeSynth(), default_profile(), BoxConfig().input_ids(), [log.append])
    for t, distance in readings:
        engine.tick(t)
        engine.handle(BeamReading(t, BEAM, distance))
    engine.tick(readings[-1][0] + 1.0)  # silence after: nothing may be confirmed by it
    return [e for e in log if e.type is SoundKind.NOTE_ON and e.source == BEAM]


def held_still(at: float, seed: int) -> list[tuple[float, float | None]]:
    sensor = NoisySensor(BeamNoise(), seed)
    pings = round(HELD_S / PING)
    return [(START + i * PING, sensor.read(at)) for i in range(pings)]


def sweep(start_m: float, seed: int) -> list[tuple[float, float | None]]:
    """A hand from ``start_m`` to past far at 0.5 m/s; jitter, no outliers."""
    sensor = NoisySensor(BeamNoise(outlier_chance=0.0), seed)
    readings, i = [], 0
    while (d := start_m + SWEEP_SPEED * i * PING) < FAR + 0.05:
        readings.append((START + i * PING, sensor.read(d)))
        i += 1
    return readings


# -- held still on an edge ------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("edge", EDGES, ids=[f"edge{k}" for k in range(1, ZONES)])
def test_a_hand_held_on_a_zone_edge_changes_note_at_most_once_in_10_s(edge, seed):
    ons = beam_notes(held_still(edge, seed * 100 + round(edge * 1000)))
    assert 1 <= len(ons) <= 2, [(round(e.t, 3), e.note) for e in ons]
    # Whatever it settles on is one of the two zones the edge divides.
    k = EDGES.index(edge)
    assert {e.note for e in ons} <= {ZONE_NOTES[k], ZONE_NOTES[k + 1]}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hand_held_mid_zone_plays_one_note(seed):
    middle = NEAR + (FAR - NEAR) * 3.5 / ZONES
    ons = beam_notes(held_still(middle, seed))
    assert [e.note for e in ons] == [ZONE_NOTES[3]]


# -- sweeping ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a_sweep_plays_each_zones_note_within_150_ms_of_entering_it(seed):
    # The crossings fall at a different point between two pings for each seed.
    start = 0.12 + random.Random(seed).uniform(0.0, SWEEP_SPEED * PING)
    ons = beam_notes(sweep(start, seed))
    assert [e.note for e in ons] == ZONE_NOTES  # every zone once, in order
    for edge, on in zip(EDGES, ons[1:], strict=True):
        crossed = START + (edge - start) / SWEEP_SPEED
        assert EARLIEST_S <= on.t - crossed <= LATEST_S, (edge, on.t - crossed)


def test_a_sweep_without_noise_follows_the_hand():
    start = 0.12
    readings = []
    for i in range(round((FAR - start) / (SWEEP_SPEED * PING))):
        readings.append((START + i * PING, start + SWEEP_SPEED * i * PING))
    ons = beam_notes(readings)
    assert [e.note for e in ons] == ZONE_NOTES
    for edge, on in zip(EDGES, ons[1:], strict=True):
        crossed = START + (edge - start) / SWEEP_SPEED
        # Past the edge by the 2 cm hysteresis (40 ms at 0.5 m/s), at the next ping.
        assert 0.04 <= on.t - crossed <= 0.04 + PING + 1e-9


# -- the noise model itself ---------------------------------------------------------------

DRAWS = 20_000


def test_the_same_seed_reads_the_same():
    a, b = NoisySensor(seed=5), NoisySensor(seed=5)
    assert [a.read(0.5) for _ in range(100)] == [b.read(0.5) for _ in range(100)]
    c = NoisySensor(seed=6)
    assert [c.read(0.5) for _ in range(100)] != [NoisySensor(seed=5).read(0.5) for _ in range(100)]


def test_jitter_is_gaussian_with_the_models_sigma():
    sensor = NoisySensor(BeamNoise(outlier_chance=0.0), seed=1)
    off = [sensor.read(0.5) - 0.5 for _ in range(DRAWS)]
    assert statistics.fmean(off) == pytest.approx(0.0, abs=0.0005)
    assert statistics.stdev(off) == pytest.approx(JITTER_M, rel=0.03)
    # Gaussian, not uniform: about 68 % within one sigma.
    assert sum(abs(o) <= JITTER_M for o in off) / DRAWS == pytest.approx(0.683, abs=0.02)


def test_outliers_are_uniform_within_their_span():
    sensor = NoisySensor(BeamNoise(jitter_m=0.0, outlier_chance=1.0), seed=2)
    off = [sensor.read(0.5) - 0.5 for _ in range(DRAWS)]
    assert max(abs(o) for o in off) <= OUTLIER_SPAN_M
    assert statistics.fmean(off) == pytest.approx(0.0, abs=0.01)
    assert statistics.pvariance(off) == pytest.approx(OUTLIER_SPAN_M**2 / 3, rel=0.05)


def test_about_one_ping_in_twenty_is_an_outlier():
    sensor = NoisySensor(seed=3)
    far_off = sum(abs(sensor.read(0.5) - 0.5) > 5 * JITTER_M for _ in range(DRAWS)) / DRAWS
    # Outliers land uniformly within 30 cm; those past 5 cm are told from jitter.
    expected = OUTLIER_CHANCE * (OUTLIER_SPAN_M - 5 * JITTER_M) / OUTLIER_SPAN_M
    assert far_off == pytest.approx(expected, abs=0.005)


def test_nothing_reads_nearer_than_the_blind_zone():
    sensor = NoisySensor(BeamNoise(outlier_chance=1.0), seed=4)
    assert min(sensor.read(0.05) for _ in range(1000)) == BeamNoise().nearest_m


def test_exact_reads_the_true_distance():
    sensor = NoisySensor(EXACT)
    assert [sensor.read(0.4) for _ in range(10)] == [0.4] * 10


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("jitter_m", -0.01, "jitter_m must be 0 or more"),
        ("outlier_chance", 1.5, "outlier_chance must be in 0..1"),
        ("outlier_span_m", -1.0, "outlier_span_m must be 0 or more"),
        ("nearest_m", -0.1, "nearest_m must be 0 or more"),
    ],
)
def test_a_bad_model_is_refused_at_once(field, value, message):
    with pytest.raises(ValueError, match=message):
        BeamNoise(**{field: value})
