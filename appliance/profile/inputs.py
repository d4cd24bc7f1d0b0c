"""Per-input settings, one dataclass per kind of input.

Field names are stable: they are the TOML keys, the ``set <input>.<field>``
names in scripts and the control API, and the names in error messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from appliance.events import InputId, InputKind, is_midi, parse_input_id
from appliance.music.songs import UnknownSongError, song_named, song_names
from appliance.profile.fields import Named, in_range, setting
from appliance.sound.instruments import instrument_for


class PlayMode(StrEnum):
    """How a switch's or pad's presses turn into notes."""

    NOTE = "note"  # press = note on, release = note off
    LATCH = "latch"  # a press toggles a sustained note
    CHORD = "chord"  # press plays the triad on the input's degree; release stops it
    SEQUENCE = "sequence"  # each press steps through a familiar song (engine/song_steps.py)
    CHOICE = "choice"  # a press chooses a song or loop for the band to play (engine/band.py)


class SequenceStep(StrEnum):
    """How far one press moves through the song in sequence mode."""

    NOTE = "note"  # the next melody note, held while pressed
    PHRASE = "phrase"  # the next whole phrase, played in time at the song's tempo


class SongEnd(StrEnum):
    """What a press does once the song in sequence mode has ended."""

    RESTART = "restart"  # the next press starts the song again
    STOP = "stop"  # presses stay silent until the song or mode is set again


class BeamMode(StrEnum):
    ZONES = "zones"  # the range is split into zones, each a scale note
    EXPRESSION = "expression"  # distance shapes one sustained sound
    TRIGGER = "trigger"  # breaking the beam closer than trigger_m is a press


class Expression(StrEnum):
    """What distance controls in expression mode."""

    VOLUME = "volume"  # MIDI expression (CC11): nearer is louder
    PITCH = "pitch"  # pitch bend, snapped to the scale's notes
    CUTOFF = "cutoff"  # filter cutoff (CC74): nearer is brighter


class MidiRole(StrEnum):
    """What a USB-MIDI device is for in this client's sessions."""

    CLIENT = "client"  # notes lock to the harmony, with access settings and a velocity curve
    THERAPIST = "therapist"  # notes play through unchanged; sustain and bend work
    CONTROLLER = "controller"  # notes and controllers drive the box (panic, volume, key)


class VelocityCurve(StrEnum):
    """How hard a client's keys sound."""

    FIXED = "fixed"  # always the device's velocity setting: any touch is heard the same
    GENTLE = "gentle"  # softened toward the velocity setting: light and heavy touches even out
    FULL = "full"  # as struck


@dataclass(frozen=True, slots=True)
class Access:
    """The timing half of a client input's settings, in seconds, as the
    engine's access filter uses them (see appliance/engine/access.py)."""

    accept_s: float = 0.0
    release_s: float = 0.0
    lockout_s: float = 0.0


def _instrument(name: str) -> str:
    try:
        instrument_for(name)
    except LookupError as e:  # keep its did-you-mean, but report it as a bad value
        raise ValueError(str(e)) from None
    return name


def _choice(name: str) -> str:
    """A song's or a loop's name, as listed; empty means the input's song."""
    if not name.strip():
        return ""
    from appliance.music.loops import UnknownLoopError, loop_named  # loaded on first use

    try:
        return song_named(name).name
    except UnknownSongError:
        pass
    try:
        return loop_named(name).name
    except UnknownLoopError:
        raise ValueError(
            f"no song or loop named {name!r}; `tonic songs` and `tonic loops` list them"
        ) from None


def _song(name: str) -> str:
    try:
        return song_named(name).name  # stored as `tonic songs` prints it
    except UnknownSongError as e:  # keep its did-you-mean, but report it as a bad value
        raise ValueError(str(e)) from None


def _choice_names() -> tuple[str, ...]:
    from appliance.music.loops import loop_names

    return ("", *song_names(), *loop_names())


#: The song a switch or pad steps through in sequence mode until one is chosen:
#: the tune most clients already know.
DEFAULT_SONG = "twinkle_twinkle"


# Fields shared by several kinds, declared once.
def _mode() -> Any:
    return setting(PlayMode.NOTE, PlayMode, "note, latch, chord, sequence or choice")


def _degree() -> Any:
    return setting(1, int, "scale degree, 1 = the key note", in_range(1, 36))


def _octave() -> Any:
    return setting(4, int, "octave of degree 1 (4 = middle C's)", in_range(1, 7))


def _velocity(default: int = 100) -> Any:
    return setting(default, int, "how hard the note is struck, 1..127", in_range(1, 127))


def _accept_ms() -> Any:
    return setting(0, int, "dwell: contact must last this long to count", in_range(0, 5000))


def _release_ms() -> Any:
    return setting(0, int, "a gap must last this long to end the note", in_range(0, 5000))


def _lockout_ms() -> Any:
    # 30 ms outlasts the bounce of any mechanical switch, and no client
    # means to press more than 30 times a second.
    return setting(30, int, "ignore further edges this long after a press", in_range(0, 5000))


def _max_note_s() -> Any:
    # Long enough for any phrase; short enough that a switch left pressed
    # (or a forgotten latch) does not drone through the session.
    return setting(30.0, float, "longest a note may sound; 0 = no limit", in_range(0, 3600))


#: Turn-taking's players (engine/turns.py): a handful around one therapist.
MAX_PLAYERS = 8


def _player() -> Any:
    return setting(
        0, int, f"turn-taking: player 1..{MAX_PLAYERS}; 0 = always sounds", in_range(0, MAX_PLAYERS)
    )


class _Timed:
    """The access timing of an input's settings, in the engine's terms."""

    __slots__ = ()
    accept_ms: int
    release_ms: int
    lockout_ms: int

    @property
    def access(self) -> Access:
        return Access(self.accept_ms / 1000, self.release_ms / 1000, self.lockout_ms / 1000)


@dataclass(frozen=True, slots=True)
class ContactSettings(_Timed):
    """What every contact input has: a switch or a pad is pressed and released."""

    mode: PlayMode = _mode()
    instrument: str = setting("marimba", str, "General MIDI name or number", _instrument)
    degree: int = _degree()
    octave: int = _octave()
    velocity: int = _velocity()
    accept_ms: int = _accept_ms()
    release_ms: int = _release_ms()
    lockout_ms: int = _lockout_ms()
    max_note_s: float = _max_note_s()
    player: int = _player()
    song: str = setting(
        DEFAULT_SONG, str, "sequence mode: a name from `tonic songs`", Named(_song, song_names)
    )
    step: SequenceStep = setting(
        SequenceStep.NOTE, SequenceStep, "sequence mode: a press plays the next note or phrase"
    )
    at_end: SongEnd = setting(
        SongEnd.RESTART, SongEnd, "sequence mode, after the last note: restart or stop"
    )
    accompany: bool = setting(True, bool, "sequence mode: the song's chords sound softly under it")
    choice: str = setting(
        "",
        str,
        "choice mode: a song or loop the press chooses; empty: the song above",
        Named(_choice, _choice_names),
    )


@dataclass(frozen=True, slots=True)
class SwitchSettings(ContactSettings):
    """One big accessibility switch."""


@dataclass(frozen=True, slots=True)
class PadSettings(ContactSettings):
    """One capacitive pad (an MPR121 electrode)."""

    instrument: str = setting("kalimba", str, "General MIDI name or number", _instrument)
    # The MPR121's own comparison of filtered data against its baseline.
    # Lower touch thresholds suit weak contact (a light finger, a foot through
    # a sock); higher ones suit large conductive objects (fruit, foil panels).
    touch_threshold: int = setting(12, int, "counts below baseline for a touch", in_range(1, 255))
    release_threshold: int = setting(
        6, int, "counts below baseline to stay touched", in_range(0, 254)
    )


@dataclass(frozen=True, slots=True)
class BeamSettings(_Timed):
    """One ultrasonic beam. Distances in metres from the sensor."""

    mode: BeamMode = setting(BeamMode.ZONES, BeamMode, "zones, expression or trigger")
    instrument: str = setting("celesta", str, "General MIDI name or number", _instrument)
    near: float = setting(0.15, float, "nearest playing distance", in_range(0.02, 4.0))
    far: float = setting(1.0, float, "farthest playing distance", in_range(0.05, 4.0))
    zones: int = setting(8, int, "zones across the range (zones mode)", in_range(2, 16))
    hysteresis_m: float = setting(
        0.02, float, "how far past a zone edge a hand must go to change note", in_range(0, 0.2)
    )
    degree: int = _degree()
    octave: int = _octave()
    velocity: int = _velocity()
    expression: Expression = setting(Expression.VOLUME, Expression, "volume, pitch or cutoff")
    trigger_m: float = setting(
        0.3, float, "closer than this is a press (trigger mode)", in_range(0.02, 4.0)
    )
    confirm_ms: int = setting(
        100, int, "longest a lone reading waits when the pings stop", in_range(0, 500)
    )
    accept_ms: int = _accept_ms()
    release_ms: int = _release_ms()
    lockout_ms: int = _lockout_ms()
    max_note_s: float = _max_note_s()
    player: int = _player()


#: A generic pad controller's first eight pads (notes 36-43, as most send them
#: on their first bank) and its first fader: what a controller does by default.
DEFAULT_ACTIONS = (
    "note36=panic note37=volume_down note38=volume_up note39=key_down "
    "note40=key_up note41=next_scale cc7=volume"
)


def _actions(text: str) -> str:
    from appliance.profile.actions import parse_actions  # the one place actions are read

    parse_actions(text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class MidiSettings(_Timed):
    """A USB-MIDI device, remembered by its short name (``midi:keys``)."""

    role: MidiRole = setting(MidiRole.CLIENT, MidiRole, "client, therapist or controller")
    instrument: str = setting(
        "acoustic_grand_piano", str, "General MIDI name or number", _instrument
    )
    velocity_curve: VelocityCurve = setting(
        VelocityCurve.GENTLE, VelocityCurve, "a client's touch: fixed, gentle or full"
    )
    velocity: int = _velocity()
    actions: str = setting(
        DEFAULT_ACTIONS, str, "a controller's keys and knobs: note36=panic cc7=volume ...", _actions
    )
    accept_ms: int = _accept_ms()
    release_ms: int = _release_ms()
    lockout_ms: int = _lockout_ms()
    max_note_s: float = _max_note_s()
    player: int = _player()


#: The settings type for each kind of input.
SETTINGS_FOR_KIND: Mapping[InputKind, type] = MappingProxyType(
    {
        InputKind.SWITCH: SwitchSettings,
        InputKind.PAD: PadSettings,
        InputKind.BEAM: BeamSettings,
        InputKind.MIDI: MidiSettings,
    }
)


def default_settings(iid: InputId) -> Any:
    """Settings for an input the profile does not mention: its number as its degree,
    so unconfigured switches and pads still play distinct, rising notes; a MIDI
    device never seen before is a client."""
    if is_midi(iid):
        return MidiSettings()
    kind, number = parse_input_id(iid)
    settings_type = SETTINGS_FOR_KIND[kind]
    return settings_type() if kind is InputKind.BEAM else settings_type(degree=number)
