"""Capacitive pads: twelve electrodes on an MPR121, read over I2C.

The chip does the touch detection itself: it compares each electrode's
filtered data with its baseline against a per-pad touch and release
threshold (hysteresis), and keeps the result in a 12-bit status register.
:class:`PadBoard` reads that register with Adafruit's driver and turns each
changed bit into a ``Pressed``/``Released`` event for ``pad:N``, stamped with
the monotonic time, through ``submit``. It never touches musical state.

Two ways to learn of a change:

* **IRQ** (``irq_pin`` set): the chip pulls its open-drain IRQ line low when
  the status changes and lets go when the status is read. The line is read
  with gpiozero's pull-up, so low is "active"; each falling edge costs one
  2-byte read::

      finger         ____/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\\_______________
      IRQ (GPIO)     ‾‾‾‾‾\\__/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\\__/‾‾‾‾‾‾‾‾‾‾
      read 0x00..01         ^ Pressed(pad:N)            ^ Released(pad:N)

  A slow check (``check_interval``, 1 s: one read a second) also runs,
  because an unplugged chip never pulls IRQ low, and an edge missed while
  the line was already low would otherwise leave it stuck low for good.

* **Polling** (no IRQ wire): a thread reads the status ``poll_hz`` times a
  second. At 50 Hz that is 50 two-byte reads a second, each about 0.5 ms on
  a 100 kHz bus (5 bytes on the wire with addressing): 2.5 % of the bus, and
  at most 20 ms (10 ms on average) added to a touch's latency.

When a read fails, whatever the bus or the driver raised, the board goes
offline (``Released`` for every held pad, so nothing drones on, then
``InputOffline`` for all twelve, with the reason) and the same thread
retries with exponential backoff, 0.5 s doubling to 8 s, until the chip
answers; it is then set up again from scratch and ``InputOnline`` is sent::

      chip     ‾‾‾‾‾‾‾‾‾‾‾‾\\__unplugged________________/‾‾‾‾‾‾‾‾‾‾
      read          ok     ✗ offline   .5s ✗   1s ✗   2s ✓ online

The bus itself may be given as an opener (``open_bus``, e.g. Blinka's
``busio.I2C`` on the Pi): a bus that cannot be opened is retried the same
way as a missing chip, and a bus that failed is opened afresh. The thread
never dies: an unexpected error is logged once, and it carries on.

Thresholds are written by this thread too: :meth:`PadBoard.set_thresholds`
only records the wanted values and wakes it, so the caller (the engine's
owner thread, when the therapist changes a profile) never waits on I2C.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import adafruit_mpr121
from gpiozero import DigitalInputDevice, Factory
from gpiozero.exc import GPIOZeroError

from appliance.errors import TonicError
from appliance.events import (
    Event,
    InputId,
    InputKind,
    InputOffline,
    InputOnline,
    Pressed,
    Released,
    input_id,
)
from appliance.inputs.reopen import DEFAULT_RETRY_DELAYS, Backoff

log = logging.getLogger(__name__)

PADS = 12
MPR121_ADDRESSES = range(0x5A, 0x5E)  # set by the ADDR pin
DEFAULT_THRESHOLDS: tuple[tuple[int, int], ...] = ((12, 6),) * PADS
__all__ = ["DEFAULT_RETRY_DELAYS", "PadBoard", "PadLevel", "PadSettingError"]


class PadSettingError(TonicError, ValueError):
    """A pad number or threshold out of range."""


@dataclass(frozen=True, slots=True)
class PadLevel:
    """One electrode as the chip sees it now, in counts (10 bits)."""

    pad: InputId
    filtered: int
    baseline: int
    touched: bool


def _check_thresholds(touch: int, release: int) -> None:
    for name, value in (("touch", touch), ("release", release)):
        if not 0 <= value <= 255:
            raise PadSettingError(f"{name} threshold must be in range 0..255, got {value}")
    if release >= touch:
        raise PadSettingError(f"release threshold ({release}) must be below touch ({touch})")


def _describe(error: BaseException) -> str:
    # The driver's probe replaces the bus error with "No I2C device at
    # address"; the errno underneath says more (EIO vs. nobody ACKing).
    if isinstance(error, ValueError) and isinstance(error.__context__, OSError):
        return f"no answer ({error.__context__})"
    # OSError and the driver's own errors speak for themselves; anything else
    # (a bus adapter's RuntimeError, a bug) is named, so its line is not cryptic.
    if isinstance(error, OSError) or type(error) in (ValueError, RuntimeError):
        return str(error) or type(error).__name__
    return f"{type(error).__name__}: {error}"


class PadBoard:
    """Twelve pads ``pad:first_pad``.. on one MPR121. All I2C goes through one lock."""

    def __init__(
        self,
        i2c: object | None,
        submit: Callable[[Event], None],
        *,
        open_bus: Callable[[], object] | None = None,
        address: int = 0x5A,
        irq_pin: int | None,
        pin_factory: Factory | None = None,
        clock: Callable[[], float] = time.monotonic,
        poll_hz: float = 50.0,
        check_interval: float = 1.0,
        thresholds: Sequence[tuple[int, int]] = DEFAULT_THRESHOLDS,
        first_pad: int = 1,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        if address not in MPR121_ADDRESSES:
            raise PadSettingError(f"MPR121 address must be 0x5A..0x5D, got 0x{address:02X}")
        if poll_hz <= 0 or check_interval <= 0:
            raise PadSettingError("poll_hz and check_interval must be positive")
        if len(thresholds) != PADS:
            raise PadSettingError(f"thresholds needs {PADS} (touch, release) pairs")
        for touch, release in thresholds:
            _check_thresholds(touch, release)
        if first_pad < 1:
            raise PadSettingError(f"first_pad must be 1 or more, got {first_pad}")
        if not retry_delays or min(retry_delays) < 0:
            raise PadSettingError("retry_delays must be non-empty and not negative")
        if (i2c is None) == (open_bus is None):
            raise PadSettingError("give the I2C bus or a way to open it (open_bus), not both")
        self.address = address
        self.ids: tuple[InputId, ...] = tuple(
            input_id(InputKind.PAD, first_pad + i) for i in range(PADS)
        )
        self.first_pad = first_pad
        self._i2c = i2c  # None until open_bus gives one
        self._open_bus = open_bus
        self._submit = submit
        self._clock = clock
        self._irq_pin = irq_pin
        self._pin_factory = pin_factory
        self._poll_period = 1.0 / poll_hz
        self._check_interval = check_interval
        self._thresholds = [(int(touch), int(release)) for touch, release in thresholds]
        self._unwritten: set[int] = set()  # pads whose thresholds the thread must write
        self._retry_delays = tuple(retry_delays)
        self._lock = threading.Lock()  # every I2C transaction and the state below
        self._chip: adafruit_mpr121.MPR121 | None = None  # None while offline
        self._mask = 0  # the touch status last reported to the engine
        self._last_t = float("-inf")
        self._reason = "not started"
        self._was_offline = False
        self._closed = False
        self._last_crash = ""  # the last unexpected error the thread survived
        self._wake = threading.Event()
        self._irq: DigitalInputDevice | None = None
        self._thread: threading.Thread | None = None

    @property
    def online(self) -> bool:
        return self._chip is not None

    @property
    def reason(self) -> str:
        """Why the board is offline; empty while online."""
        return self._reason

    @property
    def uses_irq(self) -> bool:
        return self._irq is not None

    @property
    def thresholds(self) -> tuple[tuple[int, int], ...]:
        return tuple(self._thresholds)

    def start(self) -> None:
        """Set the chip up and start watching it. A missing chip is not an error here:
        the pads go offline with the reason, and the board keeps trying."""
        if self._thread is not None or self._closed:
            return
        if self._irq_pin is not None:
            try:
                # Before the first status read, so no edge can fall between the two.
                self._irq = DigitalInputDevice(
                    self._irq_pin, pull_up=True, pin_factory=self._pin_factory
                )
                self._irq.when_activated = self._on_irq
            except GPIOZeroError as e:
                # Polling plays just as well, a little later; better than silence.
                log.warning("pads: IRQ on GPIO%d unusable (%s), polling instead", self._irq_pin, e)
                self._irq = None
        if not self._connect():
            self._go_offline_at_start()
        period = self._check_interval if self._irq is not None else self._poll_period
        self._thread = threading.Thread(
            target=self._run, args=(period,), name=f"tonic-pads-{self.address:#x}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and free the IRQ pin. Idempotent. Sends no events:
        the box releases every note itself when it stops."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._chip = None
            self._reason = "closed"
        self._wake.set()
        if self._irq is not None:
            self._irq.close()  # outside the lock: a callback may be waiting for it
            self._irq = None
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)

    def set_thresholds(self, pad_number: int, touch: int, release: int) -> None:
        """Ask for pad ``pad:pad_number``'s thresholds (counts below baseline).

        Returns at once, without I2C: the board's thread writes them (soon if
        online, else when the chip is next set up). A bus error while writing
        takes the board offline; the values still apply after the reconnect.
        """
        last = self.first_pad + PADS - 1
        if not self.first_pad <= pad_number <= last:
            raise PadSettingError(f"pad must be in range {self.first_pad}..{last}")
        _check_thresholds(touch, release)
        index = pad_number - self.first_pad
        with self._lock:
            self._thresholds[index] = (touch, release)
            self._unwritten.add(index)
        self._wake.set()

    def levels(self) -> tuple[PadLevel, ...]:
        """Each pad's filtered data and baseline, read now; ``()`` while offline.

        The status is read (and acted on) too, since reading it clears IRQ.
        """
        t = self._clock()
        with self._lock:
            if not self._read_status(t):
                return ()
            chip = self._chip
            assert chip is not None
            try:
                data = [(chip.filtered_data(i), chip.baseline_data(i)) for i in range(PADS)]
            except Exception as e:  # whatever the bus raises: offline, and retried
                self._fail(self._stamp(t), e)
                return ()
            return tuple(
                PadLevel(pad, filtered, baseline, bool(self._mask >> i & 1))
                for i, (pad, (filtered, baseline)) in enumerate(zip(self.ids, data, strict=True))
            )

    # -- gpiozero's thread -------------------------------------------------------

    def _on_irq(self) -> None:
        t = self._clock()  # first: the touch happened no later than the edge
        with self._lock:
            self._read_status(t)

    # -- the board's own thread ----------------------------------------------------

    def _run(self, period: float) -> None:
        backoff = Backoff(self._retry_delays)
        while not self._closed:
            try:
                self._step(period, backoff)
            except Exception as e:
                # Nothing may end this thread: later unplugs would go unnoticed
                # and the pads would never come back. Say so once, then carry on.
                self._survived(e, backoff.next())

    def _step(self, period: float, backoff: Backoff) -> None:
        if self._chip is not None:
            backoff.reset()
            woken = self._wake.wait(period)
            self._wake.clear()  # before looking at the work, so no wake-up is lost
            with self._lock:
                if self._unwritten:
                    self._write_thresholds()
                elif not woken:
                    self._read_status(self._clock())
        else:
            woken = self._wake.wait(backoff.next())
            self._wake.clear()
            if not woken:
                self._connect()

    def _survived(self, error: Exception, delay: float) -> None:
        reason = f"{type(error).__name__}: {error}"
        if reason != self._last_crash:
            self._last_crash = reason
            log.error("pads: unexpected %s; carrying on", reason, exc_info=error)
        self._wake.wait(delay)  # never a hot loop, whatever keeps failing
        self._wake.clear()

    # -- with the lock held ------------------------------------------------------------

    def _stamp(self, t: float) -> float:
        # Two threads read the status (IRQ and check): keep each pad's times ordered.
        self._last_t = t = max(t, self._last_t)
        return t

    def _read_status(self, t: float) -> bool:
        """Read the 12 status bits once and report what changed; False while offline."""
        chip = self._chip
        if chip is None:
            return False
        try:
            mask = chip.touched() & 0xFFF
        except Exception as e:  # OSError on an unplug; a bus adapter may raise anything
            self._fail(self._stamp(t), e)
            return False
        if mask != self._mask:
            self._report(self._stamp(t), mask)
        return True

    def _report(self, t: float, mask: int) -> None:
        changed, self._mask = mask ^ self._mask, mask
        for i, pad in enumerate(self.ids):
            if changed >> i & 1:
                self._submit(Pressed(t, pad) if mask >> i & 1 else Released(t, pad))

    def _write_thresholds(self) -> None:
        """Write the thresholds asked for since the last write (board thread, lock held)."""
        chip = self._chip
        if chip is None:
            return  # _connect writes them all
        try:
            while self._unwritten:
                index = min(self._unwritten)
                touch, release = self._thresholds[index]
                chip[index].threshold = touch
                chip[index].release_threshold = release
                self._unwritten.discard(index)
        except Exception as e:
            self._fail(self._stamp(self._clock()), e)

    def _fail(self, t: float, error: BaseException) -> None:
        self._chip = None
        self._reason = f"MPR121 at 0x{self.address:02X}: {_describe(error)}"
        self._drop_bus()
        self._report(t, 0)  # release held pads before saying they are gone
        for pad in self.ids:
            self._submit(InputOffline(t, pad, self._reason))
        self._was_offline = True
        self._log_offline()
        self._wake.set()  # the thread switches from reading to retrying

    # -- either thread, takes the lock ---------------------------------------------------

    def _connect(self) -> bool:
        """Set the chip up from scratch (bus, reset, thresholds, status); True if it answered."""
        with self._lock:
            if self._closed:
                return False
            if self._i2c is None:
                assert self._open_bus is not None
                try:
                    self._i2c = self._open_bus()
                except Exception as e:  # Blinka raises many kinds off a Pi
                    self._reason = f"no I2C bus ({_describe(e)})"
                    log.debug("pads: %s", self._reason)
                    return False
            try:
                chip = adafruit_mpr121.MPR121(self._i2c, address=self.address)
                self._unwritten.clear()  # all of them, now
                for i, (touch, release) in enumerate(self._thresholds):
                    chip[i].threshold = touch
                    chip[i].release_threshold = release
                mask = chip.touched() & 0xFFF
            except Exception as e:  # missing chip (OSError/ValueError), wrong chip, any bus fault
                self._reason = f"MPR121 at 0x{self.address:02X}: {_describe(e)}"
                self._unwritten.update(range(PADS))
                self._drop_bus()
                log.debug("pads: %s", self._reason)
                return False
            t = self._stamp(self._clock())
            self._chip = chip
            self._reason = ""
            if self._was_offline:
                self._was_offline = False
                for pad in self.ids:
                    self._submit(InputOnline(t, pad))
                log.info("pads %s..%s online again", self.ids[0], self.ids[-1])
            if mask:  # a pad held through set-up plays, so Pressed/Released stay paired
                self._report(t, mask)
            return True

    def _drop_bus(self) -> None:
        """Forget a bus this board opened, so the next attempt opens it afresh (lock held)."""
        if self._open_bus is None or self._i2c is None:
            return
        bus, self._i2c = self._i2c, None
        deinit = getattr(bus, "deinit", None)  # busio.I2C frees /dev/i2c-N
        if callable(deinit):
            try:
                deinit()
            except Exception as e:
                log.debug("pads: closing the I2C bus: %s", e)

    def _log_offline(self) -> None:
        names = f"{self.ids[0]}..{self.ids[-1]}"
        log.warning(
            "pads %s offline: %s",
            names,
            self._reason,
            extra={"input": names, "error": self._reason},
        )

    def _go_offline_at_start(self) -> None:
        with self._lock:
            t = self._stamp(self._clock())
            self._was_offline = True
            for pad in self.ids:
                self._submit(InputOffline(t, pad, self._reason))
        self._log_offline()
