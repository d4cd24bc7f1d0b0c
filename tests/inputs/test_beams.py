"""Ultrasonic beams on gpiozero's mock pins: MockTriggerPin echoes like an HC-SR04.

The mock holds ECHO high for ``echo_time`` after a sleep in its own thread,
so it reads 1.5 to 3 cm long and never short.
"""

from __future__ import annotations

import itertools
import queue
import re
import statistics
import threading
import time
from collections.abc import Callable

import pytest
from gpiozero import OutputDevice
from gpiozero.pins.mock import MockTriggerPin

from appliance.events import BeamReading, Event, InputOffline, InputOnline
from appliance.inputs.beams import BeamPins, BeamScanner

A = BeamPins(trigger=23, echo=24)
B = BeamPins(trigger=5, echo=6)
SPARE = 27  # a pin no beam listens to: an echo wired there never reaches us
SLOT = 1 / 16


def echo_time(metres: float) -> float:
    return 2 * metres / 343.26


def sensor(factory, pins: BeamPins, metres: float, echo: int | None = None) -> MockTriggerPin:
    """A mock HC-SR04 on ``pins`` seeing a hand at ``metres``."""
    return factory.pin(
        pins.trigger,
        pin_class=MockTriggerPin,
        echo_pin=factory.pin(pins.echo if echo is None else echo),
        echo_time=echo_time(metres),
    )


@pytest.fixture
def scan(mock_factory):
    """Start a BeamScanner feeding a queue; closed (before the factory resets) at teardown."""
    made: list[BeamScanner] = []

    def _scan(*pins: BeamPins, **kwargs) -> queue.SimpleQueue[Event]:
        events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        scanner = BeamScanner(list(pins), events.put, pin_factory=mock_factory, **kwargs)
        made.append(scanner)
        scanner.start()
        return events

    yield _scan
    for scanner in made:
        scanner.close()


def take(events: queue.SimpleQueue[Event], n: int, timeout: float = 3.0) -> list[Event]:
    deadline = time.monotonic() + timeout
    return [events.get(timeout=max(0.0, deadline - time.monotonic())) for _ in range(n)]


def until(
    events: queue.SimpleQueue[Event], wanted: Callable[[Event], bool], skipped: list | None = None
) -> Event:
    """The first event that is ``wanted`` (each within 3 s); the others go to ``skipped``."""
    while not wanted(e := take(events, 1)[0]):
        if skipped is not None:
            skipped.append(e)
    return e


def during(events: queue.SimpleQueue[Event], seconds: float) -> list[Event]:
    """Every event that arrives within ``seconds`` from now."""
    out: list[Event] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(events.get(timeout=left))
        except queue.Empty:
            break
    return out


def watch(pin: MockTriggerPin) -> float:
    """Start the mock's record of the pin's states afresh; returns when."""
    pin.clear_states()
    return pin._last_change


def rises(pin: MockTriggerPin, since: float) -> list[float]:
    """When the pin went high since ``watch``: the mock records each state's duration."""
    out, t = [], since
    for state in list(pin.states)[1:]:
        t += state.timestamp
        if state.state:
            out.append(t)
    return out


def turns_are_strict(got: list[Event]) -> bool:
    previous: dict[str, float | None] = {}
    jumped = False
    for before, e in zip([None, *got], got, strict=False):
        if before is not None and e.source == before.source and not jumped:
            return False
        last = previous.get(e.source, e.distance)
        jumped = not jumped and abs((e.distance or 9) - (last or 9)) > 0.15
        previous[e.source] = e.distance
    return True


def test_a_hand_at_half_a_metre_reads_within_4_cm(scan, mock_factory):
    sensor(mock_factory, A, 0.5)
    before = time.monotonic()
    got = take(scan(A), 5)
    assert all(type(e) is BeamReading and e.source == "beam:1" for e in got)
    distances = [e.distance for e in got]
    assert 0.5 <= statistics.median(distances) <= 0.54
    assert min(distances) >= 0.495  # the mock only ever reads long
    times = [e.t for e in got]
    assert before <= times[0] and times == sorted(times) and times[-1] <= time.monotonic()


def test_two_beams_take_strict_turns_within_the_budget(scan, mock_factory):
    trig_a, trig_b = sensor(mock_factory, A, 0.5), sensor(mock_factory, B, 1.0)
    since_a, since_b = watch(trig_a), watch(trig_b)
    got = during(scan(A, B), 1.1)
    sources = [e.source for e in got]
    assert all(type(e) is BeamReading for e in got)
    # Strict turns: a beam goes twice only to confirm a jump (the mock's
    # thread now and then reads far too long), never three times.
    assert turns_are_strict(got)
    assert min(sources.count("beam:1"), sources.count("beam:2")) >= 0.4 * len(got)
    assert 12 <= len(got) <= 18  # 16/s shared: 8 each (fewer if the machine is busy)
    by_beam = {s: [e.distance for e in got if e.source == s] for s in ("beam:1", "beam:2")}
    assert 0.5 <= statistics.median(by_beam["beam:1"]) <= 0.54
    assert 1.0 <= statistics.median(by_beam["beam:2"]) <= 1.04
    # The budget, on the wire: no ping starts less than a slot after the last.
    triggers = sorted(rises(trig_a, since_a) + rises(trig_b, since_b))
    assert min(b - a for a, b in itertools.pairwise(triggers)) >= SLOT - 0.002


def test_a_jump_is_confirmed_by_the_next_slot_before_the_other_beam(scan, mock_factory):
    trig_a = sensor(mock_factory, A, 0.5)
    sensor(mock_factory, B, 1.0)
    events = scan(A, B)
    before = take(events, 4)
    trig_a.echo_time = echo_time(0.55)  # 5 cm: not a jump, turns go on
    assert turns_are_strict(before + take(events, 6))
    trig_a.echo_time = echo_time(1.5)  # 90 cm: a jump
    jump = until(events, lambda e: e.source == "beam:1" and e.distance > 1.4)
    confirm, then = take(events, 2)
    assert confirm.source == "beam:1" and confirm.distance > 1.4
    assert SLOT - 0.01 <= confirm.t - jump.t <= SLOT + 0.02  # the very next slot
    assert then.source == "beam:2"  # once only: the other beam's turn comes next


def test_a_hand_entering_an_empty_beam_is_a_jump_too(scan, mock_factory):
    trig_a = sensor(mock_factory, A, 5.0)  # past the 4 m range: nothing in the beam
    sensor(mock_factory, B, 1.0)
    events = scan(A, B)
    assert [e.distance for e in take(events, 4) if e.source == "beam:1"] == [None, None]
    trig_a.echo_time = echo_time(0.3)
    until(events, lambda e: e.source == "beam:1" and e.distance is not None)
    assert take(events, 1)[0].source == "beam:1"


def test_nothing_in_range_reads_none_and_the_sensor_stays_online(scan, mock_factory):
    trig = sensor(mock_factory, A, 0.5)
    trig.echo_time = 0.038  # what an HC-SR04 does when no echo comes back
    got = take(scan(A, offline_after=3), 6)
    assert [(type(e), e.distance) for e in got] == [(BeamReading, None)] * 6


def test_an_absent_sensor_is_offline_at_startup_and_retried_once_a_second(scan, mock_factory):
    trig_a = sensor(mock_factory, A, 0.5, echo=SPARE)  # ECHO never reaches GPIO24
    sensor(mock_factory, B, 1.0)
    since = watch(trig_a)
    got = during(scan(A, B), 1.5)
    from_a = [e for e in got if e.source == "beam:1"]
    assert [type(e) for e in from_a] == [BeamReading, InputOffline]  # one None, then offline
    assert from_a[0].distance is None
    assert from_a[1].reason == (
        "beam:1 (GPIO23/24): no echo at startup; check the sensor's cable and power"
    )
    # Backing off: beam:1 is pinged once a second, beam:2 gets the freed slots.
    assert len(rises(trig_a, since)) == 3  # two startup misses, one retry
    assert sum(e.source == "beam:2" for e in got) >= 18


def test_a_sensor_that_stops_answering_goes_offline_once_then_online(scan, mock_factory):
    trig = sensor(mock_factory, A, 0.5)
    events = scan(A)
    assert all(e.distance is not None for e in take(events, 3))
    trig.echo_pin = mock_factory.pin(SPARE)  # the ECHO wire breaks
    got: list[Event] = []
    offline = until(events, lambda e: type(e) is InputOffline, got)
    misses = got[next(i for i, e in enumerate(got) if e.distance is None) :]
    # Until the 16th miss, a miss reads as an empty beam.
    assert [(type(e), e.distance) for e in misses] == [(BeamReading, None)] * 15
    assert offline.source == "beam:1"
    # 16 slots of 62.5 ms since the last echo (longer if the machine is busy)
    reason = re.fullmatch(
        r"beam:1 \(GPIO23/24\): no echo for (\d\.\d) s; check the sensor's cable", offline.reason
    )
    assert reason and 1.0 <= float(reason.group(1)) <= 1.3, offline.reason
    assert during(events, 0.5) == []  # reported once; no readings while offline
    trig.echo_pin = mock_factory.pin(A.echo)
    online, reading = take(events, 2, timeout=1.5)
    assert online == InputOnline(online.t, "beam:1")
    assert type(reading) is BeamReading and reading.distance >= 0.495


def test_an_absent_sensor_comes_online_when_plugged_in(scan, mock_factory):
    trig = sensor(mock_factory, A, 0.5, echo=SPARE)
    events = scan(A)
    assert type(take(events, 2)[-1]) is InputOffline
    trig.echo_pin = mock_factory.pin(A.echo)
    online, reading = take(events, 2, timeout=1.5)
    assert type(online) is InputOnline and online.source == "beam:1"
    assert reading.source == "beam:1" and reading.distance >= 0.495


def test_an_echo_stuck_high_is_a_fault_not_an_empty_beam(scan, mock_factory):
    sensor(mock_factory, A, 0.5)
    events = scan(A, offline_after=4)
    take(events, 1)
    mock_factory.pin(A.echo).drive_high()
    got: list[Event] = []
    offline = until(events, lambda e: type(e) is InputOffline, got)
    assert [e.distance for e in got[-3:]] == [None] * 3
    assert offline.reason.startswith("beam:1 (GPIO23/24): echo stuck high for ")
    mock_factory.pin(A.echo).drive_low()
    assert type(take(events, 1, timeout=1.5)[0]) is InputOnline


def test_close_stops_the_thread_promptly_and_frees_the_pins(mock_factory):
    sensor(mock_factory, A, 0.5)
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    scanner = BeamScanner([A], events.put, pin_factory=mock_factory)
    scanner.start()
    take(events, 1)
    started = time.monotonic()
    scanner.close()
    assert time.monotonic() - started < 0.5
    assert not [t for t in threading.enumerate() if t.name == "tonic-beams"]
    assert during(events, 0.2) == []
    OutputDevice(A.trigger, pin_factory=mock_factory).close()  # the pin is free again
    scanner.close()  # twice is harmless


def test_readings_are_stamped_by_the_given_clock(scan, mock_factory):
    sensor(mock_factory, A, 0.5)
    (reading,) = take(scan(A, clock=lambda: time.monotonic() + 1000.0), 1)
    assert reading.t > time.monotonic() + 999.0


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
