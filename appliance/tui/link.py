"""The setup UI's connection to the box, kept apart from the widgets.

One background thread owns the event stream: it connects (a subscribed
:class:`ControlClient`), reads the status once, tells the app ``Connected``,
then hands every event over as a ``BoxEvent`` until the box goes away; then it
says ``Disconnected`` in one line and tries again every :data:`RETRY_S`, so the
UI is back within a second or two of the service being ready, with nobody
pressing anything::

    link thread   connect ─► subscribe ─► status ─► Connected ─► BoxEvent ... ─┐
                    ▲                                                          │ stream ends
                    └──────────── wait RETRY_S ◄── Disconnected(reason) ◄──────┘

Requests (``Link.call``) run on the screens' thread workers, each on a pooled
connection of its own, so a slow ``profile.load`` never holds up ``panic``.

Beams are pinged about 16 times a second even with no hand in them, so
:class:`BeamCoalescer` passes a beam event on only when its distance or zone
changed, and at most every :data:`BEAM_INTERVAL_S` per beam; a change held back
is sent when its interval is up by a second thread that sleeps until then, so
an idle box costs the UI nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from textual.message import Message

from appliance.control.api import ControlError, Params
from appliance.control.client import (
    DEFAULT_TIMEOUT_S,
    ControlClient,
    ControlConnectionError,
    ControlPermissionError,
    ControlTimeout,
    ServiceClosed,
    ServiceNotRunning,
)
from appliance.errors import TonicError

log = logging.getLogger(__name__)

#: Between connection attempts: short, so the UI is back soon after the box is.
RETRY_S = 0.25
#: At most this often per beam on screen (20 a second).
BEAM_INTERVAL_S = 0.05
#: Idle request connections kept open for the next call.
POOL_SIZE = 4

NOT_RUNNING = "The Tonic service is not running — reconnecting…"
STOPPED = "The Tonic service stopped — reconnecting…"


# -- what the link tells the app ---------------------------------------------------------


class Connected(Message, bubble=False):
    """The box answered: ``status`` is its ``status`` result at that moment."""

    def __init__(self, status: dict[str, Any]) -> None:
        super().__init__()
        self.status = status


class Disconnected(Message, bubble=False):
    """The box is not reachable; ``reason`` is one line for the therapist."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class BoxEvent(Message, bubble=False):
    """One event of the live stream (docs/control-api.md, "The live stream")."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event

    @property
    def kind(self) -> str:
        return str(self.event.get("event", ""))


class Target(Protocol):
    """Where the link posts its messages: the app (thread-safe ``post_message``)."""

    def post_message(self, message: Message) -> bool: ...


class BoxLink(Protocol):
    """What the app needs of a link; tests give the app a fake with fixed answers."""

    def start(self, target: Target) -> None: ...

    def stop(self) -> None: ...

    def call(self, method: str, params: Params | None = None) -> Any: ...


# -- beam coalescing (pure: the clock is an argument) ------------------------------------


@dataclass
class _BeamState:
    shown: tuple[Any, Any] | None = None  # (distance, zone) last passed on
    at: float = float("-inf")  # when it was passed on
    held: dict[str, Any] | None = None  # a newer change waiting for its turn


@dataclass
class BeamCoalescer:
    """Passes on a beam's changes, at most one per ``interval`` per beam.

    ::

        readings   ─a─a─a─b─c─c─c─c─d──────────
        passed on  ─a─────b───c───────d──────── (≥ interval apart; repeats dropped)
    """

    interval: float = BEAM_INTERVAL_S
    _beams: dict[str, _BeamState] = field(default_factory=dict)

    def offer(self, event: dict[str, Any], now: float) -> dict[str, Any] | None:
        """The event to pass on now, or None (a repeat, or held until its turn)."""
        state = self._beams.setdefault(str(event.get("input")), _BeamState())
        value = (event.get("distance"), event.get("zone"))
        if value == state.shown:
            state.held = None  # back where the screen already is
            return None
        if now - state.at >= self.interval:
            state.shown, state.at, state.held = value, now, None
            return event
        state.held = event
        return None

    def due(self, now: float) -> list[dict[str, Any]]:
        """Held changes whose turn has come, passed on now."""
        out = []
        for state in self._beams.values():
            if state.held is not None and now - state.at >= self.interval:
                out.append(state.held)
                state.shown = (state.held.get("distance"), state.held.get("zone"))
                state.at, state.held = now, None
        return out

    def next_due(self) -> float | None:
        """When the earliest held change may go, or None when nothing is held."""
        times = [s.at + self.interval for s in self._beams.values() if s.held is not None]
        return min(times) if times else None

    def forget(self) -> None:
        """After a reconnection the screen starts afresh: pass the next reading on."""
        self._beams.clear()


# -- the link ------------------------------------------------------------------------------


class _Stream(ControlClient):
    """A subscribed client whose blocking read another thread can end."""

    def interrupt(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)


def reason_for(error: Exception) -> str:
    """One line for the banner: why the box cannot be reached."""
    if isinstance(error, ServiceNotRunning):
        return NOT_RUNNING
    if isinstance(error, ServiceClosed):  # it went away while we spoke: stopping
        return STOPPED
    if isinstance(error, ControlPermissionError):
        return f"Cannot use the box: {error} — retrying…"
    return f"Cannot reach the Tonic service ({error}) — reconnecting…"


class Link:
    """The real link: a thread on the service's control socket."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.retry_s = retry_s
        self.clock = clock
        self._target: Target | None = None
        self._stopping = threading.Event()
        self._lock = threading.Condition()
        self._beams = BeamCoalescer()
        self._stream: _Stream | None = None
        self._pool: queue.SimpleQueue[ControlClient] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    # -- for the app ----------------------------------------------------------------------

    def start(self, target: Target) -> None:
        self._target = target
        for name, run in (("tonic-link", self._run), ("tonic-link-beams", self._flush_beams)):
            thread = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        stream = self._stream
        if stream is not None:
            stream.interrupt()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=2 * DEFAULT_TIMEOUT_S)
        while not self._pool.empty():
            self._pool.get_nowait().close()

    def call(self, method: str, params: Params | None = None) -> Any:
        """``method``'s result; raises :class:`ControlError` (a refusal) or another
        :class:`TonicError` (no box). Safe from any thread: each caller has its own
        connection, taken from a small pool."""
        try:
            client = self._pool.get_nowait()
        except queue.Empty:
            client = ControlClient(self.path)
        try:
            return client.call(method, params)
        finally:
            if self._pool.qsize() < POOL_SIZE and not self._stopping.is_set():
                self._pool.put(client)
            else:
                client.close()

    # -- the stream thread ----------------------------------------------------------------

    def _post(self, message: Message) -> None:
        if self._target is not None and not self._stopping.is_set():
            self._target.post_message(message)

    def _run(self) -> None:
        said: str | None = None  # the last Disconnected reason posted
        while not self._stopping.is_set():
            reason = self._session()
            if reason is not None and reason != said and not self._stopping.is_set():
                self._post(Disconnected(reason))
                said = reason
            elif reason is None:
                said = None
            self._stopping.wait(self.retry_s)

    def _session(self) -> str | None:
        """Connect and follow the stream until it ends; the reason it ended."""
        stream = _Stream(self.path)
        self._stream = stream
        try:
            stream.subscribe()
            if self._stopping.is_set():
                return None
            status = ControlClient(self.path)
            with status:
                snapshot = status.call("status")
            with self._lock:
                self._beams.forget()
            self._post(Connected(snapshot if isinstance(snapshot, dict) else {}))
            for event in stream.events():
                if self._stopping.is_set():
                    return None
                self._take(event)
            return STOPPED
        except (ControlConnectionError, ControlTimeout, ControlError) as e:
            return reason_for(e)
        except TonicError as e:  # anything else the client may say: still one line
            log.warning("link: %s", e)
            return reason_for(e)
        finally:
            self._stream = None
            stream.close()

    def _take(self, event: dict[str, Any]) -> None:
        if event.get("event") != "beam":
            self._post(BoxEvent(event))
            return
        with self._lock:
            now = self.clock()
            passed = self._beams.offer(event, now)
            if self._beams.next_due() is not None:
                self._lock.notify_all()
        if passed is not None:
            self._post(BoxEvent(passed))

    def _flush_beams(self) -> None:
        """Sends a held beam change when its turn comes; sleeps while none is held."""
        with self._lock:
            while not self._stopping.is_set():
                due_at = self._beams.next_due()
                if due_at is None:
                    self._lock.wait()
                    continue
                wait = due_at - self.clock()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                for event in self._beams.due(self.clock()):
                    self._post(BoxEvent(event))
