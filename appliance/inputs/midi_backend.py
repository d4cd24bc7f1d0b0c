"""The MIDI system behind a narrow interface: list the input ports, open one.

:class:`MidoBackend` is the real one: mido on python-rtmidi, on ALSA's
sequencer (the Pi) or on JACK (the tests), chosen the way mido chooses
(``MIDO_BACKEND``, or ``mido.set_backend('mido.backends.rtmidi/UNIX_JACK')``).
Two things differ from calling mido directly, each measured:

* **Listing keeps one client.** ``mido.get_input_names()`` creates and
  deletes two RtMidi clients per call: 9 ms of CPU (55 ms of wall time) on
  JACK, and on ALSA a sequencer client born and killed, announced to every
  other client, once a second. One RtMidi input kept open for listing answers
  ``get_ports()`` in 0.02 ms, and the port list it reads is always current.
  On JACK, every client is woken every period whether MIDI comes or not
  (375 times a second at 128 frames, about 0.3 % CPU each here), so while a
  device's port is open the list is read through that port's client and the
  listing client is let go. On ALSA an idle client costs nothing, and a
  port's client is busy reading events from its handle: the listing client stays.
* **The port hands over bytes.** An opened port calls ``on_bytes`` with each
  message's bytes, on the port's own thread, instead of a ``mido.Message``:
  :mod:`appliance.inputs.midi_messages` drops most of a flood by its first
  byte, before any object is built.

With no MIDI system (no ``/dev/snd/seq``, no JACK server), listing raises
:class:`MidiUnavailable` with a reason a therapist can read; nothing else does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import mido

from appliance.errors import TonicError

log = logging.getLogger(__name__)

#: The device the ALSA sequencer lives at: missing when the kernel has no
#: sequencer (the snd-seq module is not loaded, or no sound support at all).
ALSA_SEQUENCER = Path("/dev/snd/seq")
#: mido's module for python-rtmidi, the only one whose ports can hand over bytes.
RTMIDI_MODULE = "mido.backends.rtmidi"
NO_ALSA = "no MIDI: the ALSA sequencer is not available"
NO_JACK = "no MIDI: the JACK server is not running"

OnBytes = Callable[[list[int]], None]


class MidiUnavailable(TonicError, OSError):
    """There is no MIDI system to list or open ports on; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OpenPort(Protocol):
    def close(self) -> None: ...


class PortBackend(Protocol):
    """What :class:`~appliance.inputs.midi.MidiPorts` needs of a MIDI system."""

    def input_names(self) -> list[str]:
        """The input ports now, or :class:`MidiUnavailable`."""
        ...

    def open_input(self, name: str, on_bytes: OnBytes) -> OpenPort:
        """Open port ``name``; ``on_bytes`` gets each message, on the port's thread."""
        ...

    def close(self) -> None: ...


class MidoBackend:
    """mido's current backend (or ``backend``), as a :class:`PortBackend`."""

    def __init__(
        self, backend: mido.Backend | str | None = None, *, alsa_sequencer: Path = ALSA_SEQUENCER
    ) -> None:
        if isinstance(backend, str):
            backend = mido.Backend(backend)
        #: A ``mido.Backend`` (mido ships no type hints).
        self.backend: Any = mido.backend if backend is None else backend
        self._alsa_sequencer = alsa_sequencer
        self._lister: Any = None  # an rtmidi.MidiIn kept for listing, once it opened
        self._input_class: Any = None
        self._opened: list[Any] = []  # the ports opened here (JACK lists through them)

    @property
    def name(self) -> str:
        """e.g. ``mido.backends.rtmidi/UNIX_JACK``, for logs and the status."""
        return str(self.backend.name) + (f"/{self.backend.api}" if self.backend.api else "")

    def input_names(self) -> list[str]:
        if self.backend.name != RTMIDI_MODULE:
            try:
                return list(self.backend.get_input_names())
            except Exception as e:  # any backend's own error: no ports for now
                raise MidiUnavailable(f"no MIDI: {e}") from e
        api = self._api()
        if api == "UNIX_JACK":
            self._opened = [port for port in self._opened if not port.closed]
        try:
            if self._opened:
                self._drop_lister()
                return self._opened[0].port_names()
            if self._lister is None:
                self._lister = self._open_lister()
            return list(self._lister.get_ports())
        except MidiUnavailable:
            raise
        except Exception as e:  # the MIDI system went away under the client
            self._drop_lister()
            raise MidiUnavailable(_reason(e, api)) from e

    def open_input(self, name: str, on_bytes: OnBytes) -> OpenPort:
        if self.backend.name != RTMIDI_MODULE:
            # Another backend delivers messages; their bytes take the same path.
            port: OpenPort = self.backend.open_input(
                name, callback=lambda message: on_bytes(message.bytes())
            )
            return port
        if self._input_class is None:
            self._input_class = _bytes_input(self.backend.module.Input)
        api = self._api()
        opened = self._input_class(name, api=api, callback=on_bytes)
        if api == "UNIX_JACK":
            self._opened.append(opened)
        return opened

    def close(self) -> None:
        self._opened.clear()
        self._drop_lister()

    # -- python-rtmidi ------------------------------------------------------------------

    def _api(self) -> str:
        """The RtMidi API by name. mido's default (None) would let RtMidi pick one
        per client, and an ALSA with no ports yet would make it pick JACK."""
        if self.backend.api:
            return str(self.backend.api)
        import rtmidi

        compiled = rtmidi.get_compiled_api()
        if sys.platform.startswith("linux") and rtmidi.API_LINUX_ALSA in compiled:
            return "LINUX_ALSA"
        names = {getattr(rtmidi, n): n.removeprefix("API_") for n in dir(rtmidi) if n[:4] == "API_"}
        return names[compiled[0]] if compiled else "UNSPECIFIED"

    def _open_lister(self) -> Any:
        import rtmidi

        api = self._api()
        if api == "LINUX_ALSA" and not self._alsa_sequencer.exists():
            # Asking RtMidi would say the same, and alsa-lib would print an
            # error on stderr at every retry.
            raise MidiUnavailable(NO_ALSA)
        try:
            return rtmidi.MidiIn(rtapi=getattr(rtmidi, f"API_{api}"), name="Tonic port list")
        except Exception as e:  # RtMidi's SystemError: no sequencer, no server
            raise MidiUnavailable(_reason(e, api)) from e

    def _drop_lister(self) -> None:
        lister, self._lister = self._lister, None
        if lister is not None:
            try:
                lister.delete()
            except Exception as e:  # already gone with the MIDI system
                log.debug("MIDI: the port list's client: %s", e)


def _reason(error: BaseException, api: str) -> str:
    text = str(error)
    if "ALSA" in text or api == "LINUX_ALSA":
        return NO_ALSA
    if "JACK" in text or api == "UNIX_JACK":
        return NO_JACK
    return f"no MIDI: {text or type(error).__name__}"


def _bytes_input(base: type) -> type:
    """mido's python-rtmidi input, handing each message's bytes to its callback.

    mido's own wrapper parses every message into a ``mido.Message`` and drops
    the ones it cannot parse without a word; this one leaves both to the box.
    ``_callback_wrapper`` is the single method RtMidi calls for a message.
    RtMidi is also asked to drop SysEx, clock and active sensing itself, in
    C, before Python is woken for them: a keyboard sending clock sends 48
    messages a second at 120 bpm, all session long, and none matters here.
    """

    class BytesInput(base):
        def _open(self, **kwargs: Any) -> None:
            super()._open(**kwargs)
            self._rt.ignore_types(sysex=True, timing=True, active_sense=True)

        def port_names(self) -> list[str]:
            """Every input port there is, read through this port's own client."""
            return list(self._rt.get_ports())

        def _callback_wrapper(self, msg_data: tuple[list[int], float], data: object) -> None:
            callback = self._callback  # None while the port closes
            if callback is not None:
                callback(msg_data[0])

    return BytesInput
