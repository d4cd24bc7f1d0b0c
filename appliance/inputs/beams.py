"""Ultrasonic beams (HC-SR04): one scanner thread pings every sensor in turn.

The scanner only measures. Each ping becomes one raw :class:`BeamReading`,
stamped when its echo ended: never smoothed, dropped or repeated here.
Smoothing, outlier rejection, zones and hysteresis are the engine's job
(:mod:`appliance.engine.beam`), so ``tonic render`` of the readings the live
box measured decides exactly the notes the live box played.

Why not gpiozero's ``DistanceSensor``: it runs its own queue thread per
sensor. That thread pings as fast as it can (60 ms apart), fights its
siblings for one class-wide lock, and nobody decides who goes next. It also
hides what we need: a timeout is dropped from its median queue rather than
reported, it never says *when* a reading was measured, and its warnings
cannot tell an empty beam from an unplugged sensor. So the scanner drives
the same two gpiozero devices that ``DistanceSensor`` uses inside (an output
for TRIG, an input with an edge callback for ECHO) from one thread of its
own, the same way ``DistanceSensor._read`` does. The devices run unchanged
on ``MockFactory`` (with ``MockTriggerPin``, or the exact simulated sensor in
:mod:`appliance.inputs.simulated`) in tests and on lgpio on the Pi.

One ping, on one beam::

    TRIG  __|~~|_________________________________________________
            10 us
    ECHO  ______|~~~~~~~~~~~~~~|_________________________________
                rise           fall: BeamReading(t=fall, (fall-rise)*c/2)
            |<----- listen: 2 x 4 m / 343 m/s + 10 ms = 33 ms ----->|

    nothing in range: ECHO rises and falls late (~38 ms) or past 4 m
                      -> BeamReading(distance=None); the sensor is fine
    no sensor:        ECHO never rises (pulled down)  -> a miss
    echo stuck high:  ECHO already high at our turn   -> a miss

A connected HC-SR04 raises ECHO after every trigger, even when nothing
comes back. So "no echo pulse at all" means no sensor (unplugged, no 5 V, a
broken wire), not an empty room. ``offline_after`` misses in a row (16, about
2 s with two beams) give one ``InputOffline``. Before a beam has ever
answered, ``startup_misses`` (2) are enough. An offline beam is then pinged
once per ``retry_interval`` (1 s); its first echo gives ``InputOnline``.
Misses before that point are delivered as ``distance=None``.

The round robin, at 16 pings/s shared (one slot = 62.5 ms)::

    slot   | A  | B  | A  | A' | B  | A  | B  | A  | B  | A  | B  |
                          ^ A jumped > 15 cm: A' confirms it now
                                              ^ B offline: A takes every slot,
                                                B is retried once a second

Slots are strict: a ping never starts less than one slot after the last one,
whichever beam it was for. So the total rate never exceeds
``pings_per_second``, and no sensor is pinged within 60 ms of another ping
(the HC-SR04's measurement cycle; two sensors could hear each other's
pings). A confirm takes the next slot ahead of the other beam's turn, so
the engine hears the jump's second reading 62.5 ms after it instead of 125
ms: the hand entering or leaving the beam is taken then, and a move within
the beam (which the engine takes at its third agreeing reading) is heard a
turn sooner. Confirms are bounded: a confirming ping never asks for
another, so a beam takes at most two slots out of three and the other keeps
at least a third (5.3 pings/s, one at least every 190 ms).

All of the scanner's time comes from three functions it is given: ``clock``
(stamps and slots), ``wait`` (the waits between slots and for an echo, on a
``threading.Event``) and ``sleep`` (the trigger pulse). Live they are
``time.monotonic``, ``Event.wait`` and ``time.sleep``; a test gives a
simulated clock that advances only when the scanner waits, so the round
robin runs in simulated time and a busy machine cannot change what it sees.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from gpiozero import Factory, InputDevice, OutputDevice

from appliance.events import (
    BeamReading,
    Event,
    InputId,
    InputKind,
    InputOffline,
    InputOnline,
    input_id,
)

log = logging.getLogger(__name__)

SPEED_OF_SOUND = 343.26  # m/s in air at 20 C, as gpiozero uses
MAX_RANGE_M = 4.0  # the HC-SR04's rated range
MIN_CYCLE_S = 0.060  # HC-SR04 datasheet: "over 60 ms measurement cycle"
TRIGGER_PULSE_S = 10e-6  # at least 10 us high starts a ping
LISTEN_MARGIN_S = 0.010  # the sensor's delay before ECHO rises, plus scheduling
MAX_BEAMS = 2

Clock = Callable[[], float]
#: Wait for an event for at most ``timeout`` seconds; True if it was set.
Wait = Callable[[threading.Event, float], bool]
Sleep = Callable[[float], None]


def wait_for_event(event: threading.Event, timeout: float) -> bool:
    """The live :data:`Wait`: ``event.wait`` in real time."""
    return event.wait(timeout)


@dataclass(frozen=True, slots=True)
class BeamPins:
    """GPIO numbers (BCM) of one sensor's TRIG and ECHO."""

    trigger: int
    echo: int


class _Outcome(Enum):
    ECHO = "echo"  # ECHO pulsed: the sensor is there, a distance or None
    NO_PULSE = "no echo"  # ECHO never rose
    STUCK_HIGH = "echo stuck high"  # ECHO high before we triggered


class _Beam:
    """One sensor: its two gpiozero devices, its edges, and its health."""

    def __init__(self, number: int, pins: BeamPins, factory: Factory | None, clock: Clock) -> None:
        self.id: InputId = input_id(InputKind.BEAM, number)
        self.label = f"{self.id} (GPIO{pins.trigger}/{pins.echo})"
        self._clock = clock
        # Edges arrive on gpiozero's thread (lgpio's, or the mock's echo
        # thread); the lock keeps a late edge from a previous ping from
        # pairing with this one's.
        self._lock = threading.Lock()
        self._rise: float | None = None
        self._fall: float | None = None
        self.fall_t = 0.0
        self.fell = threading.Event()
        # Pulled down, so a missing sensor reads a steady low, never noise.
        self.echo = InputDevice(pins.echo, pull_up=False, pin_factory=factory)
        try:
            self.trigger = OutputDevice(pins.trigger, initial_value=False, pin_factory=factory)
        except BaseException:
            self.echo.close()
            raise
        self.echo.pin.edges = "both"
        self.echo.pin.bounce = None
        self.echo.pin.when_changed = self._on_edge  # a bound method: gpiozero keeps a weakref
        # Health, touched only by the scanner thread.
        self.misses = 0
        self.answered = False
        self.last_ok: float | None = None
        self.offline = False
        self.retry_at = 0.0
        self.pinged_at = 0.0
        self.previous: float | None = None
        self.has_previous = False

    def _on_edge(self, ticks: float, level: bool) -> None:
        with self._lock:
            if level:
                self._rise = ticks
            elif self._rise is not None and self._fall is None:
                self._fall = ticks
                self.fall_t = self._clock()
                self.fell.set()

    def arm(self) -> None:
        with self._lock:
            self._rise = self._fall = None
            self.fell.clear()

    def edges(self) -> tuple[float | None, float | None]:
        with self._lock:
            return self._rise, self._fall

    def close(self) -> None:
        self.trigger.close()
        self.echo.close()


class BeamScanner:
    """Up to two HC-SR04 beams, ``beam:1`` and ``beam:2``, pinged by one thread.

    ``submit`` gets a :class:`BeamReading` per ping (metres, or None when
    nothing is in the beam), and ``InputOffline``/``InputOnline`` when a
    sensor stops or starts answering. ``clock`` stamps the events and paces
    the slots; it must count seconds like ``time.monotonic``.
    """

    def __init__(
        self,
        beams: Sequence[BeamPins],
        submit: Callable[[Event], None],
        *,
        pings_per_second: float = 16.0,
        max_range_m: float = MAX_RANGE_M,
        confirm_jump_m: float = 0.15,
        offline_after: int = 16,
        startup_misses: int = 2,
        retry_interval: float = 1.0,
        pin_factory: Factory | None = None,
        clock: Clock = time.monotonic,
        wait: Wait = wait_for_event,
        sleep: Sleep = time.sleep,
    ) -> None:
        _check(beams, pings_per_second, max_range_m, confirm_jump_m, offline_after, startup_misses)
        if retry_interval <= 0:
            raise ValueError(f"retry_interval must be positive, not {retry_interval}")
        self._submit = submit
        self._clock = clock
        self._wait = wait
        self._sleep = sleep
        self._slot_s = 1.0 / pings_per_second
        self._max_range = max_range_m
        # Long enough for an echo from max range and back; an HC-SR04 that
        # sees nothing holds ECHO high for ~38 ms, past this, which we read
        # as "nothing in range" rather than waiting it out.
        self._listen_s = 2 * max_range_m / SPEED_OF_SOUND + LISTEN_MARGIN_S
        self._jump = confirm_jump_m
        self._offline_after = offline_after
        self._startup_misses = startup_misses
        self._retry_s = retry_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beams: list[_Beam] = []
        try:
            for number, pins in enumerate(beams, start=1):
                self._beams.append(_Beam(number, pins, pin_factory, clock))
        except BaseException:
            for beam in self._beams:
                beam.close()
            raise

    @property
    def ids(self) -> tuple[InputId, ...]:
        return tuple(beam.id for beam in self._beams)

    def start(self) -> None:
        """Start pinging. Calling it again does nothing."""
        if self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="tonic-beams", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (within one listen window, 33 ms) and free the pins."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None
        for beam in self._beams:
            beam.close()
        self._beams = []

    def __enter__(self) -> BeamScanner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the scanner thread --------------------------------------------------

    def _run(self) -> None:
        clock, wait, stop, beams = self._clock, self._wait, self._stop, self._beams
        cursor = 0  # whose turn it is in the round robin
        confirm: _Beam | None = None
        next_slot = clock()
        while not wait(stop, max(0.0, next_slot - clock())):
            now = clock()
            beam, confirming = confirm, confirm is not None
            confirm = None
            if beam is None:
                for k in range(len(beams)):
                    candidate = beams[(cursor + k) % len(beams)]
                    if candidate.retry_at <= now:  # not offline and backing off
                        beam, cursor = candidate, (cursor + k + 1) % len(beams)
                        break
            if beam is None:  # every beam is offline: sleep until the first retry
                next_slot = min(b.retry_at for b in beams)
                continue
            try:
                if self._ping_and_report(beam, confirming):
                    confirm = beam
            except Exception:
                # A failing submit must not silence the beams for the session.
                log.exception("%s: ping failed", beam.label)
            # Count from the trigger itself, so the budget holds on the wire
            # even when this thread was late to wake.
            next_slot = max(now, beam.pinged_at) + self._slot_s

    def _ping(self, beam: _Beam) -> tuple[_Outcome, float | None, float]:
        """One ping: what happened, the distance (None: nothing in range), and when."""
        beam.pinged_at = self._clock()
        if beam.echo.is_active:
            # Still high from an earlier ping (some clones hold an empty
            # echo for 200 ms) or stuck: skip rather than wait, so the other
            # beam keeps its slot.
            return _Outcome.STUCK_HIGH, None, self._clock()
        beam.arm()
        beam.pinged_at = self._clock()
        beam.trigger.on()
        self._sleep(TRIGGER_PULSE_S)
        beam.trigger.off()
        if self._wait(beam.fell, self._listen_s):
            rise, fall = beam.edges()
            if rise is not None and fall is not None:
                width = beam.echo.pin_factory.ticks_diff(fall, rise)
                distance = width * SPEED_OF_SOUND / 2
                return (
                    _Outcome.ECHO,
                    (distance if distance <= self._max_range else None),
                    beam.fall_t,
                )
        rise, _ = beam.edges()
        outcome = _Outcome.NO_PULSE if rise is None else _Outcome.ECHO
        return outcome, None, self._clock()

    def _ping_and_report(self, beam: _Beam, confirming: bool) -> bool:
        """Ping, submit what it means; True if the reading wants a confirming ping."""
        outcome, distance, t = self._ping(beam)
        if outcome is _Outcome.ECHO:
            beam.misses, beam.answered, beam.last_ok = 0, True, t
            if beam.offline:
                beam.offline, beam.retry_at = False, 0.0
                self._submit(InputOnline(t, beam.id))
            self._submit(BeamReading(t, beam.id, distance))
            jumped = not confirming and beam.has_previous and self._jumped(beam.previous, distance)
            beam.previous, beam.has_previous = distance, True
            return jumped
        beam.misses += 1
        limit = self._offline_after if beam.answered else self._startup_misses
        if beam.offline:
            beam.retry_at = beam.pinged_at + self._retry_s
        elif beam.misses >= limit:
            beam.offline, beam.has_previous = True, False
            beam.retry_at = beam.pinged_at + self._retry_s
            self._submit(InputOffline(t, beam.id, self._reason(beam, outcome, t)))
        else:
            self._submit(BeamReading(t, beam.id, None))
        return False

    def _jumped(self, before: float | None, after: float | None) -> bool:
        # A hand entering or leaving the beam counts as a jump too: that is
        # the reading the engine most needs confirmed quickly.
        if before is None or after is None:
            return (before is None) != (after is None)
        return abs(after - before) > self._jump

    @staticmethod
    def _reason(beam: _Beam, outcome: _Outcome, t: float) -> str:
        if beam.last_ok is None:
            return f"{beam.label}: {outcome.value} at startup; check the sensor's cable and power"
        return (
            f"{beam.label}: {outcome.value} for {t - beam.last_ok:.1f} s; check the sensor's cable"
        )


def _check(
    beams: Sequence[BeamPins],
    pings_per_second: float,
    max_range_m: float,
    confirm_jump_m: float,
    offline_after: int,
    startup_misses: int,
) -> None:
    """Reject a bad wiring or setting at once, with the reason."""
    if not 1 <= len(beams) <= MAX_BEAMS:
        raise ValueError(f"a scanner drives 1 to {MAX_BEAMS} beams, not {len(beams)}")
    used: set[int] = set()
    for number, pins in enumerate(beams, start=1):
        if pins.trigger == pins.echo:
            raise ValueError(f"beam:{number}: trigger and echo are both GPIO{pins.echo}")
        for pin in (pins.trigger, pins.echo):
            if pin in used:
                raise ValueError(f"beam:{number}: GPIO{pin} is already used by another beam")
            used.add(pin)
    if not 0 < pings_per_second <= 1 / MIN_CYCLE_S:
        raise ValueError(
            f"pings_per_second must be above 0 and at most {1 / MIN_CYCLE_S:.1f}"
            f" (an HC-SR04 needs {MIN_CYCLE_S * 1000:.0f} ms between pings),"
            f" not {pings_per_second}"
        )
    if not 0 < max_range_m <= MAX_RANGE_M:
        raise ValueError(
            f"max_range_m must be above 0 and at most {MAX_RANGE_M} m, not {max_range_m}"
        )
    if confirm_jump_m <= 0:
        raise ValueError(f"confirm_jump_m must be positive, not {confirm_jump_m}")
    if offline_after < 1 or startup_misses < 1:
        raise ValueError("offline_after and startup_misses must be at least 1")
