"""The immutable events that flow into the engine, and what it sends out.

Every input, whether a GPIO switch, a pad, a beam, a key on a USB-MIDI
keyboard or a scripted line in ``tonic render``, becomes one of these small
frozen values and takes the same path into the engine. Hardware callbacks build one
and hand it over; they never touch musical state themselves.

Times are seconds on the engine's clock: ``time.monotonic()`` on the live
box, the script's own timeline when rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

InputId = NewType("InputId", str)
"""An input as labelled on the box, e.g. ``switch:1`` (numbers count from 1)."""


class InputKind(StrEnum):
    SWITCH = "switch"
    PAD = "pad"
    BEAM = "beam"
    #: A USB-MIDI device, plugged in while the box runs: named, not numbered.
    MIDI = "midi"


_INPUT_ID = re.compile(r"^([a-z]+):([1-9][0-9]*)$")
#: A MIDI device's short name: lower-case letters, digits and single hyphens,
#: as ``appliance/inputs/midi_names.py`` derives it from the port.
_MIDI_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_MIDI_NAME = 32


def input_id(kind: InputKind, number: int) -> InputId:
    return InputId(f"{kind}:{number}")


def midi_input_id(name: str) -> InputId:
    """``midi:<name>`` for a device's short name, or ValueError saying why not."""
    if len(name) > MAX_MIDI_NAME or not _MIDI_NAME.match(name):
        raise ValueError(
            f"'{name[:MAX_MIDI_NAME]}' is not a MIDI device name: lower-case letters, "
            f"digits and single hyphens, at most {MAX_MIDI_NAME}, e.g. midi:keys"
        )
    return InputId(f"{InputKind.MIDI}:{name}")


def is_midi(text: str) -> bool:
    """Whether ``text`` names a MIDI device input (``midi:<name>``)."""
    kind, colon, name = text.partition(":")
    return kind == InputKind.MIDI and bool(colon) and bool(_MIDI_NAME.match(name))


def parse_input_id(text: str) -> tuple[InputKind, int]:
    """Split ``switch:3`` into its kind and number, or raise ValueError."""
    m = _INPUT_ID.match(text)
    if not m:
        raise ValueError(f"'{text}' is not an input name like switch:1")
    try:
        kind = InputKind(m.group(1))
    except ValueError:
        kinds = ", ".join(k.value for k in InputKind)
        raise ValueError(f"unknown input kind '{m.group(1)}' (known: {kinds})") from None
    return kind, int(m.group(2))


@dataclass(frozen=True, slots=True)
class Event:
    """Anything the engine's owner thread acts on."""

    t: float


@dataclass(frozen=True, slots=True)
class Pressed(Event):
    """A client input became active: a switch closed."""

    source: InputId


@dataclass(frozen=True, slots=True)
class Released(Event):
    """A client input became inactive."""

    source: InputId


@dataclass(frozen=True, slots=True)
class BeamReading(Event):
    """One raw ping from an ultrasonic beam, in metres; None when nothing is in it.

    Raw on purpose: smoothing, zoning and hysteresis happen in the engine, so
    a rendered script and the live box treat readings identically.
    """

    source: InputId
    distance: float | None


@dataclass(frozen=True, slots=True)
class NoteOn(Event):
    """A key struck on a keyboard-like input (a MIDI device): which, how hard, where.

    Velocity 0 is not sent as a NoteOn: the port turns it into a NoteOff.
    """

    source: InputId
    note: int  # 0..127
    velocity: int  # 1..127
    channel: int = 0  # the device's MIDI channel, 0..15


@dataclass(frozen=True, slots=True)
class NoteOff(Event):
    source: InputId
    note: int
    channel: int = 0


@dataclass(frozen=True, slots=True)
class ControlChange(Event):
    """A controller on a MIDI device moved (sustain pedal, a knob, a pad)."""

    source: InputId
    control: int  # 0..127
    value: int  # 0..127
    channel: int = 0


@dataclass(frozen=True, slots=True)
class PitchBend(Event):
    source: InputId
    value: int  # -8192..8191, 0 is no bend
    channel: int = 0


@dataclass(frozen=True, slots=True)
class DevicePlugged(Event):
    """A MIDI device appeared: it becomes an input of the engine until unplugged.

    ``role`` is set only by a script's ``plug`` line; a real device takes the
    role its name has in the profile (a new one is a client).
    """

    source: InputId
    port: str = ""  # the port's own name, for the status
    role: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceUnplugged(Event):
    """A MIDI device went away: its sounding notes are released at once."""

    source: InputId


@dataclass(frozen=True, slots=True)
class SetSetting(Event):
    """Change one profile setting by its path, e.g. ``switch:1.mode`` = ``latch``.

    The value is text, exactly as a therapist typed it; the profile schema
    parses and validates it, the same way for scripts and for the control API.
    """

    path: str
    value: str
    source: str = "control"


@dataclass(frozen=True, slots=True)
class InputOffline(Event):
    """A sensor failed or is missing. Its notes are released and the status says why."""

    source: InputId
    reason: str


@dataclass(frozen=True, slots=True)
class InputOnline(Event):
    """A sensor that was offline works again."""

    source: InputId


@dataclass(frozen=True, slots=True)
class InstrumentLevelled(Event):
    """An instrument's level trim has been measured (off the engine's thread)."""

    instrument: str  # its General MIDI name


class BandAction(StrEnum):
    """What the therapist (or a script) asks of the accompaniment."""

    LOOP_START = "loop start"  # ``name``: a loop, or empty for the profile's
    LOOP_STOP = "loop stop"
    SONG_START = "song start"  # ``name``: a song
    SONG_STOP = "song stop"
    TURN_NEXT = "turn next"


@dataclass(frozen=True, slots=True)
class BandCommand(Event):
    """Start or stop the loop or a song, or pass the turn to the next player."""

    action: BandAction
    name: str = ""
    source: str = "control"


@dataclass(frozen=True, slots=True)
class Panic(Event):
    """Silence everything now."""

    source: str = "control"


class SoundKind(StrEnum):
    """Every kind of call the engine makes on the synth: the record is complete,
    so a log of them reproduces the audio (``tonic render --midi``)."""

    NOTE_ON = "note_on"
    NOTE_OFF = "note_off"
    CC = "cc"  # every controller: level trims (CC7), expression, resets, RPNs
    PROGRAM = "program"  # ``bank`` and ``value`` (the program number)
    PITCH_BEND = "pitch_bend"  # ``value`` -8192..8191
    ALL_NOTES_OFF = "all_notes_off"  # ``channel`` None means every channel
    ALL_SOUNDS_OFF = "all_sounds_off"  # voices cut at once; ``channel`` None: every one
    RESET = "reset"  # the GS Reset: voices, controllers, programs and effects reset
    GAIN = "gain"  # FluidSynth's master gain (``gain``), which MIDI cannot carry


@dataclass(frozen=True, slots=True)
class SoundEvent:
    """One call the engine made on the synth, for the event log and listeners."""

    t: float
    type: SoundKind
    channel: int | None
    source: str
    note: int | None = None
    velocity: int | None = None
    value: int | None = None
    instrument: str | None = None
    control: int | None = None
    bank: int | None = None
    gain: float | None = None

    def as_json(self) -> dict[str, object]:
        """The events-JSONL object: fields that do not apply are left out."""
        out: dict[str, object] = {"t": round(self.t, 6), "type": self.type.value}
        if self.channel is not None:
            out["channel"] = self.channel
        for name in ("note", "velocity", "control", "value", "bank", "gain", "instrument"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        out["source"] = self.source
        return out
