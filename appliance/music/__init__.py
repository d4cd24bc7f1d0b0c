"""Music theory for Tonic: note names, scales, keys and chords.

Everything here is a pure function or an immutable value, so it can be used
from any thread (input handlers, the sound engine, the UI) without locking.
"""

from __future__ import annotations

from appliance.music.chords import ChordShape, chord_on, seventh, triad
from appliance.music.key import Key
from appliance.music.notes import (
    MidiNote,
    PitchClass,
    midi_to_note,
    note_to_midi,
    parse_pitch_class,
)
from appliance.music.scales import SCALES, Scale, scale_named, scale_names

__all__ = [
    "SCALES",
    "ChordShape",
    "Key",
    "MidiNote",
    "PitchClass",
    "Scale",
    "chord_on",
    "midi_to_note",
    "note_to_midi",
    "parse_pitch_class",
    "scale_named",
    "scale_names",
    "seventh",
    "triad",
]
