"""Pads: the real adafruit_mpr121 driver on the emulated chip, IRQ on a gpiozero mock pin."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import pytest
from gpiozero import DigitalInputDevice

from appliance.events import (
    Event,
    InputOffline,
    InputOnline,
    Pressed,
    Released,
)
from appliance.inputs.mpr121_emulator import RELEASE_THRESHOLD, TOUCH_THRESHOLD
from appliance.inputs.pads import PadBoard, PadSettingError
from appliance.inputs.switch import Switch

IRQ_PIN = 4
FAST_RETRY = (0.005,)
EIO = "MPR121 at 0x5A: [Errno 5] Input/output error"
PAD_THREAD = f"tonic-pads-{0x5A:#x}"
WAIT_S = 5.0  # generous: only a hang ever waits this long


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something another thread does; the bound only catches a hang."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.002)


def thresholds_in_chip(chip, pad_index: int) -> tuple[int, int]:
    return (
        chip.register(TOUCH_THRESHOLD + 2 * pad_index),
        chip.register(RELEASE_THRESHOLD + 2 * pad_index),
    )


class Events:
    """What the board submitted, in order."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def __call__(self, event: Event) -> None:
        self.queue.put(event)

    def next(self) -> Event:
        return self.queue.get(timeout=2.0)

    def take(self, n: int) -> list[Event]:
        return [self.next() for _ in range(n)]

    def pending(self) -> list[Event]:
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out


def kinds(events: list[Event]) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.source) for e in events]  # type: ignore[attr-defined]


@pytest.fixture
def make_board(chip, mock_factory):
    """Build and start boards on the emulator; IRQ wired to a mock pin unless irq_pin=None."""
    boards: list[PadBoard] = []

    def _make(*, irq: bool = True, **kwargs) -> tuple[PadBoard, Events]:
        events = Events()
        kwargs.setdefault("retry_delays", FAST_RETRY)
        kwargs.setdefault("check_interval", 60.0)  # out of the way unless a test wants it
        board = PadBoard(
            chip, events, irq_pin=IRQ_PIN if irq else None, pin_factory=mock_factory, **kwargs
        )
        boards.append(board)
        board.start()
        if irq:
            pin = mock_factory.pin(IRQ_PIN)
            chip.on_irq = lambda low: pin.drive_low() if low else pin.drive_high()
        return board, events

    yield _make
    for board in boards:
        board.close()


def test_start_initialises_the_chip_with_the_thresholds(make_board, chip):
    thresholds = tuple((20 + i, 10 + i) for i in range(12))
    board, events = make_board(thresholds=thresholds)
    assert board.online and board.reason == "" and board.uses_irq
    assert board.ids == tuple(f"pad:{n}" for n in range(1, 13))
    for i, (touch, release) in enumerate(thresholds):
        assert chip.register(TOUCH_THRESHOLD + 2 * i) == touch
        assert chip.register(RELEASE_THRESHOLD + 2 * i) == release
    assert chip.register(0x5E) == 0x8F
    assert events.pending() == []


def test_touching_pad_3_with_irq_submits_pressed_once_then_released(make_board, chip):
    _board, events = make_board()
    reads_before = len(chip.read_log)
    chip.touch(2)
    assert chip.wait_irq_delivered()
    pressed = events.pending()
    assert kinds(pressed) == [("Pressed", "pad:3")]
    assert list(chip.read_log)[reads_before:] == [(0x00, 2)]  # one 2-byte status read
    assert not chip.irq  # that read released the line
    chip.release(2)
    assert chip.wait_irq_delivered()
    released = events.pending()
    assert kinds(released) == [("Released", "pad:3")]
    assert pressed[0].t <= released[0].t


def test_events_are_stamped_with_one_clock_reading_per_edge(make_board, chip):
    ticks = iter([100.0, 100.5, 101.0, 101.5])
    _board, events = make_board(clock=lambda: next(ticks))  # start() reads it once
    chip.set_signals({0: 80, 7: 80})  # two pads in one sampling pass
    assert events.take(2) == [Pressed(100.5, "pad:1"), Pressed(100.5, "pad:8")]
    chip.set_signals({0: 0, 7: 0})
    assert events.take(2) == [Released(101.0, "pad:1"), Released(101.0, "pad:8")]


def test_two_pads_held_at_once(make_board, chip):
    _board, events = make_board()
    chip.touch(0)
    chip.touch(11)
    assert kinds(events.take(2)) == [("Pressed", "pad:1"), ("Pressed", "pad:12")]
    chip.release(0)
    assert kinds(events.take(1)) == [("Released", "pad:1")]
    chip.release(11)
    assert kinds(events.take(1)) == [("Released", "pad:12")]


def test_set_thresholds_lands_in_the_registers_written_by_the_pad_thread(make_board, chip):
    board, _ = make_board()
    writes_before = len(chip.write_log)
    board.set_thresholds(3, 40, 20)
    assert board.thresholds[2] == (40, 20)  # recorded at once
    wait_until(lambda: thresholds_in_chip(chip, 2) == (40, 20), "thresholds written")
    wait_until(lambda: chip.register(0x5E) == 0x8F, "the chip running again")
    writes = list(chip.write_log)[writes_before:]
    assert (TOUCH_THRESHOLD + 4, PAD_THREAD) in writes
    assert (RELEASE_THRESHOLD + 4, PAD_THREAD) in writes
    # The caller (the engine's thread, in the box) did no I2C at all.
    assert {name for _, name in writes} == {PAD_THREAD}


def test_thresholds_asked_for_while_offline_are_written_when_the_chip_returns(make_board, chip):
    board, events = make_board()
    set_up = len(chip.write_log)  # start() set the chip up on this thread, before the pad thread
    chip.unplug()
    board.set_thresholds(5, 50, 25)  # the thread finds the chip gone while writing
    events.take(12)  # offline
    chip.replug()
    events.take(12)  # online
    assert thresholds_in_chip(chip, 4) == (50, 25)
    writes = list(chip.write_log)[set_up:]
    assert {name for reg, name in writes if reg == TOUCH_THRESHOLD + 8} == {PAD_THREAD}


def test_a_weak_touch_below_a_raised_threshold_is_not_reported(make_board, chip):
    board, events = make_board()
    chip.set_signal(2, 30)
    assert kinds(events.take(1)) == [("Pressed", "pad:3")]  # 30 > 12: a touch
    chip.release(2)
    events.take(1)
    board.set_thresholds(3, 40, 20)
    wait_until(lambda: thresholds_in_chip(chip, 2) == (40, 20), "thresholds written")
    chip.set_signal(2, 30)  # the same weak touch is now below the threshold
    assert chip.wait_irq_delivered()
    assert events.pending() == [] and chip.touched_mask == 0
    chip.set_signal(2, 50)
    assert kinds(events.take(1)) == [("Pressed", "pad:3")]
    chip.set_signal(2, 25)  # between release and touch: still held
    assert chip.wait_irq_delivered()
    assert events.pending() == []
    chip.set_signal(2, 10)
    assert kinds(events.take(1)) == [("Released", "pad:3")]


def test_bad_thresholds_are_refused(make_board):
    board, _ = make_board()
    with pytest.raises(PadSettingError, match=r"pad must be in range 1\.\.12"):
        board.set_thresholds(13, 12, 6)
    with pytest.raises(ValueError, match=r"touch threshold must be in range 0\.\.255, got 256"):
        board.set_thresholds(1, 256, 6)
    with pytest.raises(ValueError, match=r"release threshold \(12\) must be below touch \(12\)"):
        board.set_thresholds(1, 12, 12)
    with pytest.raises(PadSettingError, match=r"address must be 0x5A\.\.0x5D, got 0x20"):
        PadBoard(object(), print, address=0x20, irq_pin=None)
    with pytest.raises(PadSettingError, match="12"):
        PadBoard(object(), print, irq_pin=None, thresholds=((12, 6),))


def test_polling_without_an_irq_wire_picks_up_touches(make_board, chip):
    board, events = make_board(irq=False, poll_hz=500.0)
    assert not board.uses_irq
    chip.touch(4)
    assert kinds(events.take(1)) == [("Pressed", "pad:5")]
    chip.release(4)
    assert kinds(events.take(1)) == [("Released", "pad:5")]


def test_an_irq_pin_in_use_falls_back_to_polling(make_board, chip, mock_factory):
    holder = DigitalInputDevice(IRQ_PIN, pin_factory=mock_factory)
    try:
        _board, events = make_board(irq=False, poll_hz=500.0)
        board_irq = PadBoard(chip, events, irq_pin=IRQ_PIN, pin_factory=mock_factory)
        board_irq.start()
        try:
            assert not board_irq.uses_irq and board_irq.online
        finally:
            board_irq.close()
    finally:
        holder.close()


def test_unplug_releases_held_pads_and_takes_all_twelve_offline(make_board, chip, mock_factory):
    board, events = make_board()
    switch_events = Events()
    switch = Switch(1, 17, switch_events, pin_factory=mock_factory)
    try:
        chip.touch(0)
        chip.touch(4)
        events.take(2)
        chip.unplug()
        # An edge while the chip is gone (noise, or a late IRQ): handled, nothing raised
        # into gpiozero's thread (here: ours, since mock pins call back synchronously).
        mock_factory.pin(IRQ_PIN).drive_low()
        mock_factory.pin(IRQ_PIN).drive_high()
        gone = events.take(14)
        assert kinds(gone[:2]) == [("Released", "pad:1"), ("Released", "pad:5")]
        assert gone[2:] == [InputOffline(gone[2].t, f"pad:{n}", EIO) for n in range(1, 13)]
        assert not board.online and board.reason == EIO
        mock_factory.pin(17).drive_low()  # other inputs carry on
        assert kinds([switch_events.next()]) == [("Pressed", "switch:1")]
        mock_factory.pin(17).drive_high()  # else Button's hold thread delays close() by 1 s
        chip.release(0)
        chip.release(4)
        chip.replug()
        back = events.take(12)
        assert back == [InputOnline(back[0].t, f"pad:{n}") for n in range(1, 13)]
        assert board.online and board.reason == ""
        chip.touch(2)
        assert kinds(events.take(1)) == [("Pressed", "pad:3")]
    finally:
        switch.close()


def test_the_slow_check_notices_an_unplug_without_any_edge(make_board, chip):
    _board, events = make_board(check_interval=0.01, thresholds=((30, 10),) * 12)
    chip.touch(6)
    events.take(1)
    chip.unplug()
    gone = events.take(13)
    assert kinds(gone[:1]) == [("Released", "pad:7")]
    assert {e.reason for e in gone[1:]} == {EIO}  # type: ignore[attr-defined]
    chip.release(6)
    chip.replug()
    events.take(12)
    # The fresh chip was given this board's thresholds again, not the driver's 12/6.
    assert chip.register(TOUCH_THRESHOLD) == 30 and chip.register(RELEASE_THRESHOLD) == 10


def test_unplug_while_polling(make_board, chip):
    _board, events = make_board(irq=False, poll_hz=500.0)
    chip.touch(9)
    events.take(1)
    chip.unplug()
    assert kinds(events.take(13))[:2] == [("Released", "pad:10"), ("InputOffline", "pad:1")]
    chip.replug()
    assert kinds(events.take(12))[-1] == ("InputOnline", "pad:12")
    assert kinds(events.take(1)) == [("Pressed", "pad:10")]  # still held after replug


def test_an_absent_chip_at_start_is_offline_then_recovers(make_board, chip):
    chip.unplug()
    board, events = make_board()
    assert not board.online
    reason = "MPR121 at 0x5A: no answer ([Errno 5] Input/output error)"
    assert board.reason == reason
    offline = events.take(12)
    assert offline == [InputOffline(offline[0].t, f"pad:{n}", reason) for n in range(1, 13)]
    assert board.levels() == ()
    chip.replug()
    assert kinds(events.take(12))[0] == ("InputOnline", "pad:1")
    chip.touch(1)
    assert kinds(events.take(1)) == [("Pressed", "pad:2")]


def test_a_wrong_address_says_nobody_answered(make_board):
    board, events = make_board(address=0x5B)
    assert board.reason == "MPR121 at 0x5B: no answer ([Errno 121] Remote I/O error)"
    assert kinds(events.take(12))[-1] == ("InputOffline", "pad:12")


def test_levels_show_a_touched_pad_below_its_baseline(make_board, chip):
    board, events = make_board(first_pad=13)
    chip.touch(6)
    events.take(1)
    levels = board.levels()
    assert [level.pad for level in levels] == [f"pad:{n}" for n in range(13, 25)]
    touched = levels[6]
    assert touched.touched and touched.baseline - touched.filtered == 80
    assert all(not lv.touched and lv.filtered == lv.baseline for lv in levels if lv is not touched)


def test_close_stops_the_thread_and_frees_the_pin(make_board, chip, mock_factory):
    board, events = make_board(irq=False, poll_hz=500.0)
    name = f"tonic-pads-{0x5A:#x}"
    assert any(t.name == name for t in threading.enumerate())
    board.close()
    board.close()  # idempotent
    assert not any(t.name == name and t.is_alive() for t in threading.enumerate())
    assert not board.online
    chip.touch(0)
    assert events.pending() == []
    irq_board, _ = make_board()
    irq_board.close()
    DigitalInputDevice(IRQ_PIN, pin_factory=mock_factory).close()  # the pin is free again


# --- recovery: whatever failed, and whenever ---------------------------------------


class Bus:
    """Opens the emulated chip's bus once ``plugged`` is set; until then, Blinka's kind of
    failure (off a Pi it raises anything: ValueError, NotImplementedError, OSError)."""

    def __init__(self, chip) -> None:
        self.chip = chip
        self.plugged = threading.Event()
        self.opened = 0

    def __call__(self) -> object:
        if not self.plugged.is_set():
            raise ValueError("No Hardware I2C on (scl,sda)=(3, 2)")
        self.opened += 1
        return self.chip


def test_a_bus_that_cannot_be_opened_at_start_is_opened_later_on_the_pad_thread(chip, mock_factory):
    bus = Bus(chip)
    events = Events()
    board = PadBoard(
        None, events, open_bus=bus, irq_pin=None, poll_hz=500.0, retry_delays=FAST_RETRY
    )
    board.start()
    try:
        reason = "no I2C bus (No Hardware I2C on (scl,sda)=(3, 2))"
        assert not board.online and board.reason == reason
        offline = events.take(12)
        assert offline == [InputOffline(offline[0].t, f"pad:{n}", reason) for n in range(1, 13)]
        bus.plugged.set()
        back = events.take(12)
        assert back == [InputOnline(back[0].t, f"pad:{n}") for n in range(1, 13)]
        assert board.online and bus.opened == 1
        assert chip.write_log[-1][1] == PAD_THREAD  # set up by the pad thread
        chip.touch(6)
        assert kinds(events.take(1)) == [("Pressed", "pad:7")]
    finally:
        board.close()


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RuntimeError("I2C adapter went away"), "MPR121 at 0x5A: I2C adapter went away"),
        (ValueError("bad reply"), "MPR121 at 0x5A: bad reply"),
        (KeyError("bus"), "MPR121 at 0x5A: KeyError: 'bus'"),
    ],
)
@pytest.mark.parametrize("irq", [True, False], ids=["irq", "polling"])
def test_any_error_from_the_bus_mid_session_takes_the_pads_offline_and_they_come_back(
    make_board, chip, error, reason, irq
):
    board, events = make_board(irq=irq, poll_hz=500.0, check_interval=0.01)
    chip.touch(0)
    assert kinds(events.take(1)) == [("Pressed", "pad:1")]
    chip.break_bus(error)
    gone = events.take(13)
    assert kinds(gone[:1]) == [("Released", "pad:1")]  # nothing drones on
    assert gone[1:] == [InputOffline(gone[1].t, f"pad:{n}", reason) for n in range(1, 13)]
    assert not board.online and board.reason == reason
    chip.release(0)
    chip.mend_bus()
    back = events.take(12)
    assert back == [InputOnline(back[0].t, f"pad:{n}") for n in range(1, 13)]
    chip.touch(3)
    assert kinds(events.take(1)) == [("Pressed", "pad:4")]
    assert any(t.name == PAD_THREAD and t.is_alive() for t in threading.enumerate())


def test_a_bus_opened_by_the_board_is_opened_afresh_after_it_fails(chip, mock_factory):
    bus = Bus(chip)
    bus.plugged.set()
    events = Events()
    board = PadBoard(
        None, events, open_bus=bus, irq_pin=None, poll_hz=500.0, retry_delays=FAST_RETRY
    )
    board.start()
    try:
        assert board.online and bus.opened == 1
        chip.break_bus(RuntimeError("I2C adapter went away"))
        events.take(12)
        chip.mend_bus()
        events.take(12)
        assert board.online and bus.opened >= 2
    finally:
        board.close()


def test_the_pad_thread_survives_an_unexpected_error_and_says_so_once(chip, mock_factory, caplog):
    got: queue.SimpleQueue[Event] = queue.SimpleQueue()
    failures = iter([TypeError("a broken listener")] * 3)

    def submit(event: Event) -> None:
        failure = next(failures, None)  # the first three events fail to be handed over
        if failure is not None:
            raise failure
        got.put(event)

    board = PadBoard(chip, submit, irq_pin=None, poll_hz=500.0, retry_delays=FAST_RETRY)
    board.start()
    try:
        for pad in (0, 1, 2):
            reads = chip.transactions
            chip.touch(pad)
            # Two status reads later the thread has met this touch (and the failure).
            wait_until(lambda: chip.transactions >= reads + 2, "the touch read")  # noqa: B023
        chip.touch(4)
        assert type(e := got.get(timeout=WAIT_S)) is Pressed and e.source == "pad:5"
        chip.release(4)
        assert type(e := got.get(timeout=WAIT_S)) is Released and e.source == "pad:5"
    finally:
        board.close()
    errors = [r for r in caplog.records if r.levelname == "ERROR" and r.name.endswith("pads")]
    assert [r.getMessage() for r in errors] == [
        "pads: unexpected TypeError: a broken listener; carrying on"
    ]


def test_a_board_needs_a_bus_or_a_way_to_open_one():
    with pytest.raises(PadSettingError, match="give the I2C bus or a way to open it"):
        PadBoard(None, print, irq_pin=None)
