"""A small synchronous client of the control socket (docs/control-api.md).

``tonic ctl`` and the setup UI use it. It imports only the standard library,
:mod:`appliance.errors` and :mod:`appliance.control.api` (and, for the default
socket path, the box's plain-data config), so a program that talks to the box
never loads the engine, the synth or the inputs.

One client holds one connection, opened on first use and reopened after a
failure. Calls on it are answered in order; events that arrive while a call
waits are kept for :meth:`ControlClient.events`. A program that both listens
and calls (the setup UI) uses two clients, one of them subscribed.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.control.api import ControlError, ErrorCode, Params
from appliance.errors import TonicError

SOCKET_ENV = "TONIC_SOCKET"
DEFAULT_TIMEOUT_S = 5.0
#: A reply longer than this (a profile's text is a few KiB) means something is wrong.
MAX_REPLY = 16 * 1024 * 1024
#: Events kept while a call waits for its reply; the oldest go first.
MAX_HELD_EVENTS = 1024
RECV_SIZE = 65536


class ControlConnectionError(TonicError, ConnectionError):
    """The control socket could not be reached or the connection broke."""


class ServiceNotRunning(ControlConnectionError):
    """No Tonic service answers on the socket."""


class ServiceClosed(ControlConnectionError):
    """The service closed a connection it had accepted: it is stopping or restarting."""


class ControlPermissionError(ControlConnectionError, PermissionError):
    """The socket is there, but this user may not connect to it."""


class ControlTimeout(TonicError, TimeoutError):
    """The service did not answer in time."""


def default_socket_path() -> Path:
    """``$TONIC_SOCKET``, else where the service puts its socket when its config
    does not say (:func:`appliance.control_settings.default_socket_path`:
    ``/run/tonic/control.sock`` on a box)."""
    explicit = os.environ.get(SOCKET_ENV)
    if explicit:
        return Path(explicit)
    # Imported here: the box's config is plain data, but a client given a path
    # should not pay for reading its declarations.
    from appliance.control_settings import default_socket_path as service_default

    return Path(service_default())


class ControlClient:
    """Calls the box's methods over its control socket."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_socket_path()
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._ids = itertools.count(1)
        self._held: deque[dict[str, Any]] = deque(maxlen=MAX_HELD_EVENTS)

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer.clear()

    def call(
        self, method: str, params: Params | None = None, timeout: float = DEFAULT_TIMEOUT_S
    ) -> Any:
        """The result of ``method``; raises :class:`ControlError` for an error reply."""
        rid = next(self._ids)
        request: dict[str, Any] = {"id": rid, "method": method}
        if params is not None:
            request["params"] = params
        deadline = time.monotonic() + timeout
        self._send(request, deadline)
        while True:
            message = self._receive(deadline, waiting_for=method)
            if "event" in message and "id" not in message:
                self._held.append(message)
                continue
            if message.get("id") not in (rid, None):
                continue  # the answer to an earlier call that timed out
            error = message.get("error")
            if isinstance(error, dict):
                raise _error_from(error)
            return message.get("result")

    def subscribe(self, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        """Ask for the live event stream on this connection."""
        self.call("subscribe", timeout=timeout)

    def events(self, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """Subscribe, then yield each event as it comes, until the service closes.

        With ``timeout``, ends quietly when no event comes for that long.
        """
        self.subscribe()
        while True:
            while self._held:
                yield self._held.popleft()
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                message = self._receive(deadline, waiting_for="events")
            except ControlTimeout:
                return
            except ControlConnectionError:
                return
            if "event" in message:
                yield message

    # -- the connection ---------------------------------------------------------------

    def _connect(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(os.fspath(self.path))
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise ServiceNotRunning(
                f"the Tonic service is not running (no socket at {self.path})"
            ) from None
        except PermissionError:
            sock.close()
            raise ControlPermissionError(
                f"no permission to use {self.path} (is this user in the tonic group?)"
            ) from None
        except OSError as e:
            sock.close()
            raise ControlConnectionError(f"cannot connect to {self.path}: {e.strerror}") from None
        self._sock = sock
        return sock

    def _send(self, request: dict[str, Any], deadline: float) -> None:
        sock = self._connect()
        line = json.dumps(request, allow_nan=False).encode() + b"\n"
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.sendall(line)
        except TimeoutError:
            self.close()
            raise ControlTimeout(
                f"the Tonic service did not take the request ({self.path})"
            ) from None
        except OSError as e:
            self.close()
            raise _gone(self.path, e) from None

    def _receive(self, deadline: float | None, *, waiting_for: str) -> dict[str, Any]:
        """The next whole line from the service, as a JSON object."""
        sock = self._connect()
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    return message
                continue
            if len(self._buffer) > MAX_REPLY:
                self.close()
                raise ControlConnectionError(f"a reply from {self.path} was too long")
            if deadline is None:
                sock.settimeout(None)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._timed_out(waiting_for)
                sock.settimeout(left)
            try:
                chunk = sock.recv(RECV_SIZE)
            except TimeoutError:
                self._timed_out(waiting_for)
            except OSError as e:
                self.close()
                raise _gone(self.path, e) from None
            if not chunk:
                self.close()
                raise _gone(self.path, None)
            self._buffer += chunk

    def _timed_out(self, waiting_for: str) -> None:
        if waiting_for == "events":
            raise ControlTimeout("no event in time")
        # A late reply would be mistaken for the next call's: start afresh.
        self.close()
        raise ControlTimeout(f"the Tonic service did not answer {waiting_for!r} in time")


def _error_from(error: dict[str, Any]) -> ControlError:
    raw = error.get("code")
    try:
        code: ErrorCode | int = ErrorCode(raw)  # type: ignore[arg-type]  # checked below
    except (ValueError, TypeError):
        code = raw if isinstance(raw, int) else ErrorCode.INTERNAL_ERROR
    message = error.get("message")
    return ControlError(code, str(message) if message else f"error {code}")  # type: ignore[arg-type]


def _gone(path: Path, error: OSError | None) -> ControlConnectionError:
    why = f": {error.strerror}" if error is not None and error.strerror else ""
    return ServiceClosed(f"the Tonic service closed the connection{why} ({path})")
