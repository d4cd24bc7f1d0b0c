"""The reopener: one thread that retries what could not be opened, with backoff."""

from __future__ import annotations

import logging
import queue
import threading
import time

import pytest
from gpiozero import Button
from gpiozero.exc import GPIOPinInUse

from appliance.events import Event, Pressed
from appliance.inputs.reopen import DEFAULT_RETRY_DELAYS, Backoff, Reopener
from appliance.inputs.switch import Switch

FAST = (0.001,)
WAIT_S = 5.0  # generous: only a hang ever waits this long


def test_backoff_doubles_to_8_s_and_stays_there():
    backoff = Backoff()
    assert [backoff.next() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.next() == DEFAULT_RETRY_DELAYS[0]
    with pytest.raises(ValueError, match="non-empty and not negative"):
        Backoff(())


class Device:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Flaky:
    """Fails ``failures`` times with a pin-in-use error, then opens a Device."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.threads: list[str] = []

    def __call__(self) -> Device:
        self.attempts += 1
        self.threads.append(threading.current_thread().name)
        if self.attempts <= self.failures:
            raise GPIOPinInUse("pin GPIO6 is already in use")
        return Device()


def test_an_opener_is_retried_until_it_opens_then_handed_over_on_the_reopener_thread(caplog):
    caplog.set_level(logging.INFO, logger="appliance.inputs.reopen")
    reopener = Reopener(retry_delays=FAST)
    opened: queue.SimpleQueue[tuple[Device, str]] = queue.SimpleQueue()
    flaky = Flaky(failures=3)
    try:
        reopener.add("switch:2", flaky, lambda d: opened.put((d, threading.current_thread().name)))
        device, thread = opened.get(timeout=WAIT_S)
    finally:
        reopener.close()
    assert not device.closed and thread == "tonic-reopen"
    assert flaky.attempts == 4 and set(flaky.threads) == {"tonic-reopen"}
    assert reopener.pending == ()
    # The same reason three times is one line, not three.
    lines = [r.getMessage() for r in caplog.records if r.name == "appliance.inputs.reopen"]
    assert lines == ["switch:2 still closed: pin GPIO6 is already in use; retrying"]


def test_one_thread_serves_every_job_and_sleeps_between_attempts():
    reopener = Reopener(retry_delays=(60.0,))  # nothing is due during this test
    try:
        reopener.add("switch:1", Flaky(failures=99), lambda d: None)
        reopener.add("switch:3", Flaky(failures=99), lambda d: None)
        assert reopener.pending == ("switch:1", "switch:3")
        threads = [t for t in threading.enumerate() if t.name == "tonic-reopen"]
        assert len(threads) == 1 and threads[0].daemon
        cpu = time.pthread_getcpuclockid(threads[0].ident)
        before = time.clock_gettime(cpu)
        time.sleep(0.2)  # a window to watch it in, not a measurement of the test
        # CPU time, not wall time: a busy machine cannot make an idle thread use more.
        assert time.clock_gettime(cpu) - before < 0.05  # asleep on its event, not polling
    finally:
        reopener.close()
    assert not [t for t in threading.enumerate() if t.name == "tonic-reopen" and t.is_alive()]


def test_retry_now_tries_at_once():
    reopener = Reopener(retry_delays=(60.0,))
    opened = threading.Event()
    try:
        reopener.add("beams", Flaky(failures=0), lambda d: opened.set())
        reopener.retry_now()
        assert opened.wait(WAIT_S)
    finally:
        reopener.close()


def test_after_close_nothing_is_added_or_handed_over():
    reopener = Reopener(retry_delays=FAST)
    reopener.close()
    reopener.add("switch:1", Flaky(failures=0), lambda d: pytest.fail("handed over after close"))
    assert reopener.pending == ()
    reopener.close()  # twice: harmless


def test_a_device_that_opens_while_closing_is_closed_again():
    reopener = Reopener(retry_delays=FAST)
    opening, go_on = threading.Event(), threading.Event()
    device = Device()

    def slow_open() -> Device:
        opening.set()
        go_on.wait(WAIT_S)
        return device

    reopener.add("switch:1", slow_open, lambda d: pytest.fail("handed over after close"))
    assert opening.wait(WAIT_S)
    closer = threading.Thread(target=reopener.close)
    closer.start()
    deadline = time.monotonic() + WAIT_S
    while reopener.pending:  # close() drops the jobs as it marks itself closed
        assert time.monotonic() < deadline, "close() never began"
        time.sleep(0.001)
    go_on.set()
    closer.join(WAIT_S)
    assert device.closed


def test_a_real_switch_opens_once_its_pin_is_freed(mock_factory):
    holder = Button(6, pin_factory=mock_factory)
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    switches: queue.SimpleQueue[Switch] = queue.SimpleQueue()
    reopener = Reopener(retry_delays=FAST)
    try:
        reopener.add(
            "switch:2",
            lambda: Switch(2, 6, events.put, pin_factory=mock_factory),
            switches.put,
        )
        holder.close()
        switch = switches.get(timeout=WAIT_S)
        mock_factory.pin(6).drive_low()
        assert type(events.get(timeout=WAIT_S)) is Pressed
        switch.close()
    finally:
        reopener.close()
