"""An MPR121 on a fake I2C bus, emulated at the register level.

:class:`MPR121Emulator` is the *bus* object that ``adafruit_mpr121.MPR121``
and ``adafruit_bus_device`` talk to, with one MPR121 behind it. Because the
fake sits below the real driver, everything above the I2C bus (the driver,
:class:`appliance.inputs.pads.PadBoard`, the engine) runs unchanged in tests
and in ``tonic demo``, as gpiozero's mock pins do for the switches.

What is modelled, after the MPR121 data sheet:

* a 256-byte register file behind an auto-incrementing register pointer;
  a write sets the pointer from its first byte, then stores the rest;
* soft reset (0x63 to 0x80) and power-up restore the defaults, so CONFIG2
  (0x5D) reads 0x24, which the driver checks;
* Stop mode: while ECR (0x5E) has no electrode enabled, the chip does not
  measure, and it accepts writes to any writable register; in Run mode it
  ignores writes except to ECR and the GPIO block 0x73..0x7A (the reason the
  driver wraps every write in ECR = 0x00 / 0x8F);
* the touch comparison: per electrode, ``baseline - filtered`` against the
  touch (0x41+2i) and release (0x42+2i) thresholds the driver wrote, with
  hysteresis, for the electrodes ECR enables, into the 12 status bits at
  0x00/0x01; filtered data at 0x04 (10-bit, little-endian pairs), baseline at
  0x1E (one byte each, baseline >> 2);
* the IRQ line: pulled low when the touch status changes, released when the
  host reads the status registers::

      touch status   ____/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\\________________
      IRQ (active low) ‾‾‾‾\\______/‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\\_____/‾‾‾‾‾‾‾‾‾
      host reads 0x00          ^ clears                     ^ clears

* unplugging: every transaction fails with EIO; plugging in again powers a
  fresh chip with register defaults, so the driver has to start over.

Simplifications, all deliberate: the chip samples instantly (no 1..16 ms
sampling period, no debounce counts), the baseline stays at the untouched
level (ideal auto-calibration), and Stop mode freezes the touch status
instead of re-initialising the baseline on the next Run.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

DEFAULT_ADDRESS = 0x5A
ELECTRODES = 12

TOUCH_STATUS = 0x00
FILTERED_DATA = 0x04  # 2 bytes per electrode
BASELINE = 0x1E  # 1 byte per electrode
TOUCH_THRESHOLD = 0x41  # + 2 * electrode
RELEASE_THRESHOLD = 0x42  # + 2 * electrode
CONFIG1 = 0x5C
CONFIG2 = 0x5D
ECR = 0x5E
SOFT_RESET = 0x80
GPIO_BLOCK = range(0x73, 0x7B)  # writable in Run mode, like ECR
READ_ONLY = range(0x00, BASELINE)  # status, out-of-range and filtered data

#: Power-on values of the registers that are not zero.
DEFAULTS = {CONFIG1: 0x10, CONFIG2: 0x24}

#: An untouched electrode's filtered data, in counts (10 bits). Typical of a
#: small pad on the Adafruit breakout; distinct per electrode so mixed-up
#: indices show up in tests.
UNTOUCHED_COUNTS = tuple(700 + 4 * i for i in range(ELECTRODES))

#: How far a firm fingertip pulls filtered data below the baseline, in counts.
FIRM_TOUCH = 80


class MPR121Emulator:
    """A fake I2C bus with one emulated MPR121 at ``address``.

    The bus methods are the ones ``adafruit_bus_device.I2CDevice`` calls on a
    ``busio.I2C``. Test-facing methods (:meth:`touch`, :meth:`set_signal`,
    :meth:`unplug`, ...) act on the electrodes and the wiring, never on
    registers directly, so what a test sees went through the chip's logic.

    ``on_irq`` is called with True when IRQ asserts (goes low) and False when
    it is released, once per edge and in order, from the emulator's own IRQ
    thread, as a GPIO interrupt arrives on a thread of its own on the Pi.
    Wire it to a mock pin: ``lambda low: pin.drive_low() if low else
    pin.drive_high()``.
    """

    def __init__(
        self,
        address: int = DEFAULT_ADDRESS,
        *,
        on_irq: Callable[[bool], None] | None = None,
    ) -> None:
        self.address = address
        self._lock = threading.RLock()  # the chip's state
        self._bus = threading.Lock()  # the host's bus lock (try_lock/unlock)
        self._regs = bytearray(256)
        self._pointer = 0
        self._plugged = True
        self._fault: BaseException | None = None
        self._irq = False
        self._delta = [0] * ELECTRODES
        self._baseline = list(UNTOUCHED_COUNTS)
        self._edges: queue.SimpleQueue[bool | threading.Event | None] = queue.SimpleQueue()
        self._irq_thread: threading.Thread | None = None
        self._on_irq: Callable[[bool], None] | None = None
        #: (register, length) of recent reads, newest last, for tests.
        self.read_log: deque[tuple[int, int]] = deque(maxlen=256)
        #: (register, thread name) of recent register writes, newest last: tests
        #: check which thread did the I2C (never the engine's).
        self.write_log: deque[tuple[int, str]] = deque(maxlen=1024)
        #: The names of the threads that read the chip, newest last.
        self.reader_threads: deque[str] = deque(maxlen=256)
        self.transactions = 0
        self._power_up()
        self.on_irq = on_irq

    # -- the wiring ---------------------------------------------------------

    @property
    def on_irq(self) -> Callable[[bool], None] | None:
        return self._on_irq

    @on_irq.setter
    def on_irq(self, callback: Callable[[bool], None] | None) -> None:
        with self._lock:
            self._on_irq = callback
            if callback is None:
                return
            if self._irq_thread is None:
                self._irq_thread = threading.Thread(
                    target=self._deliver_edges, name="mpr121-emulator-irq", daemon=True
                )
                self._irq_thread.start()
            if self._irq:  # a late subscriber still sees a line that is already low
                self._edges.put(True)

    @property
    def irq(self) -> bool:
        """True while the IRQ line is asserted (low)."""
        return self._irq

    @property
    def plugged(self) -> bool:
        return self._plugged

    def unplug(self) -> None:
        """Pull the cable: every transaction fails and IRQ floats high (pull-up)."""
        with self._lock:
            self._plugged = False
            self._set_irq(False)

    def replug(self) -> None:
        """Plug it back in: a freshly powered chip, registers at their defaults."""
        with self._lock:
            self._plugged = True
            self._power_up()

    def break_bus(self, error: BaseException) -> None:
        """Make every transaction raise (a copy of) ``error``, as a failing bus adapter or
        driver might, whatever its type; the chip keeps its state. :meth:`mend_bus` undoes it."""
        with self._lock:
            self._fault = error

    def mend_bus(self) -> None:
        with self._lock:
            self._fault = None

    def wait_irq_delivered(self, timeout: float = 2.0) -> bool:
        """Block until every IRQ edge so far has been handed to ``on_irq`` (for tests)."""
        with self._lock:
            if self._irq_thread is None:
                return True
            done = threading.Event()
            self._edges.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Stop the IRQ thread. Idempotent."""
        with self._lock:
            thread, self._irq_thread, self._on_irq = self._irq_thread, None, None
        if thread is not None:
            self._edges.put(None)
            if thread is not threading.current_thread():
                thread.join(2.0)

    # -- the electrodes -------------------------------------------------------

    def touch(self, pad_index: int, delta: int = FIRM_TOUCH) -> None:
        """A finger on electrode ``pad_index`` (0-based): filtered data drops by ``delta``."""
        self.set_signal(pad_index, delta)

    def release(self, pad_index: int) -> None:
        """The finger leaves: filtered data returns to the baseline."""
        self.set_signal(pad_index, 0)

    def set_signal(self, pad_index: int, delta: int) -> None:
        """Make electrode ``pad_index`` read ``delta`` counts below its untouched level.

        Whether that counts as a touch is the chip's decision, from the
        thresholds in its registers, exactly as on the real part.
        """
        self.set_signals({pad_index: delta})

    def set_signals(self, deltas: Mapping[int, int]) -> None:
        """Change several electrodes within one sampling pass: one status change, one IRQ."""
        for pad_index, delta in deltas.items():
            if not 0 <= pad_index < ELECTRODES:
                raise ValueError(f"electrode must be in range 0..11, got {pad_index}")
            if not 0 <= delta <= UNTOUCHED_COUNTS[pad_index]:
                raise ValueError(f"signal must be in range 0..{UNTOUCHED_COUNTS[pad_index]}")
        with self._lock:
            for pad_index, delta in deltas.items():
                self._delta[pad_index] = delta
            self._measure()

    def filtered(self, pad_index: int) -> int:
        return UNTOUCHED_COUNTS[pad_index] - self._delta[pad_index]

    # -- registers, for tests --------------------------------------------------

    def register(self, reg: int) -> int:
        with self._lock:
            return self._regs[reg]

    @property
    def registers(self) -> bytes:
        with self._lock:
            return bytes(self._regs)

    @property
    def touched_mask(self) -> int:
        with self._lock:
            return self._regs[TOUCH_STATUS] | (self._regs[TOUCH_STATUS + 1] << 8)

    # -- the busio.I2C interface -----------------------------------------------

    def try_lock(self) -> bool:
        return self._bus.acquire(blocking=False)

    def unlock(self) -> None:
        self._bus.release()

    def scan(self) -> list[int]:
        return [self.address] if self._plugged else []

    def writeto(
        self, address: int, buffer: bytes, *, start: int = 0, end: int | None = None
    ) -> None:
        with self._lock:
            self._transaction(address)
            self._write(bytes(buffer[start:end]))

    def readfrom_into(
        self, address: int, buffer: bytearray, *, start: int = 0, end: int | None = None
    ) -> None:
        with self._lock:
            self._transaction(address)
            self._read_into(buffer, start, len(buffer) if end is None else end)

    def writeto_then_readfrom(
        self,
        address: int,
        buffer_out: bytes,
        buffer_in: bytearray,
        *,
        out_start: int = 0,
        out_end: int | None = None,
        in_start: int = 0,
        in_end: int | None = None,
    ) -> None:
        with self._lock:
            self._transaction(address)
            self._write(bytes(buffer_out[out_start:out_end]))
            self._read_into(buffer_in, in_start, len(buffer_in) if in_end is None else in_end)

    # -- the chip ------------------------------------------------------------------

    def _transaction(self, address: int) -> None:
        if self._fault is not None:
            raise type(self._fault)(*self._fault.args)  # a fresh one: no growing traceback
        if not self._plugged:
            raise OSError(5, "Input/output error")
        if address != self.address:
            raise OSError(121, "Remote I/O error")  # nobody ACKs that address
        self.transactions += 1

    def _write(self, data: bytes) -> None:
        if not data:
            return  # an address probe: ACK and nothing else
        self._pointer = data[0]
        if len(data) > 1:
            self.write_log.append((self._pointer, threading.current_thread().name))
        for value in data[1:]:
            self._store(self._pointer, value)
            self._pointer = (self._pointer + 1) & 0xFF

    def _store(self, reg: int, value: int) -> None:
        if reg == SOFT_RESET:
            if value == 0x63:
                self._power_up()
            return
        if reg in READ_ONLY:
            return
        if self._running() and reg != ECR and reg not in GPIO_BLOCK:
            return  # the chip ignores configuration writes in Run mode
        self._regs[reg] = value
        if BASELINE <= reg < BASELINE + ELECTRODES:
            self._baseline[reg - BASELINE] = value << 2
        if reg == ECR:
            self._measure()

    def _read_into(self, buffer: bytearray, start: int, end: int) -> None:
        first = self._pointer
        for i in range(start, end):
            buffer[i] = self._regs[self._pointer]
            self._pointer = (self._pointer + 1) & 0xFF
        length = end - start
        self.read_log.append((first, length))
        self.reader_threads.append(threading.current_thread().name)
        if any((first + k) & 0xFF <= TOUCH_STATUS + 1 for k in range(length)):
            self._set_irq(False)  # reading the touch status releases IRQ

    def _running(self) -> bool:
        return self._regs[ECR] & 0x3F != 0

    def _enabled(self) -> int:
        """How many electrodes ECR enables (ELE_EN: 0 none, n = ELE0..n-1, 12+ all)."""
        return min(self._regs[ECR] & 0x0F, ELECTRODES)

    def _power_up(self) -> None:
        self._regs[:] = bytes(256)
        for reg, value in DEFAULTS.items():
            self._regs[reg] = value
        self._pointer = 0
        self._baseline = list(UNTOUCHED_COUNTS)
        self._set_irq(False)
        self._measure()

    def _measure(self) -> None:
        """One sampling pass: data registers, then the touch comparison."""
        regs = self._regs
        for i in range(ELECTRODES):
            value = self.filtered(i)
            regs[FILTERED_DATA + 2 * i] = value & 0xFF
            regs[FILTERED_DATA + 2 * i + 1] = value >> 8
            regs[BASELINE + i] = self._baseline[i] >> 2
        if not self._running():
            return  # Stop mode: no measurement, the status stays as it was
        old = regs[TOUCH_STATUS] | (regs[TOUCH_STATUS + 1] << 8)
        new = 0
        for i in range(self._enabled()):
            delta = self._baseline[i] - self.filtered(i)
            was = old >> i & 1
            if (was and delta >= regs[RELEASE_THRESHOLD + 2 * i]) or (
                not was and delta > regs[TOUCH_THRESHOLD + 2 * i]
            ):
                new |= 1 << i
        if new != old:
            regs[TOUCH_STATUS] = new & 0xFF
            regs[TOUCH_STATUS + 1] = new >> 8
            self._set_irq(True)

    def _set_irq(self, low: bool) -> None:
        if low == self._irq:
            return
        self._irq = low
        if self._on_irq is not None:
            self._edges.put(low)  # queued under the lock: edges keep the line's order

    def _deliver_edges(self) -> None:
        while (item := self._edges.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()  # everything queued before it has been delivered
                continue
            callback = self._on_irq
            if callback is None:
                continue
            try:
                callback(item)
            except Exception:  # a broken test hook must not end the IRQ line
                log.exception("on_irq callback failed")
