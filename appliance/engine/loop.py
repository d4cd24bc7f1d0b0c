"""The live box's owner thread.

Hardware callbacks (gpiozero's, later the MPR121's and MIDI's) call
:meth:`EngineLoop.submit`, which only puts an immutable event on a
``SimpleQueue``: no locks, no musical state, so a callback returns in
microseconds. One thread takes events off the queue and hands them to the
engine. It sleeps in ``get()`` when there is nothing to do, waking only for
an event or the engine's next timer, so an idle box uses no CPU.

The service asks for the owner thread to run under ``SCHED_FIFO`` (see
:data:`REALTIME_PRIORITY`), so a busy UI or a logging burst cannot delay a
press; tests and ``tonic render`` do not ask.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from appliance.engine.engine import Engine
from appliance.engine.status import EngineStatus
from appliance.events import Event

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The owner thread's SCHED_FIFO priority (1..99). Modest on purpose: above
#: every normal thread (the UI, logging, the beams' and pads' threads), but
#: below the kernel's threaded IRQ handlers (50) and the audio driver's
#: thread (FluidSynth's ALSA thread, and JACK's, ask for 60 and up), which
#: must never wait for the engine.
REALTIME_PRIORITY = 20


class _Call:
    """Run a function on the owner thread (status snapshots, orderly stop)."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn
        self.future: Future[object] = Future()


class EngineLoop:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.monotonic,
        *,
        realtime: bool = False,
    ) -> None:
        self.engine = engine
        self.clock = clock
        #: Ask for SCHED_FIFO at REALTIME_PRIORITY when the thread starts.
        self.realtime = realtime
        self._queue: queue.SimpleQueue[Event | _Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, event: Event) -> None:
        """Hand an event to the engine. Safe from any thread; never blocks."""
        self._queue.put(event)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="tonic-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0, *, release: bool = True) -> None:
        """Release every note (unless the caller already has), then end the owner thread."""
        if self._thread is None:
            return
        try:
            if release:
                self.call(lambda: self.engine.release_all(self.clock(), "stop"), timeout)
        finally:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def call(self, fn: Callable[[], T], timeout: float | None = 2.0) -> T:
        """Run ``fn`` on the owner thread and return its result."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn()
        request = _Call(fn)
        self._queue.put(request)
        return request.future.result(timeout)  # type: ignore[return-value]

    def status(self) -> EngineStatus:
        return self.call(self.engine.status)

    def _run(self) -> None:
        if self.realtime:
            _ask_for_realtime()
        engine, get, clock = self.engine, self._queue.get, self.clock
        while True:
            deadline = engine.next_deadline()
            try:
                timeout = None if deadline is None else max(0.0, deadline - clock())
                item = get(timeout=timeout)
            except queue.Empty:
                engine.tick(clock())
                continue
            if item is None:
                return
            if isinstance(item, _Call):
                try:
                    item.future.set_result(item.fn())
                except Exception as e:
                    item.future.set_exception(e)
                continue
            # Timers due before the event run first, in time order, as they do
            # in a render: a busy moment must not reorder what the engine does.
            if (due := engine.next_deadline()) is not None and due <= item.t:
                engine.tick(item.t)
            engine.handle(item)


def _ask_for_realtime() -> None:
    """SCHED_FIFO for the calling thread (on Linux, pid 0 means this thread only).

    Refused without CAP_SYS_NICE or a ``LimitRTPRIO``: one line, and the box
    plays on at normal priority.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    except (OSError, AttributeError) as e:  # AttributeError: no SCHED_FIFO on this OS
        log.warning("engine: real-time priority refused (%s); playing at normal priority", e)
    else:
        log.info("engine: running at real-time priority %d (SCHED_FIFO)", REALTIME_PRIORITY)
