"""Helpers for the service tests."""

from __future__ import annotations

import queue
import threading
from typing import Any

from appliance.control.client import ControlClient

#: Bounds a hang, never a measurement: a healthy service answers in milliseconds.
HANG_S = 10.0


class Stream:
    """A subscriber on its own connection, collecting events on a thread."""

    def __init__(self, path: str) -> None:
        self.client = ControlClient(path)
        self.events: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.log: list[dict[str, Any]] = []  # every event, in order
        self.client.subscribe()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for event in self.client.events():
                self.log.append(event)
                self.events.put(event)
        except Exception:
            pass

    def until(self, want: Any) -> list[dict[str, Any]]:
        """Events up to and including the first for which ``want(event)`` holds."""
        seen = []
        while True:
            event = self.events.get(timeout=HANG_S)
            seen.append(event)
            if want(event):
                return seen

    def ended(self) -> list[dict[str, Any]]:
        """Every event, once the service has closed the stream."""
        self._thread.join(HANG_S)
        assert not self._thread.is_alive(), "the stream did not end"
        return self.log

    def close(self) -> None:
        self.client.close()
