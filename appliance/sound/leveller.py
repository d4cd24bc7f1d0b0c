"""Levelling instruments on a worker, so the engine's thread never renders a probe.

Measuring an instrument's level renders a probe chord (about 10 ms of work
per instrument with TimGM6mb, plus loading the soundfont a second time for
the first one: 45-75 ms in all). On the engine's owner thread that would
delay the next press by as much. So on the live box the synth only looks
trims up (:meth:`LevelTrims.known`), and this worker measures:

* **ahead of time**: ``prepare(instruments)`` measures what a new profile or a
  setting change will use and returns once they are ready, on the caller's
  thread (the control socket's worker), before the change reaches the engine;
* **on demand**: an instrument the synth meets unmeasured sounds at
  :data:`~appliance.sound.level.PROVISIONAL` at once, and ``request`` measures it here; the
  result comes back through ``on_levelled`` (the box turns it into an engine
  event, and the engine sets the channel's level on its own thread);
* **once per soundfont**: measured trims are saved to the data directory, so
  the next start finds them all.

::

    engine thread   level_of(x) ── measured? ── yes: CC7 from its trim
                                       └─ no: CC7 from the provisional level, request(x)
    worker          ................... measure x ── save ── on_levelled(x)
    engine thread                                         InstrumentLevelled: CC7 from its trim
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from appliance.sound.instruments import Instrument
from appliance.sound.level import Level
from appliance.sound.levels import LevelTrims

log = logging.getLogger(__name__)

LevelledCallback = Callable[[Instrument, Level], None]


class _Batch:
    """Instruments someone is waiting for."""

    __slots__ = ("done", "instruments")

    def __init__(self, instruments: tuple[Instrument, ...]) -> None:
        self.instruments = instruments
        self.done = threading.Event()


class Leveller:
    """One worker thread that measures instrument levels."""

    def __init__(
        self,
        trims: LevelTrims,
        store: Path | None = None,
        on_levelled: LevelledCallback | None = None,
    ) -> None:
        self.trims = trims
        self.store = store
        self.on_levelled = on_levelled
        self._queue: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._measured_since_save = 0
        if store is not None:
            n = trims.load_store(store)
            log.debug("%d instrument levels loaded from %s", n, store)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tonic-levels", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def request(self, instrument: Instrument) -> None:
        """Measure ``instrument`` soon; ``on_levelled`` says when. Never blocks."""
        self._queue.put(_Batch((instrument,)))

    def prepare(self, instruments: Iterable[Instrument], timeout: float = 5.0) -> bool:
        """Measure every instrument not yet known; True once all are ready.

        Blocks the calling thread (never call it on the engine's thread). Without
        a running worker (offline renders), measures on the caller's thread.
        """
        missing = tuple(i for i in dict.fromkeys(instruments) if self.trims.known(i) is None)
        if not missing:
            return True
        if self._thread is None:
            self._measure(missing)
            return True
        batch = _Batch(missing)
        self._queue.put(batch)
        return batch.done.wait(timeout)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None:
                break
            try:
                self._measure(batch.instruments)
            except Exception as e:  # a broken soundfont must not end the worker
                log.warning("could not level %s: %s", batch.instruments[0].title, e)
            finally:
                batch.done.set()
            if self._queue.empty():
                self._idle()
        self._idle()

    def _measure(self, instruments: tuple[Instrument, ...]) -> None:
        for instrument in instruments:
            if self.trims.known(instrument) is not None:
                continue
            level = self.trims.level_for(instrument)
            self._measured_since_save += 1
            if self.on_levelled is not None:
                self.on_levelled(instrument, level)

    def _idle(self) -> None:
        """Nothing queued: keep what was measured, and free the probe's soundfont."""
        if self._measured_since_save and self.store is not None:
            try:
                self.trims.save_store(self.store)
            except OSError as e:
                log.warning("instrument levels not saved to %s: %s", self.store, e)
        self._measured_since_save = 0
        if self.trims.close():
            _give_memory_back()


def _give_memory_back() -> None:
    """Return the freed probe's memory to the system (glibc keeps it otherwise).

    The probe held a second copy of the soundfont; on a Pi with 512 MB that is
    worth handing back once levelling is done. Elsewhere this does nothing.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
