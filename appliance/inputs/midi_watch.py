"""How the box learns that a MIDI device was plugged in or pulled out.

A watcher only says *when to look*: :class:`~appliance.inputs.midi.MidiPorts`
lists the ports each time :meth:`PortWatcher.wait` returns and compares.
That keeps one code path for every way of being told, and a watcher that
wakes for nothing costs one list of the ports (0.02 ms).

:class:`PollingWatcher` is the one that always works: it sleeps in
``Event.wait`` for :data:`POLL_INTERVAL_S` between looks, so an idle box
wakes once a second for a fraction of a millisecond, and a device is
playable at most a second after it is plugged in::

      device     ____/‾‾‾‾plugged‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾‾\\________/‾‾‾‾‾‾‾‾
      look       |         |         |         |         |         |
      events          DevicePlugged            DeviceUnplugged  DevicePlugged
                 ◄── 1 s ─►

Its one blind spot: a device pulled out and plugged in again between two
looks, on a port of the same name, is not seen to go. Where the MIDI system
can announce changes (the ALSA sequencer's announce port through the
``alsa-midi`` package, or udev's ``sound`` events through ``pyudev``), a
watcher that returns on each announcement has none; neither package nor a
sequencer exists on the build machine, so only the poller is here.
"""

from __future__ import annotations

import threading
from typing import Protocol

#: How long a plugged device may wait to be seen: the issue's "playable within
#: 1 s", and one look a second is nothing for an idle box.
POLL_INTERVAL_S = 1.0


class PortWatcher(Protocol):
    """Wakes the ports' thread when the list of ports may have changed."""

    def wait(self) -> None:
        """Return when the port list may have changed, or :meth:`wake` was called."""
        ...

    def wake(self) -> None:
        """Make :meth:`wait` return now (a rescan was asked for, or the box stops)."""
        ...

    def close(self) -> None: ...


class PollingWatcher:
    """Say "look" every ``interval`` seconds; see the module docstring."""

    def __init__(self, interval: float = POLL_INTERVAL_S) -> None:
        if not interval > 0:
            raise ValueError(f"the poll interval must be positive, got {interval}")
        self.interval = interval
        self._woken = threading.Event()

    def wait(self) -> None:
        self._woken.wait(self.interval)
        self._woken.clear()

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        self._woken.set()
