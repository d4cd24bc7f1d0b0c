"""A MIDI system with virtual devices, for the demo and for a box with no MIDI stack.

It is a :class:`~appliance.inputs.midi_backend.PortBackend`, the narrow
interface :class:`~appliance.inputs.midi.MidiPorts` reads real ports
through, so everything above it runs unchanged: port names become device
names, raw bytes become events, plugging and unplugging are noticed by
``MidiPorts.rescan``. As gpiozero's mock pins fire callbacks on the calling
thread, :meth:`SimulatedMidi.send` hands a device's bytes over on the caller's.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from appliance.inputs.midi_backend import OnBytes


class SimulatedMidi:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plugged: list[str] = []
        self._open: dict[str, OnBytes] = {}

    # -- the PortBackend interface ---------------------------------------------------------

    def input_names(self) -> list[str]:
        with self._lock:
            return list(self._plugged)

    def open_input(self, name: str, on_bytes: OnBytes) -> _Port:
        with self._lock:
            if name not in self._plugged:
                raise OSError(f"no MIDI port {name!r}")
            self._open[name] = on_bytes
        return _Port(self, name)

    def close(self) -> None:
        with self._lock:
            self._open.clear()

    # -- what a person does with devices ------------------------------------------------------

    def plug(self, port: str) -> None:
        with self._lock:
            if port not in self._plugged:
                self._plugged.append(port)

    def unplug(self, port: str) -> None:
        with self._lock:
            if port in self._plugged:
                self._plugged.remove(port)
            self._open.pop(port, None)

    def send(self, port: str, data: Sequence[int]) -> bool:
        """The device sends one message; False if its port is not open."""
        with self._lock:
            on_bytes = self._open.get(port)
        if on_bytes is None:
            return False
        on_bytes(list(data))
        return True

    def _closed(self, name: str) -> None:
        with self._lock:
            self._open.pop(name, None)


class _Port:
    def __init__(self, midi: SimulatedMidi, name: str) -> None:
        self._midi = midi
        self.name = name

    def close(self) -> None:
        self._midi._closed(self.name)
