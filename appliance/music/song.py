"""A familiar song: melody and chords, written once and playable in any key.

:class:`Song` is a song as its file writes it (the format is described in
:mod:`appliance.music.song_text`): notes as semitones from the written
tonic, chords as roots relative to it. :meth:`Song.in_key` places the melody
and chords in any key, at a singing octave, for the sequence mode and
accompaniment to play.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from appliance.errors import MusicError
from appliance.music.key import Key
from appliance.music.notes import (
    MidiNote,
    PitchClass,
    check_midi_note,
)

SEMITONES = 12

MELODY_CENTRE = 67
"""G4: where :meth:`Song.in_key` centres a melody. Children's songs span about
an octave around here, comfortable to sing along with and clear over a loop."""

CHORD_ROOT_OCTAVE_BASE = 48
"""C3: chord roots sit in the octave from here, below the melody."""

IN_MINOR = {4: 3, 9: 8, 11: 10}
"""A major song in a minor key: its third, sixth and seventh a semitone lower
(semitones above the tonic), so it is sung in the natural minor and every
chord and note fits a minor scale's notes: Twinkle as a lament."""


def in_mode(offset: int, minor: bool) -> int:
    """``offset`` semitones above the tonic, moved into the minor if ``minor``."""
    if not minor:
        return offset
    octave, step = divmod(offset, SEMITONES)
    return octave * SEMITONES + IN_MINOR.get(step, step)


class SongError(MusicError):
    """A song file that cannot be read: the message names file, line and fault."""


class ChordQuality(StrEnum):
    """The kinds of chord a song may ask for, and their intervals above the root."""

    MAJOR = "major"
    MINOR = "minor"
    DIMINISHED = "diminished"
    AUGMENTED = "augmented"
    DOMINANT_SEVENTH = "dominant seventh"
    MAJOR_SEVENTH = "major seventh"
    MINOR_SEVENTH = "minor seventh"

    @property
    def intervals(self) -> tuple[int, ...]:
        return _INTERVALS[self]


_INTERVALS = {
    ChordQuality.MAJOR: (0, 4, 7),
    ChordQuality.MINOR: (0, 3, 7),
    ChordQuality.DIMINISHED: (0, 3, 6),
    ChordQuality.AUGMENTED: (0, 4, 8),
    ChordQuality.DOMINANT_SEVENTH: (0, 4, 7, 10),
    ChordQuality.MAJOR_SEVENTH: (0, 4, 7, 11),
    ChordQuality.MINOR_SEVENTH: (0, 3, 7, 10),
}


@dataclass(frozen=True, slots=True)
class Metre:
    """A time signature: ``counts`` of ``unit`` notes to the bar (6/8: six eighths)."""

    counts: int
    unit: int

    def __str__(self) -> str:
        return f"{self.counts}/{self.unit}"


@dataclass(frozen=True, slots=True)
class Chord:
    """A chord relative to the song's tonic, as written (``text``)."""

    root: int  # semitones above the tonic, 0..11
    quality: ChordQuality
    text: str

    def notes(self, tonic: PitchClass, minor: bool = False) -> tuple[MidiNote, ...]:
        """The chord in root position in the octave above C3, for ``tonic``.

        With ``minor``, each of its notes moves as the melody's do (:data:`IN_MINOR`):
        I becomes i, IV iv, V v, vi the major bVI.
        """
        root = CHORD_ROOT_OCTAVE_BASE + (tonic + self.root) % SEMITONES
        return tuple(
            check_midi_note(root + in_mode(self.root + i, minor) - self.root)
            for i in self.quality.intervals
        )


@dataclass(frozen=True, slots=True)
class Note:
    """One melody note (``offset`` semitones from the written tonic) or a rest (None)."""

    offset: int | None
    counts: Fraction
    phrase_end: bool = False


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its notes, and the chords with the count (from 0) each starts on."""

    notes: tuple[Note, ...]
    chords: tuple[tuple[Fraction, Chord], ...]

    @property
    def counts(self) -> Fraction:
        return sum((n.counts for n in self.notes), Fraction(0))


@dataclass(frozen=True, slots=True)
class PlacedNote:
    """A melody note in a key: when (counts from the song's start) and which MIDI note."""

    start: Fraction
    counts: Fraction
    note: MidiNote
    bar: int
    phrase_end: bool
    chord: tuple[MidiNote, ...]  # the chord sounding when this note starts


@dataclass(frozen=True, slots=True)
class PlacedChord:
    """A chord in a key, from ``start`` for ``counts`` (counts from the song's start)."""

    start: Fraction
    counts: Fraction
    notes: tuple[MidiNote, ...]
    text: str


@dataclass(frozen=True, slots=True)
class SongInKey:
    """A song placed in one key: what the sequence mode and accompaniment play."""

    song: Song
    key: Key
    notes: tuple[PlacedNote, ...]
    chords: tuple[PlacedChord, ...]

    @property
    def phrases(self) -> tuple[tuple[PlacedNote, ...], ...]:
        """The melody split at its phrase ends, for a press that plays a phrase."""
        out: list[tuple[PlacedNote, ...]] = []
        current: list[PlacedNote] = []
        for note in self.notes:
            current.append(note)
            if note.phrase_end:
                out.append(tuple(current))
                current = []
        if current:
            out.append(tuple(current))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Song:
    """A familiar song as written: name (its file's stem), header and bars."""

    name: str
    title: str
    key: Key
    metre: Metre
    tempo: int  # counts per minute
    bars: tuple[Bar, ...]

    @property
    def melody(self) -> tuple[Note, ...]:
        """Every note and rest, in order."""
        return tuple(n for bar in self.bars for n in bar.notes)

    def in_key(self, key: Key) -> SongInKey:
        """The song transposed to ``key``'s tonic, the melody centred on G4.

        The tonic's octave is the one that puts the middle of the melody's
        range nearest :data:`MELODY_CENTRE`, so every key sings at much the
        same height instead of jumping an octave between B and C. A song
        written in major is sung in minor in a minor key (:data:`IN_MINOR`).
        """
        minor = key.is_minor and not self.key.is_minor
        offsets = [n.offset for n in self.melody if n.offset is not None]
        middle = Fraction(min(offsets) + max(offsets), 2)
        tonic_note = key.tonic + SEMITONES * round((MELODY_CENTRE - middle - key.tonic) / SEMITONES)
        notes: list[PlacedNote] = []
        chords: list[PlacedChord] = []
        start = Fraction(0)
        chord: tuple[MidiNote, ...] = ()
        for index, bar in enumerate(self.bars):
            changes = dict(bar.chords)
            for written_start, written in bar.chords:
                if chords:
                    last = chords[-1]
                    chords[-1] = PlacedChord(
                        last.start, start + written_start - last.start, last.notes, last.text
                    )
                chords.append(
                    PlacedChord(
                        start + written_start,
                        Fraction(0),
                        written.notes(key.tonic, minor),
                        written.text,
                    )
                )
            at = Fraction(0)
            for note in bar.notes:
                # The chord sounding at this note: the bar's latest change at
                # or before it, or the one carried over from earlier bars.
                earlier = [c for c in changes if c <= at]
                if earlier:
                    chord = changes[max(earlier)].notes(key.tonic, minor)
                if note.offset is not None:
                    midi = check_midi_note(tonic_note + in_mode(note.offset, minor))
                    notes.append(
                        PlacedNote(start + at, note.counts, midi, index, note.phrase_end, chord)
                    )
                elif note.phrase_end and notes:
                    notes[-1] = _ending_phrase(notes[-1])
                at += note.counts
            start += bar.counts
        if chords:
            last = chords[-1]
            chords[-1] = PlacedChord(last.start, start - last.start, last.notes, last.text)
        return SongInKey(self, key, tuple(notes), tuple(chords))


def _ending_phrase(note: PlacedNote) -> PlacedNote:
    return PlacedNote(note.start, note.counts, note.note, note.bar, True, note.chord)
