"""The live box's owner thread.

Hardware callbacks (gpiozero's, later the MPR121's and MIDI's) call
:meth:`EngineLoop.submit`, which only puts an immutable event on a
``SimpleQueue``: no locks, no musical state, so a callback returns in
microseconds. One thread takes events off the queue and hands them to the
engine. It sleeps in ``get()`` when there is nothing to do, waking only for
an event or the engine's next timer, so an idle box uses no CPU.
"""

from __future__ import annotations

import logging
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


class _Call:
    """Run a function on the owner thread (status snapshots, orderly stop)."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn
        self.future: Future[object] = Future()


class EngineLoop:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
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
            engine.handle(item)
