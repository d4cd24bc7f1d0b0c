"""What the control tests share: a small in-test ControlApi and a raw line client.

The API is a real one, only tiny: a dict of settings that ``set`` changes
together or not at all, a ``status`` built from it, handlers that fail in each
way a box's can, one that waits on a gate the test opens, and a thread that
produces events as the engine's would.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from appliance.control.api import ControlError, ErrorCode, EventSink, Handler, Params
from appliance.errors import ProfileError

#: Bounds a hang, never asserts a duration.
HANG_S = 10.0
KEYS = ("C", "D", "E", "F", "G", "A", "B")


class SettingsApi:
    """What a box serves, in miniature."""

    def __init__(self) -> None:
        self.settings: dict[str, str] = {"key": "C", "volume": "0.6", "switch:1.mode": "note"}
        self.calls: list[str] = []
        self.gate = threading.Event()  # "slow" waits for it
        self.entered = threading.Event()  # set when "slow" starts waiting
        self._sinks: list[EventSink] = []
        self._lock = threading.Lock()

    def methods(self) -> Mapping[str, Handler]:
        return {
            "status": self.status,
            "set": self.set,
            "panic": lambda params: None,
            "echo": lambda params: params,
            "slow": self.slow,
            "crash": self.crash,
            "busy": self.busy,
            "not_json": lambda params: {"value": object()},
        }

    def status(self, params: Params) -> dict[str, Any]:
        self.calls.append("status")
        with self._lock:
            settings = dict(self.settings)
        return {
            "profile": "Test room",
            "unsaved": settings != {"key": "C", "volume": "0.6", "switch:1.mode": "note"},
            "key": settings["key"],
            "scale": "major",
            "volume": float(settings["volume"]),
            "inputs": [{"id": "switch:1", "mode": settings["switch:1.mode"], "online": True}],
        }

    def set(self, params: Params) -> dict[str, Any]:
        self.calls.append("set")
        problems = []
        for name, value in params.items():
            if name not in self.settings:
                problems.append(f"{name}: no such setting")
            elif not isinstance(value, str):
                problems.append(f"{name}: expected text")
            elif name == "key" and value not in KEYS:
                problems.append(f"key: unknown note name {value!r}")
        if problems:
            raise ProfileError("; ".join(problems))
        with self._lock:
            self.settings.update(params)
        return {"changed": sorted(params)}

    def slow(self, params: Params) -> str:
        self.calls.append("slow")
        self.entered.set()
        if not self.gate.wait(HANG_S):
            raise TimeoutError("the test never opened the gate")
        return "done"

    def crash(self, params: Params) -> None:
        raise KeyError("a bug in the box")

    def busy(self, params: Params) -> None:
        raise ControlError(ErrorCode.BUSY, "the engine did not answer in time")

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        with self._lock:
            self._sinks.append(sink)

        def stop() -> None:
            with self._lock:
                self._sinks.remove(sink)

        return stop

    def emit(self, event: dict[str, Any]) -> None:
        for sink in list(self._sinks):
            sink(event)

    def produce(self, count: int, make: Callable[[int], dict[str, Any]]) -> threading.Thread:
        """Emit ``count`` events from another thread, as the engine's thread would."""
        thread = threading.Thread(
            target=lambda: [self.emit(make(i)) for i in range(count)], daemon=True
        )
        thread.start()
        return thread


class LineClient:
    """A raw socket client: sends bytes, reads whole lines."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(HANG_S)
        self.sock.connect(str(path))
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, params: Any = None, rid: Any = 1) -> dict[str, Any]:
        message: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(json.dumps(message).encode() + b"\n")
        return self.read()

    def read_line(self) -> bytes | None:
        """The next line, or None at end of stream."""
        while b"\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def read(self) -> dict[str, Any]:
        line = self.read_line()
        assert line is not None, "the server closed the connection"
        return json.loads(line)

    def at_eof(self) -> bool:
        """Whether the server closed the connection (reading past any lines)."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self._buffer += chunk

    def close(self) -> None:
        self.sock.close()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; the bound only stops a hang."""
    done = threading.Event()
    for _ in range(int(HANG_S / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"never happened: {what}")
