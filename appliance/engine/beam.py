"""From raw ultrasonic pings to a steady position in the beam.

Two pure pieces, both driven by reading times (no clock of their own):

:class:`JumpFilter` rejects single-ping outliers. HC-SR04s misread now and
then: a ping that catches a sleeve or a far wall, or an echo that never
comes back. A reading close to the current estimate (within
``JUMP_M``) is taken at once, so continuous movement gets **no added lag**.
A reading that jumps is held as a candidate until a second reading agrees
with it, or until ``confirm_s`` (default 100 ms) passes with nothing
contradicting it. A sudden real move therefore waits at most ``confirm_s``,
and a lone misread is dropped when the next ping agrees with the estimate::

    ping      .    .    .    x    .    .          x = outlier
    estimate  ───────────────────────────         (x never shows)

    ping      .    .    .    X    X    X          X = the hand really moved
    estimate  ──────────────┐____________         (moves on the 2nd X, or
                            |<-confirm->|          at confirm_s at the latest)

Entering and leaving the beam (``None`` readings) are jumps too, so one
spurious echo from an empty beam does not play a note.

:class:`Beam` turns a distance into a zone with hysteresis. Zone edges lie
at equal steps from ``near`` to ``far``. Once a hand is in a zone it must go
``hysteresis_m`` (default 2 cm, at most a quarter of a zone's width) past
an edge before the zone changes, so a hand resting on an edge, or the
sensor's own ±1 cm jitter, never flutters between two notes::

    distance  0.30  0.31  0.33  0.31  0.33  0.36
    edge      ────────── 0.32 ───────────────
    zone      1     1     1     1     1     2    (needs > 0.34 to change)

Beyond ``far`` (plus the hysteresis) the hand is out of the playing range,
which counts as leaving the beam. Nearer than ``near`` stays in the first
zone: a hand pressed up to the sensor is still playing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from appliance.profile import BeamSettings

#: Largest movement between two pings taken without confirmation. At 16
#: pings a second a hand moving 2 m/s covers about 12 cm per ping.
JUMP_M = 0.15
_NOTHING = -1.0  # a candidate of "nothing in the beam"


class JumpFilter:
    """Rejects single-ping outliers; see the module docstring."""

    __slots__ = ("_candidate", "deadline", "estimate")

    def __init__(self) -> None:
        self.estimate: float | None = None  # None: nothing in the beam
        self._candidate: float | None = None
        #: When an unconfirmed candidate is accepted anyway, or None.
        self.deadline: float | None = None

    def reading(self, t: float, distance: float | None, confirm_s: float) -> bool:
        """Take one ping; return True if the estimate changed."""
        if _close(distance, self.estimate):
            return self._accept(distance)
        value = _NOTHING if distance is None else distance
        if self._candidate is not None and _close(distance, _value(self._candidate)):
            return self._accept(distance)  # a second reading agrees: a real move
        self._candidate = value
        if self.deadline is None:  # a newer candidate does not restart the wait
            self.deadline = t + confirm_s
        if confirm_s <= 0:
            return self.tick(t)
        return False

    def tick(self, t: float) -> bool:
        """Accept a candidate nothing contradicted in time; True if the estimate changed."""
        if self.deadline is None or t < self.deadline or self._candidate is None:
            return False
        return self._accept(_value(self._candidate))

    def clear(self) -> None:
        self.estimate = self._candidate = self.deadline = None

    def _accept(self, distance: float | None) -> bool:
        changed = distance != self.estimate
        self.estimate = distance
        self._candidate = self.deadline = None
        return changed


def _value(candidate: float) -> float | None:
    return None if candidate == _NOTHING else candidate


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= JUMP_M


@dataclass(frozen=True, slots=True)
class Beam:
    """The geometry of one beam's playing range."""

    near: float
    far: float
    zones: int
    hysteresis_m: float

    @classmethod
    def from_settings(cls, s: BeamSettings) -> Beam:
        return cls(s.near, s.far, s.zones, s.hysteresis_m)

    @property
    def zone_width(self) -> float:
        return (self.far - self.near) / self.zones

    @property
    def hysteresis(self) -> float:
        return min(self.hysteresis_m, self.zone_width / 4)

    def zone_for(self, distance: float | None, current: int | None = None) -> int | None:
        """The zone (0 = nearest) for ``distance``, or None when out of range.

        With ``current`` given, the answer only moves away from it once the
        distance is past the zone's edge by the hysteresis.
        """
        if distance is None:
            return None
        if current is not None and not 0 <= current < self.zones:
            current = None  # the zones were changed under the hand: start afresh
        h = self.hysteresis if current is not None else 0.0
        if distance > self.far + h:
            return None
        if current is not None:
            low = self.near + current * self.zone_width
            high = low + self.zone_width
            if (current == 0 or distance >= low - h) and distance <= high + h:
                return current
        raw = math.floor((distance - self.near) / self.zone_width)
        return min(max(raw, 0), self.zones - 1)

    def position(self, distance: float) -> float:
        """Where ``distance`` lies across the range: 0.0 at near, 1.0 at far."""
        return min(max((distance - self.near) / (self.far - self.near), 0.0), 1.0)
