"""From raw ultrasonic pings to a steady position in the beam.

Two pure pieces, both driven by reading times (no clock of their own). They
are the only place that decides what a ping means: the scanner passes every
ping on raw, so the live box and ``tonic render`` of the same readings play
the same notes.

What the filter is up against (:mod:`appliance.inputs.beam_noise` models it):
an HC-SR04 reading a still hand jitters by about 1 cm from ping to ping, and
about one ping in twenty is an outlier up to 30 cm off (a sleeve, a far wall,
an echo of an echo). At 16 pings a second a therapist's hand held on a zone
edge must not flicker between two notes, and a hand sweeping the beam at
0.5 m/s must hear each zone's note within 150 ms of entering it.

:class:`PositionFilter` keeps a **track**: the readings it accepted in the last
``TRACK_WINDOW_S`` (0.75 s, at most ``TRACK_READINGS``), with a straight line
fitted through them (where the hand is, and how fast it moves):

- The estimate is that line at the newest reading. The line's slope counts
  only as far as it stands out from the jitter (``VELOCITY_CONFIDENCE``
  standard errors), so a **still hand is averaged** over the whole window
  (about 0.3 cm of jitter left of 1 cm) and a **moving hand is followed
  without lag**: the line runs with it instead of trailing a ping behind (a
  steady 0.5 m/s sweep is trailed by half a millimetre). The one
  reading furthest from the line is left out when it is more than
  ``OUTLIER_RESIDUAL_M`` off, so an outlier that slips past the gate barely
  moves the estimate. Nor does the estimate ever pass the nearest or the
  furthest reading in the track: a hand that stops dead is where it stopped,
  not where its speed would have carried it (no swell past the hand in
  expression mode, no early trigger)::

    ping      .  .  .  .  :  .  .  .  .  .      : a 4 cm outlier, inside the gate
    estimate  ───────────────────────────      (held within a few mm)

    ping               .  .  .  .  .  .        a sweep: each ping 3 cm further
    estimate       ___/                        on the line with the pings,
                  /                            not a ping behind them

- **The gate.** A reading further than ``GATE_M`` (5 cm) both from where the
  line says the hand is now and from the last reading (a hand that stops
  dead) is not believed at once. It is held as a candidate:
  readings that agree with each other (each within ``JUMP_M`` of the last, and
  a third on the line through the first two) make a **run**. A run of
  ``MOVE_READINGS`` (3) is a real move and becomes the new track; anything
  the gate accepts drops it. Two outliers in a row (1 ping in 400) are not
  enough, three in a line almost never happen::

    ping      .  .  .  x  .  .  x  x  .  .      x = outlier(s): never seen
    estimate  ─────────────────────────────

    ping      .  .  .  X  X  X  X  X            X = the hand really moved
    estimate  ────────────────┐_____           (the 3rd X, 125 ms after the 1st)
                        |<-2 pings->|

- **A change of pace.** When ``PACE_CHANGE_READINGS`` (3) readings in a row
  land more than ``PACE_CHANGE_M`` off the line on one side, the hand has
  started, stopped or turned: the track starts again from them, so the
  estimate does not average the hand back to where it was.
- **Entering and leaving** (``None`` readings: nothing in the beam) need only
  two readings that agree (``ENTER_READINGS``): an empty beam has no hand to
  catch outliers from, and the client should hear the beam answer at once.
- **After a silence** longer than the window (a script with a reading now
  and then; never on the live box, which pings 16 times a second) there is
  no track to judge by: a reading within ``JUMP_M`` of the last estimate is
  taken at once, as the start of a new track.
- **Silence confirms.** A run that the sensor is still repeating when it
  falls silent (no reading for ``confirm_s``, the profile's ``confirm_ms``)
  is taken: a script with one reading per move still plays, and a hand that
  leaves as a sensor unplugs is not kept forever. A lone reading against a
  steady stream is not: a last outlier before the pings stop is never
  taken for want of an answer::

    ping      .  .  .  X                    (no more pings)
    estimate  ──────────┐____________         moves at the last X + confirm_s
                        |<-confirm_s->|

:class:`Beam` turns a distance into a zone with hysteresis. Zone edges lie
at equal steps from ``near`` to ``far``. Once a hand is in a zone the
estimate must go ``hysteresis_m`` (default 2 cm, at most a quarter of a
zone's width) past an edge before the zone changes. The filter keeps the
estimate of a still hand within a few millimetres, so the hysteresis only
has to cover what is left::

    estimate  0.30  0.31  0.33  0.31  0.33  0.36
    edge      ────────── 0.32 ───────────────
    zone      1     1     1     1     1     2    (needs > 0.34 to change)

Measured with the noise model (1 cm jitter, 5 % outliers up to 30 cm, 16
pings a second, the default beam, 1000 seeds): a hand held 10 s on a zone
edge changes note at most once in 99.9 % of runs (9 of 7000 changed twice,
one three times); a 0.5 m/s sweep plays each zone's note a median 79 ms
after the hand crosses into it, within 150 ms in 99.9 % of crossings
(the slowest 159 ms).

Beyond ``far`` (plus the hysteresis) the hand is out of the playing range,
which counts as leaving the beam. Nearer than ``near`` stays in the first
zone: a hand pressed up to the sensor is still playing.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.profile import BeamSettings

#: An HC-SR04's ping-to-ping jitter (one standard deviation) on a still
#: hand: what a slope must stand out from before the track believes it.
SENSOR_NOISE_M = 0.01
#: How far back the track looks. Long enough to average a still hand's
#: jitter down to a few millimetres, short enough that a hand changing pace
#: is followed within a few pings.
TRACK_WINDOW_S = 0.75
#: At most this many readings in the track (the window at 16 pings a second).
TRACK_READINGS = 12
#: A reading this far from where the track says the hand is now is held as
#: a candidate. About 4 standard deviations of a good reading's distance
#: from the line, so a real reading is almost never held, while most
#: outliers (up to 30 cm off) are.
GATE_M = 0.05
#: The one reading in the track furthest from its line is left out when it
#: is more than this off (3 sigma): an outlier inside the gate.
OUTLIER_RESIDUAL_M = 0.03
#: A slope counts in full only when it is several times its own standard
#: error; a smaller one is shrunk towards still. Two keeps a still hand
#: steady and still follows a 0.5 m/s sweep without lag.
VELOCITY_CONFIDENCE = 2.0
#: Fewer readings than this say nothing about speed: the track is their mean.
MIN_READINGS_FOR_SLOPE = 3
#: A reading this far off the track's line (2.5 sigma) is off it; three in
#: a row on one side mean the hand has changed pace (started, stopped,
#: turned), which jitter alone does less than once an hour.
PACE_CHANGE_M = 0.025
PACE_CHANGE_READINGS = 3
#: Largest step between two readings of one run. At 16 pings a second a
#: hand moving 2 m/s covers about 12 cm per ping.
JUMP_M = 0.15
#: Readings in a run that move a hand already in the beam.
MOVE_READINGS = 3
#: Readings in a run that bring a hand into an empty beam, or take it out.
ENTER_READINGS = 2

_Reading = tuple[float, float]  # (time, metres)


@dataclass(frozen=True, slots=True)
class _Line:
    """A straight line through readings: ``d(t) = mean_d + slope * (t - mean_t)``."""

    mean_t: float
    mean_d: float
    slope: float

    def at(self, t: float) -> float:
        return self.mean_d + self.slope * (t - self.mean_t)


def _fit(
    readings: Sequence[_Reading], confidence: float, fewest: int = MIN_READINGS_FOR_SLOPE
) -> _Line:
    """Least squares through ``readings``, the slope shrunk by ``confidence``.

    The slope ``v`` is scaled by ``v^2 / (v^2 + (confidence * se)^2)``, where
    ``se`` is its standard error from the sensor's jitter: a slope that is
    many standard errors counts in full, one lost in the jitter counts for
    almost nothing. ``confidence`` 0 gives the plain least-squares line.
    """
    n = len(readings)
    mean_t = sum(t for t, _ in readings) / n
    mean_d = sum(d for _, d in readings) / n
    if n < max(fewest, 2):
        return _Line(mean_t, mean_d, 0.0)
    sxx = sum((t - mean_t) ** 2 for t, _ in readings)
    if sxx <= 0.0:  # several readings stamped at one instant: no speed to see
        return _Line(mean_t, mean_d, 0.0)
    slope = sum((t - mean_t) * (d - mean_d) for t, d in readings) / sxx
    noise = (confidence * SENSOR_NOISE_M) ** 2 / sxx
    if slope == 0.0 or noise == 0.0:
        return _Line(mean_t, mean_d, slope)
    return _Line(mean_t, mean_d, slope * slope * slope / (slope * slope + noise))


def _robust_fit(
    readings: Sequence[_Reading], confidence: float, fewest: int = MIN_READINGS_FOR_SLOPE
) -> _Line:
    """:func:`_fit`, leaving out the one reading furthest off when it is an outlier.

    The suspect is judged against the line through the others, so a short
    track that an outlier has bent towards itself still shows it up.
    """
    line = _fit(readings, confidence, fewest)
    if len(readings) <= MIN_READINGS_FOR_SLOPE:
        return line
    worst = max(range(len(readings)), key=lambda i: abs(readings[i][1] - line.at(readings[i][0])))
    others = [r for i, r in enumerate(readings) if i != worst]
    without = _fit(others, confidence, fewest)
    t, d = readings[worst]
    return without if abs(d - without.at(t)) > OUTLIER_RESIDUAL_M else line


class PositionFilter:
    """One beam's estimate of where the hand is; see the module docstring."""

    __slots__ = ("_off_line", "_run", "_side", "_track", "deadline", "estimate", "present")

    def __init__(self) -> None:
        #: Where the hand is (metres), or None: nothing in the beam.
        self.estimate: float | None = None
        #: True while the filter believes a hand is in the beam.
        self.present = False
        self._track: deque[_Reading] = deque(maxlen=TRACK_READINGS)
        self._run: list[tuple[float, float | None]] = []  # candidates, oldest first
        #: When the candidate run is taken if the sensor says nothing more, or None.
        self.deadline: float | None = None
        # Readings in a row that landed off the line, and on which side (+1 further).
        self._off_line = 0
        self._side = 0

    def reading(self, t: float, distance: float | None, confirm_s: float) -> bool:
        """Take one ping at time ``t``; return True if the estimate changed."""
        self._forget_before(t - TRACK_WINDOW_S)
        if distance is None:
            if not self.present:
                self._drop_run()  # nothing, as before: agrees with the estimate
                return False
        elif self.present and self._believable(t, distance):
            off = distance - self._expected(t)
            self._drop_run()
            self._track.append((t, distance))
            self._watch_pace(off)
            return self._settle()
        self._extend_run(t, distance)
        # Three readings against a steady stream of others; two when there
        # is no stream to outvote (entering, leaving, after a silence).
        against = self.present and distance is not None and bool(self._track)
        if len(self._run) >= (MOVE_READINGS if against else ENTER_READINGS) or confirm_s <= 0:
            return self._take_run()
        # Silence confirms a run, but not a lone reading that a steady stream
        # of readings contradicts: a last outlier before the sensor stops is
        # never taken for want of an answer.
        self.deadline = None if against and len(self._run) < ENTER_READINGS else t + confirm_s
        return False

    def tick(self, t: float) -> bool:
        """Take a run the sensor fell silent on; True if the estimate changed."""
        if self.deadline is None or t < self.deadline or not self._run:
            return False
        return self._take_run()

    def clear(self) -> None:
        self.estimate = self.deadline = None
        self.present = False
        self._track.clear()
        self._run = []
        self._off_line = self._side = 0

    # -- inside ------------------------------------------------------------------

    def _believable(self, t: float, distance: float) -> bool:
        """Whether a reading passes the gate: near where the line says the hand
        is now, or near the last reading (a hand that stops dead)."""
        if not self._track:
            # The sensor was silent for the whole window (between the lines
            # of a sparse script): nothing to judge by but the last estimate,
            # and any move a hand makes in one ping is taken at once.
            assert self.estimate is not None
            return abs(distance - self.estimate) <= JUMP_M
        last = self._track[-1][1]
        return abs(distance - self._expected(t)) <= GATE_M or abs(distance - last) <= GATE_M

    def _expected(self, t: float) -> float:
        """Where the track says the hand is at ``t``: the plain line, so a hand
        that starts to move is not held by the shrinking meant for a still one."""
        if not self._track:  # the track went stale: the hand stayed where it was
            assert self.estimate is not None
            return self.estimate
        return _robust_fit(self._track, 0.0, fewest=2).at(t)

    def _settle(self) -> bool:
        newest = self._track[-1][0]
        estimate = _robust_fit(self._track, VELOCITY_CONFIDENCE).at(newest)
        # Never past the readings themselves: a hand that stops dead is
        # where it stopped, not where its old speed would have carried it.
        nearest = min(d for _, d in self._track)
        furthest = max(d for _, d in self._track)
        estimate = min(max(estimate, nearest), furthest)
        changed = estimate != self.estimate
        self.estimate = estimate
        return changed

    def _watch_pace(self, off: float) -> None:
        """Start the track afresh from the last few readings once they keep
        landing off its line on one side: the hand has changed pace."""
        side = 0 if abs(off) <= PACE_CHANGE_M else (1 if off > 0 else -1)
        if side == 0 or side != self._side:
            self._side, self._off_line = side, int(side != 0)
            return
        self._off_line += 1
        if self._off_line >= PACE_CHANGE_READINGS:
            while len(self._track) > PACE_CHANGE_READINGS + 1:
                self._track.popleft()
            self._side = self._off_line = 0

    def _extend_run(self, t: float, distance: float | None) -> None:
        if self._run and _continues(self._run, distance):
            self._run.append((t, distance))
        else:
            self._run = [(t, distance)]

    def _take_run(self) -> bool:
        run, self._run, self.deadline = self._run, [], None
        self._track.clear()
        self._off_line = self._side = 0
        if run[-1][1] is None:
            changed = self.estimate is not None
            self.estimate, self.present = None, False
            return changed
        self._track.extend((t, d) for t, d in run if d is not None)
        self.present = True
        return self._settle()

    def _drop_run(self) -> None:
        self._run, self.deadline = [], None

    def _forget_before(self, oldest: float) -> None:
        while self._track and self._track[0][0] < oldest:
            self._track.popleft()


def _continues(run: Sequence[tuple[float, float | None]], distance: float | None) -> bool:
    """Whether ``distance`` agrees with the run so far (see the module docstring)."""
    last = run[-1][1]
    if distance is None or last is None:
        return distance is None and last is None
    if abs(distance - last) > JUMP_M:
        return False
    if len(run) < 2:
        return True
    before = run[-2][1]
    assert before is not None  # a run is all distances or all nothing
    return abs(distance - (2 * last - before)) <= GATE_M


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
