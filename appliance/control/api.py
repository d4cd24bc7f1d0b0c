"""What the control socket serves: named methods and a stream of events.

The server (:mod:`appliance.control.server`) knows nothing of the box: it
frames requests, calls a method by name on one of its worker threads, and
writes the answer back. The box side (:mod:`appliance.service.methods`)
implements :class:`ControlApi`. Keeping the two apart lets each be tested
alone, and keeps the socket's rules (limits, queues, drop policy) in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, Protocol

from appliance.errors import TonicError

Params = dict[str, Any]
"""A request's ``params`` object (an empty dict when the request had none)."""

Handler = Callable[[Params], Any]
"""One method: takes the params, returns a JSON-serialisable result, or raises
:class:`ControlError` (or any :class:`TonicError`, which becomes ``REFUSED``)."""

EventSink = Callable[[dict[str, Any]], None]
"""Receives each event of the live stream. Called on the engine's owner thread
and sensor threads: it must return at once and never block or raise."""


class ErrorCode(IntEnum):
    """The ``error.code`` of a reply. The first five are JSON-RPC's own numbers."""

    PARSE_ERROR = -32700  # not JSON, not UTF-8, or a line over the limit
    INVALID_REQUEST = -32600  # JSON, but not a request object
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602  # params of the wrong shape for the method
    INTERNAL_ERROR = -32603  # a bug: logged on the box, the connection stays up
    REFUSED = 1  # a valid request the box will not do: a bad setting, a missing profile
    BUSY = 2  # the box could not answer in time (e.g. the engine is stuck)


class ControlError(TonicError, RuntimeError):
    """A request the box answers with an error reply."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ControlApi(Protocol):
    """What a control server serves."""

    def methods(self) -> Mapping[str, Handler]:
        """Every method by name (``status``, ``set``, ``panic``, ...). ``subscribe``
        is the server's own and must not be among them."""
        ...

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        """Start sending live events to ``sink``; returns the way to stop.

        Each event is a JSON-serialisable dict with an ``"event"`` key. Events whose
        ``"event"`` is in :data:`LATEST_WINS` describe a state (a beam's distance, the
        status): a newer one of the same ``event`` and ``input`` replaces an older one
        a client has not read yet. Every other event (a note, a press) is news.
        """
        ...


#: Events that describe a current state; only the newest per input matters.
LATEST_WINS = frozenset({"beam", "status", "level"})
