"""Ultrasonic beams in simulated time: the scanner's clock, waits and sleeps are given.

Each sensor is a simulated HC-SR04 (:class:`EchoingTriggerPin` on gpiozero's
mock pins) whose echo is exactly as long as the distance set, on a clock
that moves only when the scanner waits or sleeps. So the round robin, the
budget and every stamp are checked to the microsecond, and a busy machine
cannot change them: no test here times the wall clock. One test at the end
runs gpiozero's own ``MockTriggerPin`` (a thread that sleeps out the echo) in
real time, and asserts only what load cannot change.
"""

from __future__ import annotations

import itertools
import queue
import threading

import pytest
from gpiozero import OutputDevice
from gpiozero.pins.mock import MockTriggerPin

from appliance.events import BeamReading, Event, InputOffline, InputOnline
from appliance.inputs.beams import (
    LISTEN_MARGIN_S,
    SPEED_OF_SOUND,
    TRIGGER_PULSE_S,
    BeamPins,
    BeamScanner,
)
from appliance.inputs.simulated import EchoingTriggerPin

A = BeamPins(trigger=23, echo=24)
B = BeamPins(trigger=5, echo=6)
SPARE = 27  # a pin no beam listens to: an echo wired there never reaches us
SLOT = 1 / 16  # exact in binary, so slot times add up exactly
LISTEN = 2 * 4.0 / SPEED_OF_SOUND + LISTEN_MARGIN_S
START = 100.0
WAIT_S = 5.0  # generous: only a hang ever waits this long


class SimulatedTime:
    """The scanner's clock, wait and sleep, in simulated seconds.

    The scanner runs freely up to ``limit`` (as fast as the CPU lets it, but
    in simulated time); a wait that would pass it parks the scanner for real
    until the test moves the limit on with :meth:`run_for`, or the event
    waited on is set (``close()``). Everything the scanner submitted up to
    the limit is in the queue when ``run_for`` returns. Pings are due on whole
    slots and the limit sits between two, so ``run_for(n * SLOT)`` lets exactly
    ``n`` more pings happen. :meth:`release` lets it run to its end (close()).
    """

    def __init__(self) -> None:
        self.now = START
        # Three quarters of a slot past each slot: a ping due exactly at the
        # limit never depends on how simulated time rounded, and a ping's
        # listening window (33 ms, just over half a slot) ends before it.
        self.limit = START + 3 * SLOT / 4
        self.parked = False
        self.released = False
        self._cond = threading.Condition()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if event.is_set():
            return True
        with self._cond:
            while self.now + timeout > self.limit and not self.released:
                if event.is_set():
                    return True
                self.parked = True
                self._cond.notify_all()
                self._cond.wait(0.01)  # wakes to see close() set the event
            self.parked = False
            self.now += timeout
        return event.is_set()

    def release(self) -> None:
        """No more parking: a scanner parked waiting for an echo sees close() at once."""
        with self._cond:
            self.released = True
            self._cond.notify_all()

    def run_for(self, seconds: float) -> None:
        """Let the scanner run until ``seconds`` more have passed, then park it."""
        with self._cond:
            self.limit += seconds
            self.parked = False
            self._cond.notify_all()
            assert self._cond.wait_for(lambda: self.parked, WAIT_S), "the scanner hung"


def echo_time(metres: float) -> float:
    return 2 * metres / SPEED_OF_SOUND


@pytest.fixture
def sim() -> SimulatedTime:
    return SimulatedTime()


@pytest.fixture
def sensor(mock_factory, sim):
    def _sensor(pins: BeamPins, metres: float, echo: int | None = None) -> EchoingTriggerPin:
        """A simulated HC-SR04 on ``pins`` seeing a hand at ``metres``."""
        return mock_factory.pin(
            pins.trigger,
            pin_class=EchoingTriggerPin,
            echo_pin=mock_factory.pin(pins.echo if echo is None else echo),
            echo_time=echo_time(metres),
            clock=sim.clock,
            sleep=sim.sleep,
        )

    return _sensor


@pytest.fixture
def scan(mock_factory, sim):
    """Start a BeamScanner in simulated time feeding a queue; closed at teardown."""
    made: list[BeamScanner] = []

    def _scan(*pins: BeamPins, **kwargs) -> queue.SimpleQueue[Event]:
        events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        scanner = BeamScanner(
            list(pins),
            events.put,
            pin_factory=mock_factory,
            clock=sim.clock,
            wait=sim.wait,
            sleep=sim.sleep,
            **kwargs,
        )
        made.append(scanner)
        scanner.start()
        return events

    yield _scan
    sim.release()
    for scanner in made:
        scanner.close()


def drain(events: queue.SimpleQueue[Event]) -> list[Event]:
    out = []
    while not events.empty():
        out.append(events.get_nowait())
    return out


def test_a_hand_at_half_a_metre_reads_half_a_metre_at_the_echos_end(scan, sensor, sim):
    trig = sensor(A, 0.5)
    events = scan(A)
    sim.run_for(4 * SLOT)  # pings at 0, 1, 2, 3 and 4 slots
    got = drain(events)
    assert [type(e) for e in got] == [BeamReading] * 5
    assert [e.distance for e in got] == pytest.approx([0.5] * 5, abs=1e-9)
    # Stamped when the echo ended: the trigger's time plus the echo's length.
    assert list(trig.pings) == [START + k * SLOT for k in range(5)]
    assert [e.t for e in got] == pytest.approx([t + echo_time(0.5) for t in trig.pings])


def test_two_beams_take_strict_turns_within_the_budget(scan, sensor, sim):
    trig_a, trig_b = sensor(A, 0.5), sensor(B, 1.0)
    events = scan(A, B)
    sim.run_for(1.0 - SLOT)  # one second: 16 slots
    got = drain(events)
    assert all(type(e) is BeamReading for e in got)
    assert [e.source for e in got] == ["beam:1", "beam:2"] * 8  # 16/s shared: 8 each
    assert [e.distance for e in got] == pytest.approx([0.5, 1.0] * 8, abs=1e-9)
    # The budget, on the wire: every ping starts exactly one slot after the last.
    triggers = sorted([*trig_a.pings, *trig_b.pings])
    assert [b - a for a, b in itertools.pairwise(triggers)] == pytest.approx([SLOT] * 15)


def test_a_jump_is_confirmed_by_the_next_slot_before_the_other_beam(scan, sensor, sim):
    trig_a = sensor(A, 0.5)
    sensor(B, 1.0)
    events = scan(A, B)
    sim.run_for(3 * SLOT)
    trig_a.echo_time = echo_time(0.55)  # 5 cm: not a jump, turns go on
    sim.run_for(6 * SLOT)
    before = drain(events)
    assert [e.source for e in before] == ["beam:1", "beam:2"] * 5
    trig_a.echo_time = echo_time(1.5)  # 90 cm: a jump
    sim.run_for(4 * SLOT)
    after = drain(events)
    assert [(e.source, round(e.distance, 2)) for e in after] == [
        ("beam:1", 1.5),  # the jump
        ("beam:1", 1.5),  # confirmed in the very next slot, ahead of beam:2's turn
        ("beam:2", 1.0),  # once only: then the other beam's turn
        ("beam:1", 1.5),
    ]
    jump, confirm = after[0], after[1]
    assert confirm.t - jump.t == pytest.approx(SLOT)


def test_a_hand_entering_an_empty_beam_is_a_jump_too(scan, sensor, sim):
    trig_a = sensor(A, 5.0)  # past the 4 m range: nothing in the beam
    sensor(B, 1.0)
    events = scan(A, B)
    sim.run_for(3 * SLOT)
    assert [e.distance for e in drain(events) if e.source == "beam:1"] == [None, None]
    trig_a.echo_time = echo_time(0.3)
    sim.run_for(3 * SLOT)
    got = [(e.source, e.distance and round(e.distance, 2)) for e in drain(events)]
    assert got == [("beam:1", 0.3), ("beam:1", 0.3), ("beam:2", 1.0)]


def test_nothing_in_range_reads_none_and_the_sensor_stays_online(scan, sensor, sim):
    trig = sensor(A, 0.5)
    trig.echo_time = 0.038  # what an HC-SR04 does when no echo comes back
    events = scan(A, offline_after=3)
    sim.run_for(5 * SLOT)
    assert [(type(e), e.distance) for e in drain(events)] == [(BeamReading, None)] * 6


def test_an_absent_sensor_is_offline_at_startup_and_retried_once_a_second(scan, sensor, sim):
    trig_a = sensor(A, 0.5, echo=SPARE)  # ECHO never reaches GPIO24
    sensor(B, 1.0)
    events = scan(A, B)
    sim.run_for(1.49)
    got = drain(events)
    from_a = [e for e in got if e.source == "beam:1"]
    assert [type(e) for e in from_a] == [BeamReading, InputOffline]  # one None, then offline
    assert from_a[0].distance is None
    assert from_a[1].reason == (
        "beam:1 (GPIO23/24): no echo at startup; check the sensor's cable and power"
    )
    # Backing off: beam:1 is pinged at 0 and 2 slots (two startup misses), then
    # once a second after its last miss (at 18 slots); beam:2 gets every other slot.
    assert list(trig_a.pings) == [START, START + 2 * SLOT, START + 18 * SLOT]
    assert sum(e.source == "beam:2" for e in got) == 25 - 3  # of slots 0..24


def test_a_sensor_that_stops_answering_goes_offline_once_then_online(
    scan, sensor, sim, mock_factory
):
    trig = sensor(A, 0.5)
    events = scan(A)
    sim.run_for(2 * SLOT)
    assert all(e.distance is not None for e in drain(events))
    trig.echo_pin = mock_factory.pin(SPARE)  # the ECHO wire breaks
    sim.run_for(16 * SLOT)
    got = drain(events)
    # Until the 16th miss, a miss reads as an empty beam.
    assert [(type(e), e.distance) for e in got[:-1]] == [(BeamReading, None)] * 15
    offline = got[-1]
    assert type(offline) is InputOffline and offline.source == "beam:1"
    # The 16th miss ends a listening window after its trigger (18 slots in).
    # The sensor still echoes (onto a wire to nowhere) before the window runs out.
    end_of_miss = START + 18 * SLOT + echo_time(0.5) + TRIGGER_PULSE_S + LISTEN
    assert offline.t == pytest.approx(end_of_miss, abs=1e-9)
    assert offline.reason == "beam:1 (GPIO23/24): no echo for 1.0 s; check the sensor's cable"
    sim.run_for(0.5)
    assert drain(events) == []  # reported once; no readings while offline
    trig.echo_pin = mock_factory.pin(A.echo)
    sim.run_for(0.5)
    online, reading = drain(events)
    assert online == InputOnline(online.t, "beam:1")
    assert type(reading) is BeamReading and reading.distance == pytest.approx(0.5)
    assert online.t == reading.t == pytest.approx(START + 18 * SLOT + 1.0 + echo_time(0.5))


def test_an_absent_sensor_comes_online_when_plugged_in(scan, sensor, sim, mock_factory):
    trig = sensor(A, 0.5, echo=SPARE)
    events = scan(A)
    sim.run_for(SLOT)
    assert [type(e) for e in drain(events)] == [BeamReading, InputOffline]
    trig.echo_pin = mock_factory.pin(A.echo)
    sim.run_for(1.0)
    online, reading = drain(events)
    assert type(online) is InputOnline and online.source == "beam:1"
    assert reading.source == "beam:1" and reading.distance == pytest.approx(0.5)


def test_an_echo_stuck_high_is_a_fault_not_an_empty_beam(scan, sensor, sim, mock_factory):
    trig = sensor(A, 0.5)
    events = scan(A, offline_after=4)
    sim.run_for(0)
    assert len(drain(events)) == 1
    mock_factory.pin(A.echo).drive_high()
    pings = len(trig.pings)
    sim.run_for(4 * SLOT)
    got = drain(events)
    assert [e.distance for e in got[:-1]] == [None] * 3
    assert len(trig.pings) == pings  # never triggered into a stuck line
    reason = "beam:1 (GPIO23/24): echo stuck high for 0.2 s; check the sensor's cable"
    assert got[-1].reason == reason
    mock_factory.pin(A.echo).drive_low()
    sim.run_for(1.0)
    assert [type(e) for e in drain(events)] == [InputOnline, BeamReading]


def test_close_stops_the_thread_and_frees_the_pins(sensor, sim, mock_factory):
    sensor(A, 0.5)
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    scanner = BeamScanner(
        [A], events.put, pin_factory=mock_factory, clock=sim.clock, wait=sim.wait, sleep=sim.sleep
    )
    scanner.start()
    sim.run_for(SLOT)
    sim.release()
    scanner.close()
    assert not [t for t in threading.enumerate() if t.name == "tonic-beams" and t.is_alive()]
    OutputDevice(A.trigger, pin_factory=mock_factory).close()  # the pin is free again
    scanner.close()  # twice is harmless


def test_gpiozeros_own_mock_sensor_is_measured_in_real_time(mock_factory):
    """gpiozero's MockTriggerPin sleeps out the echo in a thread of its own, as
    lgpio delivers edges on its own thread on the Pi. How long that sleep
    overruns depends on the machine's load (half a metre can read 0.52 m, or
    0.6 m on a busy one), so only what load cannot change is asserted: the
    readings arrive, in order, and never read short of the hand."""
    mock_factory.pin(
        A.trigger,
        pin_class=MockTriggerPin,
        echo_pin=mock_factory.pin(A.echo),
        echo_time=echo_time(0.5),
    )
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    with BeamScanner([A], events.put, pin_factory=mock_factory):
        got = [events.get(timeout=WAIT_S) for _ in range(3)]
    assert [e.source for e in got] == ["beam:1"] * 3
    assert all(type(e) is BeamReading and e.distance is not None for e in got)
    assert min(e.distance for e in got) >= 0.495  # a sleep can overrun, never fall short
    assert [e.t for e in got] == sorted(e.t for e in got)


@pytest.mark.parametrize(
    ("beams", "kwargs", "message"),
    [
        ([], {}, "a scanner drives 1 to 2 beams, not 0"),
        ([A, B, BeamPins(17, 22)], {}, "a scanner drives 1 to 2 beams, not 3"),
        ([BeamPins(23, 23)], {}, "beam:1: trigger and echo are both GPIO23"),
        ([A, BeamPins(5, 24)], {}, "beam:2: GPIO24 is already used by another beam"),
        ([A], {"pings_per_second": 20}, "at most 16.7 (an HC-SR04 needs 60 ms between pings)"),
        ([A], {"max_range_m": 6}, "max_range_m must be above 0 and at most 4.0 m, not 6"),
        ([A], {"confirm_jump_m": 0}, "confirm_jump_m must be positive, not 0"),
    ],
)
def test_bad_wiring_and_settings_are_refused_at_once(mock_factory, beams, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BeamScanner(beams, lambda event: None, pin_factory=mock_factory, **kwargs)
