"""Chords built by stacking every other note of a key's scale.

Stacking alternate scale notes (degrees d, d+2, d+4, and d+6 for a seventh)
gives the familiar diatonic triads and sevenths in seven-note scales. In
other scales (pentatonic, blues, whole tone, chromatic) the same rule still
applies, so the chords sound different from textbook chords, but every chord
note is always a note of the scale. That guarantee matters more on the box
than harmonic orthodoxy: a client pressing any pad can never sound a note
outside the key the therapist chose.
"""

from __future__ import annotations

from enum import StrEnum

from appliance.errors import MusicError
from appliance.music.key import Key
from appliance.music.notes import MidiNote


class ChordShape(StrEnum):
    """How many stacked scale notes make up a chord."""

    TRIAD = "triad"
    SEVENTH = "seventh"


_NOTE_COUNT = {ChordShape.TRIAD: 3, ChordShape.SEVENTH: 4}


def chord_on(
    key: Key, degree: int, octave: int, shape: ChordShape = ChordShape.TRIAD
) -> tuple[MidiNote, ...]:
    """The chord rooted on 1-based scale ``degree`` of ``key``, in ascending order.

    The root is ``key.degree_to_note(degree, octave)``; the other notes are
    the scale notes two, four (and, for a seventh, six) degrees above it,
    wrapping into the next octave as needed. Raises :class:`MusicError` if
    any chord note would fall outside MIDI 0..127.
    """
    try:
        count = _NOTE_COUNT[ChordShape(shape)]
    except ValueError:
        choices = ", ".join(ChordShape)
        raise MusicError(f"unknown chord shape {shape!r}; choose one of: {choices}") from None
    # degree_to_note rises strictly with the degree, so the tuple is ascending.
    return tuple(key.degree_to_note(degree + 2 * step, octave) for step in range(count))


def triad(key: Key, degree: int, octave: int) -> tuple[MidiNote, ...]:
    """Three-note chord on ``degree``; see :func:`chord_on`."""
    return chord_on(key, degree, octave, ChordShape.TRIAD)


def seventh(key: Key, degree: int, octave: int) -> tuple[MidiNote, ...]:
    """Four-note chord on ``degree``; see :func:`chord_on`."""
    return chord_on(key, degree, octave, ChordShape.SEVENTH)
