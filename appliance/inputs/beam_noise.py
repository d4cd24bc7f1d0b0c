"""How an HC-SR04's readings stray from the true distance, as a seeded model.

The simulated beam (:mod:`appliance.inputs.simulated`) reads through it, so
``tonic demo`` and ``tonic run --simulate`` hear the sensor a therapist will,
and the beam tests feed the engine the same kind of readings. Each reading
is the true distance plus Gaussian jitter, and now and then a single-ping
outlier (a sleeve, a far wall, an echo of an echo)::

    true      ───────────────────────────────── 0.50 m
    reading   .'.'..'.'.'..'..'.'.'.'.'.'..'..   +-1 cm jitter (sigma)
                       x          x             ~1 ping in 20: up to +-30 cm

A model is plain data; :class:`NoisySensor` draws from it with a seed of its
own, so two runs with the same seed read the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: Sensor jitter on a still hand (one standard deviation), as measured on
#: HC-SR04s at arm's length.
JITTER_M = 0.01
#: Share of pings that are outliers: roughly one in twenty with a hand,
#: a sleeve and a room around it.
OUTLIER_CHANCE = 0.05
#: An outlier lands anywhere within this much of the true distance.
OUTLIER_SPAN_M = 0.30
#: Nearer than this an HC-SR04 does not read (its blind zone): it says this.
NEAREST_M = 0.03


@dataclass(frozen=True, slots=True)
class BeamNoise:
    """The noise on one sensor's readings; the defaults are a typical HC-SR04."""

    jitter_m: float = JITTER_M
    outlier_chance: float = OUTLIER_CHANCE
    outlier_span_m: float = OUTLIER_SPAN_M
    nearest_m: float = NEAREST_M

    def __post_init__(self) -> None:
        if self.jitter_m < 0:
            raise ValueError(f"jitter_m must be 0 or more, not {self.jitter_m}")
        if not 0.0 <= self.outlier_chance <= 1.0:
            raise ValueError(f"outlier_chance must be in 0..1, not {self.outlier_chance}")
        if self.outlier_span_m < 0:
            raise ValueError(f"outlier_span_m must be 0 or more, not {self.outlier_span_m}")
        if self.nearest_m < 0:
            raise ValueError(f"nearest_m must be 0 or more, not {self.nearest_m}")

    def reading(self, distance: float, rng: random.Random) -> float:
        """One ping's reading of a hand truly ``distance`` metres away."""
        # Always the same draws in the same order, so a seed fixes the readings.
        jitter = rng.gauss(0.0, self.jitter_m)
        outlier = rng.random() < self.outlier_chance
        offset = rng.uniform(-self.outlier_span_m, self.outlier_span_m)
        return max(self.nearest_m, distance + jitter + (offset if outlier else 0.0))


#: No noise at all: every reading is the true distance.
EXACT = BeamNoise(jitter_m=0.0, outlier_chance=0.0, outlier_span_m=0.0, nearest_m=0.0)


class NoisySensor:
    """One sensor's readings, drawn from ``model`` with its own seeded generator."""

    def __init__(self, model: BeamNoise = BeamNoise(), seed: int = 0) -> None:
        self.model = model
        self._rng = random.Random(seed)

    def read(self, distance: float) -> float:
        """The next ping's reading of a hand ``distance`` metres away."""
        return self.model.reading(distance, self._rng)
