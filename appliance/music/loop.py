"""An accompaniment loop: a bar of patterns over a chord progression.

A :class:`Loop` is written once (its text format is in
:mod:`appliance.music.loop_text`) and plays in any key, major or minor:

* ``progression`` (major) and ``minor`` are chords as Roman numerals relative
  to the tonic (:class:`appliance.music.song.Chord`), one a bar, repeating;
* each :class:`Part` is one bar of :class:`Hit` s on a grid of ``steps`` per
  bar. A drum hit names a General MIDI percussion sound; a pitched hit names
  a chord tone (the root, third, fifth, seventh or the root an octave up),
  so the same bar fits every chord of the progression in every key.

:meth:`Loop.notes_in_bar` turns one bar into MIDI notes for a chord and key:
what the accompaniment player (appliance/engine/accompaniment.py) schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from appliance.music.notes import MidiNote, PitchClass, check_midi_note
from appliance.music.song import SEMITONES, Chord, Metre


class PartRole(StrEnum):
    """What a part does in the band; each role has a channel of its own."""

    DRUMS = "drums"  # the General MIDI kit, on the drum channel
    BASS = "bass"  # chord roots and fifths, low
    CHORDS = "chords"  # the chord, struck
    PAD = "pad"  # the chord, held: the soft ground the drone is made of


class Tone(StrEnum):
    """A pitched hit's note, as a chord tone, so one pattern fits every chord."""

    ROOT = "R"
    THIRD = "3"
    FIFTH = "5"
    SEVENTH = "7"  # the chord's seventh if it has one, else its octave
    OCTAVE = "8"  # the root an octave up
    LOW_FIFTH = "L"  # the fifth an octave down (a bass's walk below the root)
    CHORD = "x"  # every note of the chord


#: General MIDI percussion (channel 10) by the names a loop file uses.
DRUM_NOTES: MappingProxyType[str, int] = MappingProxyType(
    {
        "kick": 36,
        "side_stick": 37,
        "snare": 38,
        "clap": 39,
        "low_tom": 45,
        "closed_hat": 42,
        "pedal_hat": 44,
        "open_hat": 46,
        "mid_tom": 47,
        "high_tom": 50,
        "crash": 49,
        "ride": 51,
        "ride_bell": 53,
        "tambourine": 54,
        "cowbell": 56,
        "high_bongo": 60,
        "low_bongo": 61,
        "mute_conga": 62,
        "high_conga": 63,
        "low_conga": 64,
        "high_timbale": 65,
        "cabasa": 69,
        "maracas": 70,
        "claves": 75,
        "high_woodblock": 76,
        "low_woodblock": 77,
        "mute_triangle": 80,
        "triangle": 81,
        "shaker": 82,
        "jingle_bell": 83,
        "bell_tree": 84,
    }
)

#: Where each pitched role's chord root sits: the octave starting here.
ROOT_FROM: MappingProxyType[PartRole, int] = MappingProxyType(
    {
        PartRole.BASS: 36,  # C2..B2: a bass guitar's home
        PartRole.CHORDS: 55,  # G3..F#4: around middle C, under a client's melody
        PartRole.PAD: 48,  # C3..B3: warm, below the chords
    }
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One note of a part's bar: at ``step`` (0-based) for ``length`` steps.

    ``sound`` is a drum name from :data:`DRUM_NOTES` (drums) or a :class:`Tone`
    (pitched parts). A drum hit's ``length`` is how long its note is held
    before its note-off (the sound itself decays by itself).
    """

    step: int
    length: int
    sound: str
    velocity: int


@dataclass(frozen=True, slots=True)
class Part:
    role: PartRole
    instrument: str  # a General MIDI name (appliance/sound/gm_names.py); a kit for drums
    hits: tuple[Hit, ...]
    #: Played when the loop thins to its drone (wait mode, no client playing).
    in_drone: bool = False


@dataclass(frozen=True, slots=True)
class PlacedHit:
    """A hit in a key: MIDI notes, from ``step`` for ``length`` steps."""

    role: PartRole
    step: int
    length: int
    notes: tuple[MidiNote, ...]
    velocity: int


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop as its file writes it (``name`` is the file's stem)."""

    name: str
    title: str
    mood: str
    metre: Metre
    tempo: int  # beats per minute (a beat is the metre's unit, or a dotted one in 6/8)
    steps: int  # grid steps in one bar
    progression: tuple[Chord, ...]  # one chord a bar, in a major key
    minor: tuple[Chord, ...]  # the same, in a minor key
    parts: tuple[Part, ...]

    @property
    def beats(self) -> int:
        """Beats in a bar: 6/8 is two dotted beats, 4/4 four, 3/4 three."""
        counts = self.metre.counts
        return counts // 3 if self.metre.unit == 8 and counts % 3 == 0 else counts

    @property
    def steps_per_beat(self) -> int:
        return self.steps // self.beats

    def chord_at(self, bar: int, minor: bool) -> Chord:
        """The chord of bar ``bar`` (from 0; the progression repeats)."""
        chords = self.minor if minor else self.progression
        return chords[bar % len(chords)]

    def notes_in_bar(
        self, chord: Chord, tonic: PitchClass, *, drone: bool = False
    ) -> tuple[PlacedHit, ...]:
        """Every hit of one bar over ``chord`` in the key of ``tonic``, in step order.

        With ``drone``, only the parts marked ``in_drone`` play.
        """
        placed = []
        for part in self.parts:
            if drone and not part.in_drone:
                continue
            for hit in part.hits:
                notes = _notes_of(part.role, hit.sound, chord, tonic)
                placed.append(PlacedHit(part.role, hit.step, hit.length, notes, hit.velocity))
        placed.sort(key=lambda h: h.step)
        return tuple(placed)


def _notes_of(role: PartRole, sound: str, chord: Chord, tonic: PitchClass) -> tuple[MidiNote, ...]:
    if role is PartRole.DRUMS:
        return (MidiNote(DRUM_NOTES[sound]),)
    root = ROOT_FROM[role] + (tonic + chord.root - ROOT_FROM[role]) % SEMITONES
    intervals = chord.quality.intervals
    tone = Tone(sound)
    if tone is Tone.CHORD:
        offsets: tuple[int, ...] = intervals
    else:
        offsets = (_tone_offset(tone, intervals),)
    return tuple(check_midi_note(root + o) for o in offsets)


def _tone_offset(tone: Tone, intervals: tuple[int, ...]) -> int:
    if tone is Tone.ROOT:
        return 0
    if tone is Tone.THIRD:
        return intervals[1]
    if tone is Tone.FIFTH:
        return intervals[2]
    if tone is Tone.SEVENTH:
        return intervals[3] if len(intervals) > 3 else SEMITONES
    if tone is Tone.LOW_FIFTH:
        return intervals[2] - SEMITONES
    return SEMITONES  # Tone.OCTAVE
