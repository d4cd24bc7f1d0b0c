"""Note names, pitch classes and MIDI note numbers.

Therapists type note names ("F#3", "Bb"); the synth speaks MIDI numbers.
This module is the only place that translates between the two, so every
other module can work with plain integers and trust they are in range.

Octaves follow scientific pitch notation with middle C = C4 = MIDI 60, which
puts C-1 at MIDI 0 and G9 at MIDI 127 (the whole MIDI range).
"""

from __future__ import annotations

import operator
import re
from typing import NewType

from appliance.errors import MusicError

MidiNote = NewType("MidiNote", int)
"""A MIDI note number, always within 0..127."""

PitchClass = NewType("PitchClass", int)
"""A note without its octave: 0 = C, 1 = C#/Db, ... 11 = B."""

MIDI_MIN = 0
MIDI_MAX = 127

_LETTER_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Unicode signs are accepted because they are what people paste from
# sheet-music software and web pages.
_SHARP_SIGNS = "#♯"
_FLAT_SIGNS = "b♭"

_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")

# One letter, then at most two accidentals of one kind (so "C##" and "Dbb"
# work, but a self-cancelling "C#b" is rejected as a likely typo).
_PITCH_RE = re.compile(r"([A-Ga-g])([#♯]{0,2}|[b♭]{0,2})")
_NOTE_RE = re.compile(r"([A-Ga-g])([#♯]{0,2}|[b♭]{0,2})(-?[0-9]+)")

_PITCH_HELP = "expected a letter A-G, optionally followed by # or b (e.g. C, F#, Bb)"
_NOTE_HELP = "expected a letter A-G, optionally # or b, then an octave number (e.g. C4, F#3, Bb-1)"


def _as_int(value: int, what: str) -> int:
    """Accept any integer-like value (numpy ints included) but not bool or float.

    ``True`` is an int to Python, but a caller passing it as a note has a bug.
    """
    if isinstance(value, bool):
        raise MusicError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise MusicError(f"{what} must be an integer, got {value!r}") from None


def check_midi_note(n: int) -> MidiNote:
    """Return ``n`` as a :data:`MidiNote`, or raise :class:`MusicError` if out of range."""
    value = _as_int(n, "MIDI note")
    if not MIDI_MIN <= value <= MIDI_MAX:
        raise MusicError(f"MIDI note must be in range {MIDI_MIN}..{MIDI_MAX}, got {value}")
    return MidiNote(value)


def check_pitch_class(pc: int) -> PitchClass:
    """Return ``pc`` as a :data:`PitchClass`, or raise :class:`MusicError` if not 0..11.

    Out-of-range pitch classes are rejected rather than wrapped: a tonic of 14
    almost always means a MIDI number was passed where a pitch class belongs.
    """
    value = _as_int(pc, "pitch class")
    if not 0 <= value <= 11:
        raise MusicError(f"pitch class must be in range 0..11 (0 = C), got {value}")
    return PitchClass(value)


def _semitone_offset(letter: str, accidentals: str) -> int:
    """Semitones above C of the same octave; may be -1 (Cb) or 12 (B#)."""
    shift = sum(1 if sign in _SHARP_SIGNS else -1 for sign in accidentals)
    return _LETTER_SEMITONES[letter.upper()] + shift


def parse_pitch_class(name: str) -> PitchClass:
    """Parse a note name without octave ("C", "f#", "Bb", "B#", "E♭") to a pitch class.

    Enharmonic spellings wrap around the octave: "B#" is 0 and "Cb" is 11.
    """
    text = name.strip() if isinstance(name, str) else name
    match = _PITCH_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise MusicError(f"unknown note name {name!r}: {_PITCH_HELP}")
    return PitchClass(_semitone_offset(match[1], match[2]) % 12)


def note_to_midi(name: str) -> MidiNote:
    """Parse a note name with octave ("C4", "F#3", "Bb-1") to a MIDI note number.

    Accidentals move the pitch across octave boundaries as written, so
    "B#3" is 60 (the same key as C4) and "Cb4" is 59.
    """
    text = name.strip() if isinstance(name, str) else name
    match = _NOTE_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise MusicError(f"unknown note {name!r}: {_NOTE_HELP}")
    octave = int(match[3])
    value = 12 * (octave + 1) + _semitone_offset(match[1], match[2])
    if not MIDI_MIN <= value <= MIDI_MAX:
        raise MusicError(
            f"note {text!r} is MIDI {value}, outside the MIDI range "
            f"{MIDI_MIN}..{MIDI_MAX} (C-1..G9)"
        )
    return MidiNote(value)


def pitch_class_name(pc: int, *, prefer_flats: bool = False) -> str:
    """Name a pitch class: 1 is "C#", or "Db" with ``prefer_flats``."""
    names = _FLAT_NAMES if prefer_flats else _SHARP_NAMES
    return names[check_pitch_class(pc)]


def midi_to_note(note: int, *, prefer_flats: bool = False) -> str:
    """Name a MIDI note: 61 is "C#4", or "Db4" with ``prefer_flats``."""
    value = check_midi_note(note)
    octave, pc = divmod(value, 12)
    return f"{pitch_class_name(pc, prefer_flats=prefer_flats)}{octave - 1}"
