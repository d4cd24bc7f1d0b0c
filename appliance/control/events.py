"""The live event stream between the box's threads and each subscriber.

Two stages, so the engine never waits on a client::

    engine / sensor threads          server loop thread                  client sockets
    ───────────────────────          ──────────────────                  ──────────────
    FanIn.sink(event) ──append──►  FanIn.drain() (one wake per batch)
      (a lock held for an append;     │ serialise each event once
       one call_soon_threadsafe       ▼
       only when no wake is pending)  EventQueue.put per subscriber ──► written while the
                                      (bounded, drop-oldest,             socket has room
                                       state events coalesced)

The sink does no I/O and no serialisation: it appends under a lock and, at most
once per batch, asks the loop to wake. Everything slower happens on the loop.

Drop policy, per subscriber (docs/control-api.md says the same):

- News (a note, a press, a sensor going offline) is queued in order, at most
  ``capacity`` unread; when full, the oldest unread is dropped.
- State (:data:`~appliance.control.api.LATEST_WINS`: a beam's distance, the status)
  replaces its own unread older copy for the same event and input, in place, so a
  slow reader sees the newest state without the queue filling with stale ones.
- Whatever was dropped is announced as ``{"event": "dropped", "count": N}``
  before the next event the subscriber gets.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from appliance.control.api import LATEST_WINS
from appliance.control.requests import event_line

StateKey = tuple[str, str]
"""(event, input) of a state event: the unit a newer event replaces."""


def state_key(event: dict[str, Any]) -> StateKey | None:
    """The key under which a newer event replaces this one, or None for news."""
    name = event.get("event")
    if name in LATEST_WINS:
        return (str(name), str(event.get("input", "")))
    return None


class FanIn:
    """Collects events from any thread for the server loop; bounded, never blocks."""

    def __init__(self, capacity: int, wake: Callable[[], None]) -> None:
        self._capacity = capacity
        self._wake = wake
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque()
        self._lost = 0
        self._wake_pending = False
        #: Read without the lock: while nobody listens, events are not even kept.
        self.listening = False

    def sink(self, event: dict[str, Any]) -> None:
        """The :data:`~appliance.control.api.EventSink` handed to the box."""
        if not self.listening:
            return
        with self._lock:
            if len(self._events) >= self._capacity:
                self._events.popleft()
                self._lost += 1
            self._events.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        # The loop may be closing; the sink must never raise into the engine.
        with contextlib.suppress(Exception):
            self._wake()

    def drain(self) -> tuple[list[dict[str, Any]], int]:
        """Every event waiting, oldest first, and how many were lost before them."""
        with self._lock:
            self._wake_pending = False
            events = list(self._events)
            self._events.clear()
            lost, self._lost = self._lost, 0
        return events, lost


class EventQueue:
    """One subscriber's unread events, as serialised lines. Loop thread only."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        # Each slot is a one-item list, so a state event can be replaced where it waits.
        self._slots: deque[list[bytes]] = deque()
        self._state: dict[StateKey, list[bytes]] = {}
        self._keys: dict[int, StateKey] = {}  # id(slot) -> its state key
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._slots)

    def put(self, line: bytes, key: StateKey | None) -> None:
        if key is not None:
            waiting = self._state.get(key)
            if waiting is not None:
                waiting[0] = line
                return
        if len(self._slots) >= self._capacity:
            self._forget(self._slots.popleft())
            self.dropped += 1
        slot = [line]
        self._slots.append(slot)
        if key is not None:
            self._state[key] = slot
            self._keys[id(slot)] = key

    def take(self, limit: int) -> list[bytes]:
        """Up to ``limit`` lines, oldest first (the dropped notice comes first)."""
        lines: list[bytes] = []
        if self.dropped:
            lines.append(event_line({"event": "dropped", "count": self.dropped}))
            self.dropped = 0
        while self._slots and len(lines) < limit:
            slot = self._slots.popleft()
            self._forget(slot)
            lines.append(slot[0])
        return lines

    def _forget(self, slot: list[bytes]) -> None:
        key = self._keys.pop(id(slot), None)
        if key is not None:
            del self._state[key]
