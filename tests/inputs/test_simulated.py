"""Simulated hardware: each fake acts on the lowest level the real input reads."""

from __future__ import annotations

import queue

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.events import BeamReading, InputId, Pressed, Released, SoundEvent, SoundKind
from appliance.inputs.beam_noise import BeamNoise, NoisySensor
from appliance.inputs.beams import BeamPins, BeamScanner
from appliance.inputs.pads import PadBoard
from appliance.inputs.simulated import SimulatedHardware
from appliance.inputs.switch import Switch
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

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


# -- a noisy beam ------------------------------------------------------------------------

NOISY_PINGS = 24  # 1.5 s at 16 pings a second
SEED = 7


def beam_readings(hardware: SimulatedHardware, moves: list[tuple[int, float]]) -> list[BeamReading]:
    """What the scanner submits as the hand moves: ``(ping count, metres)`` in turn,
    the hand set before the first ping of each move."""
    got: queue.SimpleQueue = queue.SimpleQueue()
    hardware.hand_at(1, moves[0][1])
    scanner = BeamScanner([BeamPins(24, 25)], got.put, pin_factory=hardware.factory)
    readings: list[BeamReading] = []
    scanner.start()
    try:
        for count, metres in moves:
            hardware.hand_at(1, metres)
            want = len(readings) + count
            while len(readings) < want:
                event = got.get(timeout=WAIT_S)
                if isinstance(event, BeamReading):
                    readings.append(event)
    finally:
        scanner.close()
    return readings


def test_a_noisy_simulated_beam_reads_through_the_noise_model():
    hw = SimulatedHardware(BoxConfig(), beam_noise=BeamNoise(), beam_seed=SEED)
    try:
        readings = beam_readings(hw, [(NOISY_PINGS, 0.6)])
    finally:
        hw.close()
    # One draw per ping, in order, from beam 1's own seeded sensor: the
    # scanner passes every reading on as it was measured.
    model = NoisySensor(BeamNoise(), SEED)
    expected = [model.read(0.6) for _ in range(NOISY_PINGS)]
    assert [r.distance for r in readings] == pytest.approx(expected, abs=1e-9)
    assert len({r.distance for r in readings}) > 1  # noisy, not exact


def test_the_same_seed_reads_the_same_and_the_default_is_exact():
    runs = []
    for _ in range(2):
        hw = SimulatedHardware(BoxConfig(), beam_noise=BeamNoise(), beam_seed=SEED)
        try:
            runs.append([r.distance for r in beam_readings(hw, [(8, 0.4)])])
        finally:
            hw.close()
    assert runs[0] == pytest.approx(runs[1], abs=1e-9)
    hw = SimulatedHardware(BoxConfig())
    try:
        assert [r.distance for r in beam_readings(hw, [(8, 0.4)])] == pytest.approx(
            [0.4] * 8, abs=1e-9
        )
    finally:
        hw.close()


def test_rendering_the_live_readings_plays_the_notes_the_engine_played(render):
    # A hand held in the simulated beam, then moved two zones further, then
    # away, read through the noise model; the engine acts on each reading at
    # its own time, as the live loop does.
    hw = SimulatedHardware(BoxConfig(), beam_noise=BeamNoise(), beam_seed=SEED)
    try:
        live = beam_readings(hw, [(32, 0.31), (32, 0.52), (4, 0.95)])
    finally:
        hw.close()
    shift = 0.5 - live[0].t  # script time starts at 0.5 s
    readings = [(r.t + shift, r.distance) for r in live]
    heard = engine_notes(readings)
    assert [note for _, note in heard][:2] == [62, 67]  # D4 held, then G4 two zones on
    script = "".join(f"{t!r} beam:1 distance {d!r}\n" for t, d in readings)
    rendered = render(script + f"{readings[-1][0] + 1.0!r} end\n")
    played = [(e["t"], e["note"]) for e in rendered.note_ons("beam:1")]
    assert played == [(pytest.approx(t, abs=1e-6), note) for t, note in heard]


def engine_notes(readings: list[tuple[float, float | None]]) -> list[tuple[float, int]]:
    """The beam's note-ons when an engine takes these readings one at a time."""
    log: list[SoundEvent] = []
    engine = Engine(FakeSynth(), default_profile(), BoxConfig().input_ids(), [log.append])
    for t, distance in readings:
        engine.tick(t)
        engine.handle(BeamReading(t, InputId("beam:1"), distance))
    engine.tick(readings[-1][0] + 1.0)
    return [
        (e.t, e.note)
        for e in log
        if e.type is SoundKind.NOTE_ON and e.source == "beam:1" and e.note is not None
    ]
