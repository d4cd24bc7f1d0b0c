"""Switch jacks on gpiozero's mock pins: a closed switch pulls its pin low."""

from __future__ import annotations

import queue
import time

import pytest
from gpiozero import Button
from gpiozero.exc import GPIOPinInUse

from appliance.config import BoxConfig
from appliance.events import Event, Pressed, Released
from appliance.inputs.switch import Switch

PINS = (5, 6, 13, 19, 26)


def _next(events: queue.SimpleQueue[Event]) -> Event:
    return events.get(timeout=2.0)


@pytest.fixture
def switches(mock_factory):
    """One Switch per configured pin, feeding a queue, as the box wires them."""
    config = BoxConfig(switch_pins=PINS)
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    made = [
        Switch(number, pin, events.put, pin_factory=mock_factory)
        for number, pin in enumerate(config.switch_pins, start=1)
    ]
    yield made, events
    for switch in made:
        switch.close()


def test_pins_come_from_the_config(switches):
    made, _ = switches
    assert [s.id for s in made] == ["switch:1", "switch:2", "switch:3", "switch:4", "switch:5"]
    assert [s.pin for s in made] == list(PINS)
    ids = BoxConfig(switch_pins=PINS).input_ids()
    assert [i for i in ids if i.startswith("switch:")][-1] == "switch:5"


def test_drive_low_submits_pressed_and_drive_high_released(switches, mock_factory):
    _, events = switches
    before = time.monotonic()
    mock_factory.pin(26).drive_low()
    pressed = _next(events)
    mid = time.monotonic()
    mock_factory.pin(26).drive_high()
    released = _next(events)
    after = time.monotonic()
    assert pressed == Pressed(pressed.t, "switch:5")
    assert type(pressed) is Pressed and type(released) is Released
    assert released.source == "switch:5"
    assert before <= pressed.t <= mid <= released.t <= after  # monotonic clock
    assert events.empty()


def test_each_pin_reports_its_own_switch(switches, mock_factory):
    made, events = switches
    for number, pin in enumerate(PINS, start=1):
        assert not made[number - 1].is_pressed
        mock_factory.pin(pin).drive_low()
        pressed = _next(events)
        assert (type(pressed), pressed.source) == (Pressed, f"switch:{number}")
        assert made[number - 1].is_pressed
        mock_factory.pin(pin).drive_high()
        released = _next(events)
        assert (type(released), released.source) == (Released, f"switch:{number}")
        assert not made[number - 1].is_pressed
    assert events.empty()


def test_only_edges_submit_events(switches, mock_factory):
    _, events = switches
    pin = mock_factory.pin(5)
    pin.drive_high()  # already high (pulled up): no edge
    pin.drive_low()
    pin.drive_low()  # still low: no second press
    pin.drive_high()
    assert [type(_next(events)) for _ in range(2)] == [Pressed, Released]
    assert events.empty()


def test_events_are_stamped_by_the_given_clock(mock_factory):
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    ticks = iter([10.0, 10.25])
    switch = Switch(3, 17, events.put, pin_factory=mock_factory, clock=lambda: next(ticks))
    try:
        mock_factory.pin(17).drive_low()
        mock_factory.pin(17).drive_high()
        assert [_next(events), _next(events)] == [
            Pressed(10.0, "switch:3"),
            Released(10.25, "switch:3"),
        ]
    finally:
        switch.close()


def test_close_frees_the_pin_and_stops_events(mock_factory):
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    switch = Switch(1, 17, events.put, pin_factory=mock_factory)
    switch.close()
    other = Button(17, pin_factory=mock_factory)  # the pin is free again
    try:
        mock_factory.pin(17).drive_low()
        assert other.is_pressed
    finally:
        other.close()
    assert events.empty()


def test_a_pin_already_in_use_is_refused_by_gpiozero(mock_factory):
    holder = Button(6, pin_factory=mock_factory)
    try:
        with pytest.raises(GPIOPinInUse):
            Switch(2, 6, lambda event: None, pin_factory=mock_factory)
    finally:
        holder.close()
