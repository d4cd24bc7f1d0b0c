"""One client of the control socket, on the server's event loop.

A connection reads into one shared buffer and keeps at most one line's worth
(``max_line`` bytes) of its own, parses each complete line into a request,
and answers its requests strictly one after another, in the order they came:
a ``set`` followed by a ``status`` sees the change, and replies go out in
request order. The box's handlers run on the server's worker threads, so the
loop never waits on the engine.

Back-pressure, so no client costs more than its limits::

    requests read, not answered ──► max_pending reached ──► stop reading the socket
    kernel send buffer full     ──► write_high_water   ──► replies wait, events queue
                                                            (drop-oldest), and after
                                                            stalled_timeout_s: closed
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field

from appliance.control.api import ControlError, ErrorCode, Handler
from appliance.control.events import EventQueue, StateKey
from appliance.control.limits import Limits
from appliance.control.rate import RequestRate
from appliance.control.requests import (
    BadRequest,
    Request,
    clip,
    error_line,
    parse_request,
    result_line,
)
from appliance.errors import TonicError

log = logging.getLogger(__name__)

SUBSCRIBE = "subscribe"
#: Event lines written to a subscriber in one go before checking its buffer again.
EVENT_BATCH = 64
#: Longest part of an exception's text that goes into the box's log.
LOG_EXCERPT = 200
#: A method name quoted back in an error is cut to this length.
NAME_EXCERPT = 60


@dataclass(eq=False)
class Shared:
    """What every connection of one server shares. Loop thread only."""

    loop: asyncio.AbstractEventLoop
    limits: Limits
    methods: Mapping[str, Handler]
    executor: Executor
    read_buffer: bytearray
    subscribers_changed: Callable[[], None]
    rate: RequestRate
    clients: set[Connection] = field(default_factory=set)
    subscribers: set[Connection] = field(default_factory=set)
    #: Requests whose handler is running: the server lets them answer before it stops.
    answering: int = 0
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True, slots=True)
class _Hangup:
    """Close the connection once everything before it is answered (after ``reply``)."""

    reply: bytes | None


class Connection(asyncio.BufferedProtocol):
    def __init__(self, shared: Shared) -> None:
        self._s = shared
        self._limits = shared.limits
        self._transport: asyncio.Transport | None = None
        self._data = bytearray()
        self._requests: deque[Request | BadRequest | _Hangup] = deque()
        self._outstanding = 0  # read and parsed, not yet answered
        self._reading_paused = False
        self._done_reading = False  # after EOF or a line too long
        self._wakeup = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._blocked_since: float | None = None  # when its socket last stayed full
        self._last_activity = shared.loop.time()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.events: EventQueue | None = None  # set once it subscribes

    # -- asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        limits = self._limits
        if len(self._s.clients) >= limits.max_clients:
            message = f"too many clients ({limits.max_clients}); try again later"
            transport.write(error_line(None, ErrorCode.BUSY, message))
            transport.close()
            log.warning("control socket: refused a client, %d connected", limits.max_clients)
            return
        self._s.clients.add(self)
        transport.set_write_buffer_limits(high=limits.write_high_water)
        self._task = self._s.loop.create_task(self._serve())
        self._timer = self._s.loop.call_later(limits.idle_timeout_s, self._check_idle)

    def get_buffer(self, sizehint: int) -> memoryview:
        # Never more than one line's worth: a client cannot make the box buffer more.
        room = self._limits.max_line + 1 - len(self._data)
        return memoryview(self._s.read_buffer)[: max(room, 1)]

    def buffer_updated(self, nbytes: int) -> None:
        self._data += self._s.read_buffer[:nbytes]
        self._last_activity = self._s.loop.time()
        self._take_lines()

    def eof_received(self) -> bool:
        # A client that sends its requests and then shuts its side (printf ... | nc -U)
        # still gets every answer; a last line without a newline counts as a line.
        self._take_lines()
        if not self._done_reading:
            if self._data.strip():
                self._push(self._parse(bytes(self._data)))
            self._data.clear()
            self._done_reading = True
            self._push(_Hangup(None))
        return True  # keep the writing side open for the answers

    def connection_lost(self, exc: Exception | None) -> None:
        self._s.clients.discard(self)
        if self.events is not None:
            self._s.subscribers.discard(self)
            self._s.subscribers_changed()
        if self._task is not None:
            self._task.cancel()
        if self._timer is not None:
            self._timer.cancel()
        self._data.clear()
        self._requests.clear()

    def pause_writing(self) -> None:
        self._writable.clear()
        self._mark_blocked()

    def resume_writing(self) -> None:
        self._writable.set()
        self._blocked_since = None
        self.flush_events()

    # -- reading ----------------------------------------------------------------------

    def _take_lines(self) -> None:
        limits = self._limits
        while not self._done_reading and self._outstanding < limits.max_pending:
            end = self._data.find(b"\n")
            if end < 0:
                if len(self._data) > limits.max_line:
                    self._too_long()
                break
            if end > limits.max_line:
                self._too_long()
                break
            line = bytes(self._data[:end])
            del self._data[: end + 1]
            self._push(self._parse(line.removesuffix(b"\r")))
        self._update_reading()

    def _parse(self, line: bytes) -> Request | BadRequest:
        return parse_request(line, max_depth=self._limits.max_depth)

    def _too_long(self) -> None:
        self._data.clear()
        self._done_reading = True
        message = f"line too long (over {self._limits.max_line} bytes)"
        self._push(_Hangup(error_line(None, ErrorCode.PARSE_ERROR, message)))

    def _push(self, item: Request | BadRequest | _Hangup) -> None:
        self._requests.append(item)
        self._outstanding += 1
        self._wakeup.set()

    def _update_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        full = self._done_reading or self._outstanding >= self._limits.max_pending
        if full and not self._reading_paused:
            transport.pause_reading()
            self._reading_paused = True
        elif not full and self._reading_paused:
            transport.resume_reading()
            self._reading_paused = False

    # -- answering --------------------------------------------------------------------

    async def _serve(self) -> None:
        try:
            await self._answer_in_order()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            # The server is stopping (its workers are gone) or a bug here: drop this
            # client, never the loop, and never print a traceback.
            log.error("control socket: dropped a client: %s: %s", type(e).__name__, e)
            log.debug("control socket: dropped a client", exc_info=True)
            self.abort()

    async def _answer_in_order(self) -> None:
        transport = self._transport
        assert transport is not None
        while True:
            while not self._requests:
                self._wakeup.clear()
                await self._wakeup.wait()
            item = self._requests.popleft()
            if isinstance(item, _Hangup):
                if item.reply is not None:
                    await self._send(item.reply)
                transport.close()
                return
            await self._s.rate.take()
            self._s.answering += 1
            try:
                line = await self._answer(item)
            finally:
                self._s.answering -= 1
                self._s.answered.set()
            subscribing = isinstance(item, Request) and item.method == SUBSCRIBE
            await self._send(line, subscribing)
            self._outstanding -= 1
            self._last_activity = self._s.loop.time()
            self._take_lines()  # lines held back while it had too many pending

    async def _answer(self, item: Request | BadRequest) -> bytes:
        if isinstance(item, BadRequest):
            return error_line(item.id, item.code, clip(item.message, self._limits.max_message))
        if item.method == SUBSCRIBE:
            return result_line(item.id, {"subscribed": True})
        handler = self._s.methods.get(item.method)
        if handler is None:
            return error_line(item.id, ErrorCode.METHOD_NOT_FOUND, self._unknown(item.method))
        return await self._s.loop.run_in_executor(
            self._s.executor, run_handler, handler, item, self._limits.max_message
        )

    def _unknown(self, method: str) -> str:
        known = [*self._s.methods, SUBSCRIBE]
        message = f"unknown method {clip(method, NAME_EXCERPT)!r}"
        close = difflib.get_close_matches(method[:NAME_EXCERPT], known, n=1)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
        return f"{message}; known methods: {', '.join(sorted(known))}"

    async def _send(self, line: bytes, subscribing: bool = False) -> None:
        await self._writable.wait()
        if subscribing:
            # In the same step as the reply: every event after the client reads
            # "subscribed" reaches it, and none comes before that reply.
            self._subscribe()
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(line)

    # -- the event stream -------------------------------------------------------------

    def _subscribe(self) -> None:
        if self.events is None:
            self.events = EventQueue(self._limits.queue_events)
            self._s.subscribers.add(self)
            self._s.subscribers_changed()

    def queue_event(self, line: bytes, key: StateKey | None) -> None:
        if self.events is not None:
            self.events.put(line, key)

    def flush_events(self) -> None:
        """Write queued events while the client's socket has room; keep the rest."""
        transport = self._transport
        events = self.events
        if events is None or transport is None or transport.is_closing():
            return
        while len(events) or events.dropped:
            if transport.get_write_buffer_size() >= self._limits.write_high_water:
                self._mark_blocked()
                return
            transport.write(b"".join(events.take(EVENT_BATCH)))
        if self._writable.is_set():
            self._blocked_since = None

    # -- timeouts ---------------------------------------------------------------------

    def _mark_blocked(self) -> None:
        """Its socket is full: from now on, the stalled timeout runs."""
        if self._blocked_since is not None:
            return
        loop = self._s.loop
        self._blocked_since = loop.time()
        due = self._blocked_since + self._limits.stalled_timeout_s
        if self._timer is not None and self._timer.when() > due:
            self._timer.cancel()
            self._timer = loop.call_at(due, self._check_idle)

    def _check_idle(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        limits = self._limits
        now = self._s.loop.time()
        if self._blocked_since is not None:
            if now - self._blocked_since >= limits.stalled_timeout_s:
                log.info("control socket: closed a client that read nothing for a long time")
                transport.abort()
                return
            due = self._blocked_since + limits.stalled_timeout_s
        elif self.events is not None or self._outstanding:
            due = now + limits.idle_timeout_s  # a listening subscriber, or a request running
        else:
            if now - self._last_activity >= limits.idle_timeout_s:
                log.debug("control socket: closed an idle client")
                transport.abort()
                return
            due = self._last_activity + limits.idle_timeout_s
        self._timer = self._s.loop.call_at(due, self._check_idle)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        """Close after what is already written has gone out; abort if the client reads nothing."""
        transport = self._transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()


def run_handler(handler: Handler, request: Request, max_message: int) -> bytes:
    """Run one of the box's methods on a worker thread; always returns a reply line."""
    try:
        return result_line(request.id, handler(request.params))
    except ControlError as e:
        return error_line(request.id, e.code, clip(e.message, max_message))
    except TonicError as e:
        return error_line(request.id, ErrorCode.REFUSED, clip(str(e), max_message))
    except Exception as e:
        # A bug in the box. One line at ERROR (no traceback: a hostile client must not be
        # able to fill the journal with them); the traceback only when debugging.
        log.error(
            "control: %s failed: %s: %s",
            clip(request.method, NAME_EXCERPT),
            type(e).__name__,
            clip(str(e), LOG_EXCERPT),
        )
        log.debug("control: %s failed", request.method, exc_info=True)
        return error_line(request.id, ErrorCode.INTERNAL_ERROR, "internal error (logged)")
