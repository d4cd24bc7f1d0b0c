"""A familiar song: melody and chords, written once and playable in any key.

Songs live in the package as small text files a therapist can read and add
to, one song a file (``appliance/songs/twinkle_twinkle.song``)::

    # Twinkle Twinkle Little Star: traditional, public domain.
    title: Twinkle Twinkle Little Star
    key: C major
    metre: 4/4
    tempo: 100

    | [I] C4 C4 G4 G4 | [IV] A4 A4 [I] G4:2 | [IV] F4 F4 [I] E4 E4 | [V] D4 D4 [I] C4:2 |

* A note is a name with its octave (middle C is ``C4``) in the key the song
  is written in; ``r`` is a rest. ``:2``, ``:1/2`` or ``:3/4`` after it gives
  its length in counts of the metre (quarter notes in 4/4, eighths in 6/8);
  without it a note lasts one count.
* ``[I]``, ``[V7]``, ``[ii]``, ``[bVII]`` (Roman numerals) or ``[G7]``,
  ``[Am]`` (chord names in the written key) change the chord from that
  point on; a bar with no chord keeps the one sounding.
* ``|`` marks bar lines. Every bar is full, except that the first may be a
  pickup and the last may be short to make up for it, as in sheet music.
* Each melody line is one phrase: the last note of a line ends a phrase.
* ``#`` starts a comment.

:meth:`Song.in_key` places the melody and chords in any key, at a singing
octave, for the sequence mode and accompaniment to play.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from appliance.errors import MusicError
from appliance.music.key import Key
from appliance.music.notes import (
    MidiNote,
    PitchClass,
    check_midi_note,
    note_to_midi,
    parse_pitch_class,
)
from appliance.music.scales import scale_named

SEMITONES = 12

MELODY_CENTRE = 67
"""G4: where :meth:`Song.in_key` centres a melody. Children's songs span about
an octave around here, comfortable to sing along with and clear over a loop."""

CHORD_ROOT_OCTAVE_BASE = 48
"""C3: chord roots sit in the octave from here, below the melody."""

HEADER_FIELDS = ("title", "key", "metre", "tempo")

TEMPO_RANGE = (20, 240)
"""Counts per minute a song file may ask for: anything outside is a typo."""

_METRE_RE = re.compile(r"([1-9][0-9]?)/(1|2|4|8|16)")
_LENGTH_RE = re.compile(r"([0-9]+)(?:/([1-9][0-9]*))?|([0-9]*\.[0-9]+)")
_ROMAN_RE = re.compile(r"([b#]?)(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)(°|o|\+)?(maj7|7)?")
_NAME_RE = re.compile(r"([A-G][#b]?)(m|dim|aug|\+)?(maj7|7)?")
_ROMAN_DEGREES = ("i", "ii", "iii", "iv", "v", "vi", "vii")
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)


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

    def notes(self, tonic: PitchClass) -> tuple[MidiNote, ...]:
        """The chord in root position in the octave above C3, for ``tonic``."""
        root = CHORD_ROOT_OCTAVE_BASE + (tonic + self.root) % SEMITONES
        return tuple(check_midi_note(root + i) for i in self.quality.intervals)


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
        same height instead of jumping an octave between B and C.
        """
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
                        start + written_start, Fraction(0), written.notes(key.tonic), written.text
                    )
                )
            at = Fraction(0)
            for note in bar.notes:
                # The chord sounding at this note: the bar's latest change at
                # or before it, or the one carried over from earlier bars.
                earlier = [c for c in changes if c <= at]
                if earlier:
                    chord = changes[max(earlier)].notes(key.tonic)
                if note.offset is not None:
                    midi = check_midi_note(tonic_note + note.offset)
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


def parse_song(text: str, *, name: str, origin: str) -> Song:
    """Parse a song file's text; ``origin`` (its path) names it in every error."""
    header: dict[str, tuple[int, str]] = {}
    bar_lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("|"):
            bar_lines.append((number, line))
            continue
        field, colon, value = line.partition(":")
        field = field.strip().lower()
        if not colon or field not in HEADER_FIELDS:
            raise SongError(
                f"{origin}:{number}: expected a header line ({', '.join(HEADER_FIELDS)}: ...) "
                f"or a line of bars starting with '|', got {line!r}"
            )
        if bar_lines:
            raise SongError(f"{origin}:{number}: header line {field!r} after the bars")
        if field in header:
            raise SongError(f"{origin}:{number}: {field!r} given twice")
        header[field] = (number, value.strip())
    for field in HEADER_FIELDS:
        if field not in header:
            raise SongError(f"{origin}: no {field!r} line in the header")
    key = _parse_key(*header["key"], origin)
    metre = _parse_metre(*header["metre"], origin)
    tempo = _parse_tempo(*header["tempo"], origin)
    title = header["title"][1]
    if not title:
        raise SongError(f"{origin}:{header['title'][0]}: the title is empty")
    if not bar_lines:
        raise SongError(f"{origin}: no bars (lines starting with '|')")
    tonic_c4 = note_to_midi("C4") + key.tonic
    bars: list[tuple[int, Bar]] = []
    for number, line in bar_lines:
        bars.extend((number, bar) for bar in _parse_line(line, number, origin, tonic_c4))
    _check_lengths(bars, metre, origin)
    if not bars[0][1].chords or bars[0][1].chords[0][0] != 0:
        raise SongError(f"{origin}:{bars[0][0]}: the first bar must start with a chord, e.g. [I]")
    if not any(n.offset is not None for _, bar in bars for n in bar.notes):
        raise SongError(f"{origin}: the song has no notes, only rests")
    return Song(name, title, key, metre, tempo, tuple(bar for _, bar in bars))


def _parse_key(number: int, value: str, origin: str) -> Key:
    tonic, _, mode = value.partition(" ")
    mode = mode.strip() or "major"
    if mode not in ("major", "minor"):
        raise SongError(
            f"{origin}:{number}: key must be major or minor, e.g. 'G major', got {value!r}"
        )
    try:
        return Key.parse(tonic, scale_named(mode).name)
    except MusicError as e:
        raise SongError(f"{origin}:{number}: {e}") from None


def _parse_metre(number: int, value: str, origin: str) -> Metre:
    match = _METRE_RE.fullmatch(value)
    if match is None:
        raise SongError(f"{origin}:{number}: metre must look like 4/4, 3/4 or 6/8, got {value!r}")
    return Metre(int(match[1]), int(match[2]))


def _parse_tempo(number: int, value: str, origin: str) -> int:
    low, high = TEMPO_RANGE
    if not value.isdigit() or not low <= int(value) <= high:
        raise SongError(
            f"{origin}:{number}: tempo must be a whole number {low}..{high}, got {value!r}"
        )
    return int(value)


def _parse_line(line: str, number: int, origin: str, tonic_c4: int) -> list[Bar]:
    """The bars of one line (one phrase): the line's last note ends the phrase."""
    if not line.endswith("|"):
        raise SongError(f"{origin}:{number}: a line of bars must end with '|'")
    bars: list[Bar] = []
    for cell in line.strip("|").split("|"):
        notes: list[Note] = []
        chords: list[tuple[Fraction, Chord]] = []
        at = Fraction(0)
        for token in cell.split():
            if token.startswith("["):
                if not token.endswith("]"):
                    raise SongError(f"{origin}:{number}: chord {token!r} must end with ']'")
                chords.append((at, _parse_chord(token[1:-1], number, origin, tonic_c4 % SEMITONES)))
                continue
            note = _parse_note(token, number, origin, tonic_c4)
            notes.append(note)
            at += note.counts
        if not notes:
            raise SongError(f"{origin}:{number}: an empty bar ('| |')")
        bars.append(Bar(tuple(notes), tuple(chords)))
    last = bars[-1]
    ended = (*last.notes[:-1], Note(last.notes[-1].offset, last.notes[-1].counts, phrase_end=True))
    bars[-1] = Bar(ended, last.chords)
    return bars


def _parse_note(token: str, number: int, origin: str, tonic_c4: int) -> Note:
    pitch, _, length = token.partition(":")
    counts = Fraction(1)
    if length:
        match = _LENGTH_RE.fullmatch(length)
        if match is None or Fraction(length) <= 0:
            raise SongError(
                f"{origin}:{number}: note length {length!r} in {token!r} must be a positive "
                "number of counts, e.g. 2, 1/2 or 1.5"
            )
        counts = Fraction(length)
    if pitch == "r":
        return Note(None, counts)
    try:
        return Note(note_to_midi(pitch) - tonic_c4, counts)
    except MusicError:
        raise SongError(
            f"{origin}:{number}: {token!r} is not a note: expected a name with its octave "
            "(C4, F#4, Bb3) or r for a rest, then optionally :length"
        ) from None


def _parse_chord(text: str, number: int, origin: str, tonic: int) -> Chord:
    roman = _ROMAN_RE.fullmatch(text)
    if roman is not None:
        accidental, numeral, mark, seventh = roman.groups()
        step = _MAJOR_STEPS[_ROMAN_DEGREES.index(numeral.lower())]
        step += {"b": -1, "#": 1, "": 0}[accidental]
        minor = numeral.islower()
        quality = _quality(minor, mark, seventh)
        return Chord(step % SEMITONES, quality, text)
    named = _NAME_RE.fullmatch(text)
    if named is not None:
        root_name, kind, seventh = named.groups()
        root = (parse_pitch_class(root_name) - tonic) % SEMITONES
        mark = {"dim": "°", "aug": "+", "+": "+"}.get(kind or "")
        return Chord(root, _quality(kind == "m", mark, seventh), text)
    raise SongError(
        f"{origin}:{number}: unknown chord [{text}]: expected a Roman numeral "
        "(I, IV, V7, ii, vi, bVII) or a chord name (C, G7, Am)"
    )


def _quality(minor: bool, mark: str | None, seventh: str | None) -> ChordQuality:
    if mark in ("°", "o"):
        return ChordQuality.DIMINISHED
    if mark == "+":
        return ChordQuality.AUGMENTED
    if seventh == "maj7":
        return ChordQuality.MAJOR_SEVENTH
    if seventh == "7":
        return ChordQuality.MINOR_SEVENTH if minor else ChordQuality.DOMINANT_SEVENTH
    return ChordQuality.MINOR if minor else ChordQuality.MAJOR


def _check_lengths(bars: Sequence[tuple[int, Bar]], metre: Metre, origin: str) -> None:
    """Every bar full; a pickup first bar and a short last bar allowed."""
    full = Fraction(metre.counts)
    for index, (number, bar) in enumerate(bars):
        pickup_allowed = index in (0, len(bars) - 1)
        if bar.counts > full or (bar.counts < full and not pickup_allowed):
            raise SongError(
                f"{origin}:{number}: bar {index + 1} has {bar.counts} counts, "
                f"but {metre} needs {metre.counts}"
            )
