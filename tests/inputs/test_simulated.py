"""Simulated hardware: each fake acts on the lowest level the real input reads."""

from __future__ import annotations

import queue

import pytest

from appliance.config import BoxConfig
from appliance.events import BeamReading, Pressed, Released
from appliance.inputs.beams import BeamPins, BeamScanner
from appliance.inputs.pads import PadBoard
from appliance.inputs.simulated import SimulatedHardware
from appliance.inputs.switch import Switch

WAIT_S = 3.0


@pytest.fixture
def hardware():
    hw = SimulatedHardware(BoxConfig())
    yield hw
    hw.close()


def test_pressing_a_simulated_switch_closes_its_gpio_pin(hardware):
    got: queue.SimpleQueue = queue.SimpleQueue()
    switch = Switch(2, 27, got.put, pin_factory=hardware.factory)
    try:
        hardware.press(2)
        assert isinstance(got.get(timeout=WAIT_S), Pressed)
        assert hardware.factory.pin(27).state == 0  # pulled to ground
        hardware.release(2)
        assert isinstance(got.get(timeout=WAIT_S), Released)
    finally:
        switch.close()


def test_touching_a_simulated_pad_raises_irq_and_the_real_driver_reads_it(hardware):
    got: queue.SimpleQueue = queue.SimpleQueue()
    board = PadBoard(hardware.i2c, got.put, irq_pin=4, pin_factory=hardware.factory)
    board.start()
    try:
        hardware.touch(7)
        event = got.get(timeout=WAIT_S)
        assert isinstance(event, Pressed) and event.source == "pad:7"
        hardware.untouch(7)
        event = got.get(timeout=WAIT_S)
        assert isinstance(event, Released) and event.source == "pad:7"
    finally:
        board.close()


def test_a_hand_in_the_simulated_beam_is_measured_by_the_scanner(hardware):
    got: queue.SimpleQueue = queue.SimpleQueue()
    scanner = BeamScanner([BeamPins(24, 25)], got.put, pin_factory=hardware.factory)
    scanner.start()
    try:
        hardware.hand_at(1, 0.6)
        readings = []
        while len(readings) < 5:
            event = got.get(timeout=WAIT_S)
            if isinstance(event, BeamReading) and event.distance is not None:
                readings.append(event.distance)
        # The simulated echo is exactly as long as the hand's distance, stamped
        # rather than slept out, so every reading is exact however busy the machine.
        assert readings == pytest.approx([0.6] * 5, abs=1e-9)
        hardware.hand_at(1, None)
        while True:
            event = got.get(timeout=WAIT_S)
            if isinstance(event, BeamReading) and event.distance is None:
                break
    finally:
        scanner.close()
