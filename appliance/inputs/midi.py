"""USB-MIDI devices: every input port opened, plugged and unplugged while the box plays.

:class:`MidiPorts` keeps one port open for each MIDI device there is, and
turns what it sends into events for the engine, through ``submit`` as every
other input does. Each device is the input ``midi:<name>``, named by
:mod:`appliance.inputs.midi_names` (``midi:keystep-32``; a second identical
one is ``midi:keystep-32-2``).

One thread, ``tonic-midi``, looks at the list of ports whenever its watcher
(:mod:`appliance.inputs.midi_watch`) says to, once a second by default:

* a new port is opened, and ``DevicePlugged`` is submitted before any of its
  notes;
* a port gone from the list is closed, after ``DeviceUnplugged`` is
  submitted: the engine releases the device's notes at once;
* a port that comes back is opened afresh (a replugged device stays silent
  until its port is reopened) and gets its old name back if it is free.

A device's messages arrive on its port's own thread (RtMidi's), and become
events there (:mod:`appliance.inputs.midi_messages`): aftertouch, SysEx,
clock, active sensing and program changes are dropped by their first byte,
malformed messages are counted and logged at most once every
:data:`MALFORMED_LOG_S`. The events pass through one gate
(:mod:`appliance.inputs.midi_gate`), which keeps them in order and lets
controllers go at the engine's pace; register :meth:`MidiPorts.taken` as an
engine event listener, or controllers wait for ever.

With no MIDI system at all (this build machine has neither an ALSA sequencer
nor a JACK server), :attr:`MidiPorts.available` is False with the reason, the
box plays on, and the thread looks again with backoff (0.5 s doubling to 8 s)
in case one appears. Nothing here raises into the box.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.events import (
    DevicePlugged,
    DeviceUnplugged,
    Event,
    InputId,
    midi_input_id,
)
from appliance.inputs.midi_backend import MidiUnavailable, MidoBackend, OpenPort, PortBackend
from appliance.inputs.midi_gate import EventGate
from appliance.inputs.midi_messages import Dropped, to_event
from appliance.inputs.midi_names import assign_names, is_device_port
from appliance.inputs.midi_watch import PollingWatcher, PortWatcher
from appliance.inputs.reopen import DEFAULT_RETRY_DELAYS, Backoff

log = logging.getLogger(__name__)

#: At most one log line per device this often about malformed messages (with
#: how many there were): a faulty cable can send garbage all session long.
MALFORMED_LOG_S = 10.0
#: Ports remembered with the name they had, so a replugged device gets it back.
#: Enough for every device a session meets; the oldest is forgotten first.
REMEMBERED_PORTS = 64
#: How long close() waits for the thread, which may be opening a port.
CLOSE_TIMEOUT_S = 2.0
NOT_STARTED = "not started"


@dataclass(frozen=True, slots=True)
class MidiDevice:
    """A device playing now: its input, and the port it came on."""

    id: InputId
    port: str


class _Device:
    """One open port. ``on_bytes`` runs on the port's thread; the rest on the scan's."""

    def __init__(
        self,
        port: str,
        name: str,
        gate: EventGate,
        clock: Callable[[], float],
    ) -> None:
        self.port = port
        self.name = name
        self.source = midi_input_id(name)
        self.info = MidiDevice(self.source, port)
        self.handle: OpenPort | None = None
        self.dropped: Counter[Dropped] = Counter()  # written by the port's thread only
        self._send = gate.send
        self._clock = clock
        self._malformed_since_log = 0
        self._next_log = float("-inf")

    def on_bytes(self, data: list[int]) -> None:
        """One message from the port. Never raises: RtMidi's thread must live on."""
        try:
            t = self._clock()
            event = to_event(data, t, self.source)
            if isinstance(event, Dropped):
                self.dropped[event] += 1
                if event is Dropped.MALFORMED:
                    self._malformed(data, t)
                return
            self._send(event)
        except Exception:
            log.exception("%s: a message could not be handled; dropped", self.source)

    def _malformed(self, data: list[int], t: float) -> None:
        self._malformed_since_log += 1
        if t < self._next_log:
            return
        log.warning(
            "%s: dropped %d malformed MIDI message(s), the last: %s",
            self.source,
            self._malformed_since_log,
            " ".join(f"{b:02X}" for b in data[:8]) or "(empty)",
            extra={"input": self.source},
        )
        self._malformed_since_log = 0
        self._next_log = t + MALFORMED_LOG_S

    def close(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            try:
                handle.close()
            except Exception as e:  # the device went first; RtMidi may complain
                log.debug("%s: closing its port: %s", self.source, e)


class MidiPorts:
    """Every MIDI device's port, open while it is plugged in; see the module docstring."""

    def __init__(
        self,
        submit: Callable[[Event], None],
        *,
        backend: PortBackend | None = None,
        watcher: PortWatcher | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        Backoff(retry_delays)  # refuse bad delays now, not on the thread
        self._backend: PortBackend = backend if backend is not None else MidoBackend()
        self._watcher: PortWatcher = watcher if watcher is not None else PollingWatcher()
        self._clock = clock
        self._retry_delays = tuple(retry_delays)
        self._gate = EventGate(submit)
        self._scan_lock = threading.Lock()  # one look at the ports at a time
        self._devices: dict[str, _Device] = {}  # port name -> device; under _scan_lock
        self._remembered: dict[str, str] = {}  # port name -> the name it last had
        self._failed: dict[str, tuple[float, Backoff, str]] = {}  # port -> (retry at, ..)
        self._snapshot: tuple[MidiDevice, ...] = ()  # replaced whole, read without a lock
        self._available = False
        self._reason = NOT_STARTED
        self._closed = False
        self._idle = threading.Event()  # wakes the thread from its backoff
        self._thread: threading.Thread | None = None

    # -- what the box and its status read ------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether a MIDI system answered the last look."""
        return self._available

    @property
    def reason(self) -> str:
        """Why MIDI is unavailable (``no MIDI: ...``); empty while it is available."""
        return self._reason

    @property
    def devices(self) -> tuple[MidiDevice, ...]:
        """The devices plugged in now, in the order they came."""
        return self._snapshot

    def status(self) -> dict[str, Any]:
        """The control API's ``midi`` entry: small, and plain JSON."""
        return {
            "available": self._available,
            "reason": self._reason,
            "devices": [{"id": d.id, "port": d.port} for d in self._snapshot],
        }

    def dropped(self) -> dict[str, int]:
        """Messages dropped so far, by why, over the devices plugged now."""
        total: Counter[Dropped] = Counter()
        for device in list(self._devices.values()):
            total.update(device.dropped)
        return {str(why): count for why, count in total.items()}

    @property
    def coalesced(self) -> int:
        """Controller values replaced by newer ones before the engine took them."""
        return self._gate.coalesced

    # -- running ---------------------------------------------------------------------

    def start(self) -> None:
        """Open what is plugged in now, then watch for changes on the thread.

        The first look happens here, so the devices already plugged in play
        from the box's first moment and the status is right at once (a look
        with nothing plugged in, or no MIDI system, takes well under a
        millisecond). It never raises: no MIDI is a reason, not an error.
        """
        if self._thread is not None or self._closed:
            return
        try:
            available = self.rescan()
        except Exception:  # a bug or a driver's surprise must not stop the box starting
            log.exception("MIDI: looking at the ports failed; the thread looks again")
            available = False
        self._thread = threading.Thread(
            target=self._run, args=(available,), name="tonic-midi", daemon=True
        )
        self._thread.start()

    def rescan(self) -> bool:
        """Look at the ports now, on the calling thread; True if MIDI is available.

        The thread does this whenever its watcher says to; tests call it
        directly rather than wait for the watcher.
        """
        with self._scan_lock:
            if self._closed:
                return False
            try:
                names = self._backend.input_names()
            except MidiUnavailable as e:
                self._unavailable(e.reason)
                return False
            if not self._available:
                log.info("MIDI available (%s)", _backend_name(self._backend))
            self._available, self._reason = True, ""
            listed = [name for name in names if is_device_port(name)]
            for port in [port for port in self._failed if port not in listed]:
                del self._failed[port]  # gone: if it comes back, it is tried at once
            for port in [port for port in self._devices if port not in listed]:
                self._unplug(port)
            self._plug_new(listed)
            return True

    def taken(self, event: Event) -> None:
        """An engine event listener: controllers go on at the pace the engine takes them."""
        self._gate.taken(event)

    def close(self) -> None:
        """Stop watching and close every port. Idempotent. Sends no events: the box
        releases every note itself when it stops."""
        if self._closed:
            return
        self._closed = True
        self._idle.set()
        self._watcher.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_TIMEOUT_S)
        with self._scan_lock:
            devices, self._devices = list(self._devices.values()), {}
            self._publish()
            for device in devices:
                device.close()
            self._available, self._reason = False, "closed"
            self._backend.close()

    # -- the thread -------------------------------------------------------------------

    def _run(self, available: bool) -> None:
        backoff = Backoff(self._retry_delays)
        last_crash = ""
        while not self._closed:
            if available:
                backoff.reset()
                self._watcher.wait()
            else:
                self._idle.wait(backoff.next())
                self._idle.clear()
            try:
                available = self.rescan()
            except Exception as e:  # a bug or a driver's surprise: never end the thread
                available = False
                if str(e) != last_crash:
                    last_crash = str(e)
                    log.exception("MIDI: looking at the ports failed; carrying on")

    # -- with the scan lock held -----------------------------------------------------------

    def _unavailable(self, reason: str) -> None:
        if self._available or self._reason != reason:
            log.warning("%s; retrying", reason)
        self._available, self._reason = False, reason
        for port in list(self._devices):
            self._unplug(port)

    def _plug_new(self, listed: list[str]) -> None:
        now = self._clock()
        new = [port for port in listed if port not in self._devices and self._may_open(port, now)]
        if not new:
            return
        plugged = {port: device.name for port, device in self._devices.items()}
        names = assign_names([*self._devices, *new], plugged, self._remembered)
        for port in new:
            self._plug(port, names[port])

    def _may_open(self, port: str, now: float) -> bool:
        failed = self._failed.get(port)
        return failed is None or failed[0] <= now

    def _plug(self, port: str, name: str) -> None:
        device = _Device(port, name, self._gate, self._clock)
        try:
            device.handle = self._backend.open_input(port, device.on_bytes)
        except Exception as e:  # RtMidi's errors, a port gone since the list
            self._open_failed(port, e)
            return
        self._failed.pop(port, None)
        self._devices[port] = device
        self._publish()  # first: the status never lags what the engine knows
        # Anything the port sent while it opened was dropped by the gate: the
        # device was not playable yet. From here on, all of it goes through.
        self._gate.plug(DevicePlugged(self._clock(), device.source, port))
        self._remember(port, name)
        log.info("%s plugged in (%s)", device.source, port, extra={"input": device.source})

    def _unplug(self, port: str) -> None:
        device = self._devices.pop(port)
        self._publish()
        self._gate.unplug(DeviceUnplugged(self._clock(), device.source))
        device.close()
        log.info("%s unplugged (%s)", device.source, device.port, extra={"input": device.source})

    def _open_failed(self, port: str, error: Exception) -> None:
        _, backoff, last = self._failed.get(port, (0.0, Backoff(self._retry_delays), ""))
        reason = str(error) or type(error).__name__
        if reason != last:
            log.warning("MIDI port %r did not open: %s; retrying", port, reason)
        self._failed[port] = (self._clock() + backoff.next(), backoff, reason)

    def _remember(self, port: str, name: str) -> None:
        self._remembered.pop(port, None)
        self._remembered[port] = name  # newest last
        while len(self._remembered) > REMEMBERED_PORTS:
            del self._remembered[next(iter(self._remembered))]

    def _publish(self) -> None:
        self._snapshot = tuple(device.info for device in self._devices.values())


def _backend_name(backend: PortBackend) -> str:
    return str(getattr(backend, "name", type(backend).__name__))
