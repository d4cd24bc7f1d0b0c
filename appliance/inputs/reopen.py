"""One small thread for the box that opens again the inputs that could not be opened.

A switch or beam whose GPIO pins were busy when the box started (another
program held them, or the previous run was still letting go) must not stay
silent for the whole session. The box hands its opener to :class:`Reopener`,
which tries it again with backoff, 0.5 s doubling to 8 s and then every 8 s,
and calls ``opened`` with the device once it opens::

      pins      busy__________________________________/‾‾free‾‾‾‾‾‾‾‾‾
      attempt   ✗ start  .5s ✗   1s ✗     2s ✗          4s ✓ opened(device)

The thread sleeps on a ``threading.Event`` until the earliest retry is due
(or something is added, or the reopener closes), so an idle box costs
nothing. It starts with the first job and is a daemon: it never keeps the
process from exiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

#: Seconds between attempts; the last one repeats. The pads' board uses the same.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
#: How long close() waits for an opener that is in the middle of an attempt.
CLOSE_TIMEOUT_S = 2.0


class Closable(Protocol):
    def close(self) -> None: ...


D = TypeVar("D", bound=Closable)


class Backoff:
    """The delay before each next attempt: ``delays`` in turn, then the last one for ever."""

    def __init__(self, delays: Sequence[float] = DEFAULT_RETRY_DELAYS) -> None:
        if not delays or min(delays) < 0:
            raise ValueError("retry delays must be non-empty and not negative")
        self.delays = tuple(delays)
        self.attempt = 0

    def next(self) -> float:
        delay = self.delays[min(self.attempt, len(self.delays) - 1)]
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


@dataclass(eq=False)
class _Job(Generic[D]):
    name: str
    open_device: Callable[[], D]
    opened: Callable[[D], None]
    backoff: Backoff
    due: float
    reason: str = ""


class Reopener:
    """Retries openers on one thread until each opens; see the module docstring."""

    def __init__(
        self,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        clock: Callable[[], float] = time.monotonic,
        name: str = "tonic-reopen",
    ) -> None:
        Backoff(retry_delays)  # refuse bad delays now, not on the thread
        self._delays = tuple(retry_delays)
        self._clock = clock
        self._name = name
        self._lock = threading.Lock()  # the jobs, the thread and the closed flag
        self._jobs: list[_Job[Closable]] = []
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> tuple[str, ...]:
        """The names of what is still waiting to open, oldest first."""
        with self._lock:
            return tuple(job.name for job in self._jobs)

    def add(self, name: str, open_device: Callable[[], D], opened: Callable[[D], None]) -> None:
        """Call ``open_device`` after the first delay, and again with backoff until it returns;
        then ``opened(device)``, on this reopener's thread. After :meth:`close`, nothing."""
        backoff = Backoff(self._delays)
        with self._lock:
            if self._closed:
                return
            job = _Job(name, open_device, opened, backoff, self._clock() + backoff.next())
            self._jobs.append(job)  # type: ignore[arg-type]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        self._wake.set()

    def retry_now(self) -> None:
        """Try everything pending at once (a therapist replugged something, or a test)."""
        now = self._clock()
        with self._lock:
            for job in self._jobs:
                job.due = min(job.due, now)
        self._wake.set()

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Stop retrying and end the thread. Idempotent; a device that opens while
        closing is closed again rather than handed over."""
        with self._lock:
            self._closed = True
            self._jobs.clear()
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the reopener's thread ------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                now = self._clock()
                due = [job for job in self._jobs if job.due <= now]
                later = [job.due for job in self._jobs if job.due > now]
            for job in due:
                self._attempt(job)
            if due:
                continue  # an attempt takes time: look at the clock again first
            self._wake.wait(min(later) - now if later else None)
            self._wake.clear()

    def _attempt(self, job: _Job[Closable]) -> None:
        try:
            device = job.open_device()
        except Exception as e:  # whatever the driver raises, the job stays and is retried
            with self._lock:
                job.due = self._clock() + job.backoff.next()
            reason = str(e)
            if reason != job.reason:  # one line per new reason, not one per attempt
                job.reason = reason
                log.info("%s still closed: %s; retrying", job.name, reason)
            return
        with self._lock:
            closed = self._closed
            if job in self._jobs:
                self._jobs.remove(job)
        if closed:
            device.close()
            return
        try:
            job.opened(device)
        except Exception:
            log.exception("%s opened, but handing it over failed", job.name)
            device.close()
