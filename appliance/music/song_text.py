"""The ``.song`` text format: how a familiar song is written down.

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
* A line starting with ``#`` is a comment (elsewhere ``#`` is a sharp).

Errors name the file and line and say what is wrong, e.g.
``twinkle_twinkle.song:9: bar 4 has 5 counts, but 4/4 needs 4``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

from appliance.errors import MusicError
from appliance.music.key import Key
from appliance.music.notes import note_to_midi, parse_pitch_class
from appliance.music.scales import scale_named
from appliance.music.song import (
    SEMITONES,
    Bar,
    Chord,
    ChordQuality,
    Metre,
    Note,
    Song,
    SongError,
)

HEADER_FIELDS = ("title", "key", "metre", "tempo")

TEMPO_RANGE = (20, 240)
"""Counts per minute a song file may ask for: anything outside is a typo."""

_METRE_RE = re.compile(r"([1-9][0-9]?)/(1|2|4|8|16)")
_LENGTH_RE = re.compile(r"([0-9]+)(?:/([1-9][0-9]*))?|([0-9]*\.[0-9]+)")
_ROMAN_RE = re.compile(r"([b#]?)(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)(°|o|\+)?(maj7|7)?")
_NAME_RE = re.compile(r"([A-G][#b]?)(m|dim|aug|\+)?(maj7|7)?")
_ROMAN_DEGREES = ("i", "ii", "iii", "iv", "v", "vi", "vii")
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)


def parse_song(text: str, *, name: str, origin: str) -> Song:
    """Parse a song file's text; ``origin`` (its path) names it in every error."""
    header: dict[str, tuple[int, str]] = {}
    bar_lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        # Only whole lines are comments: "#" is also a sharp (F#4, [F#m]).
        line = raw.strip()
        if not line or line.startswith("#"):
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
