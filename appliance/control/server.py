"""The control socket's server: one event loop on one daemon thread.

:class:`ControlServer` serves any :class:`~appliance.control.api.ControlApi`
over a Unix socket (docs/control-api.md). It owns:

- the socket file: created with its mode and group before anyone can connect,
  a stale one (left by a killed box) replaced, a live one never stolen;
- the ``tonic-control`` thread running an asyncio loop that frames requests and
  writes replies and events (:mod:`.connection`), and never blocks;
- a small pool of worker threads that run the box's handlers, which may wait on
  the engine;
- one subscription to the box's events for the whole server (:mod:`.events`).

It knows nothing of the box: the engine, the sensors and the profiles stay
behind the ``ControlApi``.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import itertools
import logging
import os
import socket
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from appliance.control.api import ControlApi, EventSink
from appliance.control.connection import SUBSCRIBE, Connection, Shared
from appliance.control.events import FanIn, state_key
from appliance.control.limits import Limits
from appliance.control.rate import RequestRate
from appliance.control.requests import event_line
from appliance.errors import TonicError

log = logging.getLogger(__name__)

#: The longest path a Unix socket can be bound to on Linux (sun_path, less its NUL).
MAX_SOCKET_PATH = 107
#: How long start() waits for the loop to come up, and stop() for it to end.
THREAD_TIMEOUT_S = 2.0
#: How long start() waits for an existing socket to answer before calling it stale.
PROBE_TIMEOUT_S = 1.0
LISTEN_BACKLOG = 64
DEFAULT_MODE = 0o660
DEFAULT_GROUP = "tonic"

_temp_names = itertools.count()


class ControlSocketError(TonicError, OSError):
    """The control socket cannot be set up at the path asked for."""


class ControlSocketBusy(ControlSocketError):
    """Another server (another running box) already answers on the socket."""


class ControlServer:
    """Serves ``api`` on the Unix socket at ``path`` until :meth:`stop`."""

    def __init__(
        self,
        api: ControlApi,
        path: str | os.PathLike[str],
        *,
        mode: int = DEFAULT_MODE,
        group: str | None = DEFAULT_GROUP,
        limits: Limits | None = None,
    ) -> None:
        self._api = api
        self.path = Path(path)
        self._mode = mode
        self._group = group
        self.limits = limits or Limits()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Future[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._shared: Shared | None = None
        self._fan_in: FanIn | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._inode: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def sink(self) -> EventSink | None:
        """The sink handed to the box (None before start); exposed for tests."""
        return self._fan_in.sink if self._fan_in else None

    def client_count(self) -> int:
        """Clients connected now (read from another thread: a snapshot)."""
        shared = self._shared
        return len(shared.clients) if shared else 0

    def queued_events(self) -> list[int]:
        """Each subscriber's unread events (a snapshot, for tests and ``status``)."""
        shared = self._shared
        if shared is None:
            return []
        return [len(c.events) for c in list(shared.subscribers) if c.events is not None]

    # -- start and stop ---------------------------------------------------------------

    def start(self) -> None:
        """Bind the socket and start serving. Undoes what it began if a step fails."""
        with self._lock:
            if self._thread is not None:
                return
            methods = dict(self._api.methods())
            if SUBSCRIBE in methods:
                raise ValueError("'subscribe' is the server's own method")
            sock = bind_socket(self.path, self._mode, self._group)
            try:
                st = self.path.stat()
                self._inode = (st.st_dev, st.st_ino)
                self._start_loop(sock, methods)
                assert self._fan_in is not None
                self._unsubscribe = self._api.subscribe(self._fan_in.sink)
            except BaseException:
                sock.close()
                self._stop_locked()
                raise
        log.info("control socket: listening on %s", self.path)

    def stop(self) -> None:
        """Close every client, remove the socket file and end the thread. Idempotent."""
        with self._lock:
            self._stop_locked()

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_loop(self, sock: socket.socket, methods: dict[str, Any]) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_log_loop_error)
        self._loop = loop
        self._executor = ThreadPoolExecutor(
            self.limits.workers, thread_name_prefix="tonic-control-worker"
        )
        self._fan_in = FanIn(self.limits.fan_in_events, self._wake)
        self._shared = Shared(
            loop=loop,
            limits=self.limits,
            methods=methods,
            executor=self._executor,
            read_buffer=bytearray(self.limits.max_line + 1),
            subscribers_changed=self._subscribers_changed,
            rate=RequestRate(self.limits.requests_per_second, self.limits.request_burst, loop.time),
        )
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready, failure), name="tonic-control", daemon=True
        )
        self._thread.start()
        if not ready.wait(THREAD_TIMEOUT_S):
            raise ControlSocketError(f"the control socket's thread did not start ({self.path})")
        if failure:
            raise ControlSocketError(f"cannot serve on {self.path}: {failure[0]}")

    def _stop_locked(self) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception as e:  # the box's own stop must not keep ours from finishing
                log.warning("control socket: unsubscribing failed: %s: %s", type(e).__name__, e)
            self._unsubscribe = None
        if self._fan_in is not None:
            self._fan_in.listening = False
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_settle, stopping)
        if thread is not None:
            thread.join(THREAD_TIMEOUT_S)
            if thread.is_alive():
                log.warning("control socket: the server thread did not end in time")
        if self._executor is not None:
            # Handlers still running finish on their own; nothing waits for their answer.
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._remove_socket_file()
        self._thread = self._loop = self._stopping = self._executor = None
        self._shared = self._fan_in = None

    def _remove_socket_file(self) -> None:
        # Only our own: a newer server may have replaced the file since.
        if self._inode is None:
            return
        try:
            st = self.path.lstat()
            if (st.st_dev, st.st_ino) == self._inode:
                self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("control socket: cannot remove %s: %s", self.path, e)
        self._inode = None

    # -- the loop's thread ------------------------------------------------------------

    def _run(
        self, sock: socket.socket, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(sock, ready))
        except Exception as e:
            failure.append(e)
            log.error("control socket: stopped: %s: %s", type(e).__name__, e)
            log.debug("control socket: stopped", exc_info=True)
        finally:
            ready.set()
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        shared = self._shared
        assert shared is not None
        self._stopping = loop.create_future()
        server = await loop.create_unix_server(
            lambda: Connection(shared), sock=sock, backlog=LISTEN_BACKLOG
        )
        ready.set()
        try:
            await self._stopping
        finally:
            server.close()
            await _answers_sent(shared, self.limits.answer_grace_s)
            for client in list(shared.clients):
                client.close()
            # Let the closed connections run their connection_lost callbacks.
            await asyncio.sleep(0)
            tasks = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- events -----------------------------------------------------------------------

    def _wake(self) -> None:
        """Called by the sink, at most once per batch, from the box's threads."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._deliver)

    def _subscribers_changed(self) -> None:
        if self._fan_in is not None and self._shared is not None:
            self._fan_in.listening = bool(self._shared.subscribers)

    def _deliver(self) -> None:
        fan_in, shared = self._fan_in, self._shared
        if fan_in is None or shared is None:
            return
        events, lost = fan_in.drain()
        subscribers = [c for c in shared.subscribers if c.events is not None]
        for event in events:
            try:
                line = event_line(event)
            except (TypeError, ValueError) as e:
                log.error("control socket: an event is not JSON: %s: %s", type(e).__name__, e)
                continue
            key = state_key(event)
            for client in subscribers:
                client.queue_event(line, key)
        for client in subscribers:
            if lost and client.events is not None:
                client.events.dropped += lost
            client.flush_events()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _log_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # asyncio's default handler prints a traceback; under hostile input the service's
    # output must stay free of them, so one line here and the details only when debugging.
    exc = context.get("exception")
    detail = f"{type(exc).__name__}: {exc}" if exc is not None else ""
    log.error("control socket: %s %s", context.get("message", "error"), detail)
    if exc is not None:
        log.debug("control socket: loop error", exc_info=exc)


# -- the socket file ------------------------------------------------------------------


def bind_socket(path: Path, mode: int, group: str | None) -> socket.socket:
    """A listening socket at ``path`` with ``mode`` and ``group`` already set.

    It is bound under a temporary name, given its mode and group, and only then
    hard-linked to ``path``, so nobody can connect while it is still open to all,
    and the link fails (rather than replacing anything) if another server got
    there first.
    """
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ControlSocketError(
            f"socket path too long ({len(os.fsencode(path))} bytes, at most "
            f"{MAX_SOCKET_PATH}): {path}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ControlSocketError(f"cannot create {path.parent}: {e.strerror}") from None
    remove_stale_socket(path)
    temp = path.with_name(f".{path.name[:40]}.{os.getpid()}.{next(_temp_names)}")
    if len(os.fsencode(temp)) > MAX_SOCKET_PATH:
        temp = path.with_name(f".t{os.getpid()}.{next(_temp_names)}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        sock.bind(os.fspath(temp))
        try:
            os.chmod(temp, mode)
            _set_group(temp, group)
            os.link(temp, path)
        finally:
            temp.unlink()
        sock.listen(LISTEN_BACKLOG)
    except FileExistsError:
        sock.close()
        raise ControlSocketBusy(f"another server took {path} while this one started") from None
    except OSError as e:
        sock.close()
        raise ControlSocketError(f"cannot create the control socket {path}: {e}") from None
    return sock


def remove_stale_socket(path: Path) -> None:
    """Remove a socket file nobody answers on; refuse a live one or a non-socket."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise ControlSocketError(f"{path} exists and is not a socket; not replacing it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(PROBE_TIMEOUT_S)
    try:
        probe.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        log.info("control socket: removed a stale %s (its server is gone)", path)
        return
    except OSError as e:
        raise ControlSocketError(f"cannot tell whether {path} is in use: {e}") from None
    finally:
        probe.close()
    raise ControlSocketBusy(f"another Tonic service is already answering on {path}")


def _set_group(path: Path, group: str | None) -> None:
    if group is None:
        return
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        log.info("control socket: no group %r here; only this user can connect", group)
        return
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        log.warning(
            "control socket: cannot give %s to group %r; only this user can connect", path, group
        )


async def _answers_sent(shared: Shared, grace_s: float) -> None:
    """Wait, at most ``grace_s``, until no handler is running: their replies are written."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(grace_s):
            while shared.answering:
                shared.answered.clear()
                await shared.answered.wait()
    # The connections' own tasks write the replies in their next step.
    await asyncio.sleep(0)
