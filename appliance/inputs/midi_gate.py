"""Where every MIDI device's events pass on their way to the engine.

Each device's port calls back on a thread of its own; the engine takes
events one at a time on its owner thread. The gate sits between them with
one lock and keeps three promises:

* **In order.** A device's ``DevicePlugged`` comes before any of its notes,
  its ``DeviceUnplugged`` after all of them, and nothing of it after that
  (a callback already running when the port closes is dropped here).
* **Notes are never dropped.** Every note-on and note-off is submitted at
  once, whatever else is happening.
* **Controllers go at the engine's pace.** A knob turned fast or a keyboard
  streaming pitch bend can send thousands of messages a second; only the
  latest value of a controller matters. While one controller event (per
  device, channel and controller number, or pitch bend per channel) waits
  for the engine, newer values replace each other here instead of queueing.
  When the engine has acted on it (:meth:`EventGate.taken`, an engine event
  listener), the latest waiting value goes next. A note flushes its device's
  waiting values first, so a controller is never moved across a note (a bend
  reset before the next note sounds bent before it, not after)::

      port      cc1=10  cc1=20  cc1=30  note-on  cc1=40  cc1=50
      submit    cc1=10                  cc1=30   .       .
                                        note-on
      engine          ...busy...  took cc1=10  took 30  took note  took 40
      submit                                   cc1=40 ◄─┘ (pending)   cc1=50

  So however fast a device sends, the engine's queue holds at most one event
  per controller besides the notes: no backlog grows, no latency grows.

Submitting happens with the lock held: ``submit`` (``EngineLoop.submit``)
only puts on a queue and never blocks, and holding the lock keeps the
engine's queue in the order the gate decided.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    Event,
    InputId,
    NoteOff,
    NoteOn,
    PitchBend,
)
from appliance.inputs.midi_messages import MidiEvent

#: Pitch bend's slot among a channel's controllers (controller numbers are 0..127).
_BEND = -1

_Key = tuple[InputId, int, int]  # source, channel, controller number or _BEND
_Controller = ControlChange | PitchBend


def _key(event: _Controller) -> _Key:
    if isinstance(event, ControlChange):
        return (event.source, event.channel, event.control)
    return (event.source, event.channel, _BEND)


class EventGate:
    """See the module docstring. Every method is safe from any thread."""

    def __init__(self, submit: Callable[[Event], None]) -> None:
        self._submit = submit
        self._lock = threading.Lock()
        self._open: set[InputId] = set()
        #: The controller event of each key that the engine has not taken yet.
        self._in_flight: dict[_Key, _Controller] = {}
        #: The newest value of each key that arrived while its event was in flight.
        self._pending: dict[_Key, _Controller] = {}
        #: Controller values replaced by a newer one before the engine took them.
        self.coalesced = 0

    def plug(self, event: DevicePlugged) -> None:
        """Let ``event.source``'s events through from now on, after ``event`` itself."""
        with self._lock:
            self._open.add(event.source)
            self._submit(event)

    def unplug(self, event: DeviceUnplugged) -> None:
        """Submit ``event`` after everything the device sent so far, and nothing after it.

        Its controller values still waiting are dropped: the engine lets go of
        the device when it takes the unplug.
        """
        with self._lock:
            if event.source not in self._open:
                return
            self._open.discard(event.source)
            self._drop(event.source)
            self._submit(event)

    def send(self, event: MidiEvent) -> None:
        """From a device's port: a note at once, a controller at the engine's pace."""
        with self._lock:
            source = event.source
            if source not in self._open:
                return
            if isinstance(event, NoteOn | NoteOff):
                self._flush(source)
                self._submit(event)
                return
            key = _key(event)
            if key in self._in_flight:
                if key in self._pending:
                    self.coalesced += 1
                self._pending[key] = event
                return
            self._in_flight[key] = event
            self._submit(event)

    def taken(self, event: Event) -> None:
        """An engine event listener: the engine has acted on ``event``.

        Called for every event the engine handles, so it returns at once for
        anything that is not a controller this gate is waiting on.
        """
        if not isinstance(event, ControlChange | PitchBend):
            return
        key = _key(event)
        with self._lock:
            if self._in_flight.get(key) is not event:
                return  # a newer value went before a note; that one is awaited
            following = self._pending.pop(key, None)
            if following is None:
                del self._in_flight[key]
                return
            self._in_flight[key] = following
            self._submit(following)

    def waiting(self) -> int:
        """How many controller values are held back now (for tests and benches)."""
        with self._lock:
            return len(self._pending)

    # -- with the lock held -------------------------------------------------------

    def _flush(self, source: InputId) -> None:
        """Submit ``source``'s waiting controller values, oldest key first."""
        if not self._pending:
            return
        for key in [key for key in self._pending if key[0] == source]:
            event = self._pending.pop(key)
            self._in_flight[key] = event
            self._submit(event)

    def _drop(self, source: InputId) -> None:
        for table in (self._pending, self._in_flight):
            for key in [key for key in table if key[0] == source]:
                del table[key]
