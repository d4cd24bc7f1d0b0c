"""Reading a chord from the notes a therapist holds, and moving notes onto it.

The rule, as the therapist meets it:

* **Three or more different notes** (a triad or a seventh, in any inversion,
  with or without a doubled bass) are the chord as held: its tones are the
  pitch classes held.
* **One note** is the triad on it that fits the key best: of the major,
  minor, diminished and augmented triads on that root, the one with the
  most notes in the key, then in the key's parent (the major or natural
  minor scale on its tonic), then the first in that order. In C major, A is
  A minor and B is B diminished; in C major pentatonic, which has neither F
  nor B, G is still G major and D is D minor, as they are in C major.
* **Two notes** are that triad on the note the other is a third or a fifth
  above, so an inversion reads as its chord: C-G and G-C are both C major,
  E-C is C major, C-A is A minor. Any other pair (a second, a tritone) is
  the triad on the lower note with the upper added.

A client's note moves to the nearest chord tone; a tie (a note exactly
between two chord tones) goes down, so a client's note never jumps up
unexpectedly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from appliance.music.key import Key
from appliance.music.notes import MidiNote, PitchClass, pitch_class_name

OCTAVE = 12
MAJOR_THIRD, MINOR_THIRD, FIFTH = 4, 3, 7
#: The triads a single note can mean, as semitones above the root; on a tie
#: the earlier is chosen (a major triad before a minor one, and so on).
_TRIADS = ((0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8))
#: How far above its root a chord's third or fifth lies: two notes this far
#: apart (or this far inverted) name their root.
_THIRD_OR_FIFTH = frozenset({MINOR_THIRD, MAJOR_THIRD, FIFTH})
#: Chord names by the intervals above the root, for the status and the demo.
_QUALITIES = (
    (frozenset({0, 4, 7, 11}), "major 7"),
    (frozenset({0, 4, 7, 10}), "7"),
    (frozenset({0, 3, 7, 10}), "minor 7"),
    (frozenset({0, 3, 6, 10}), "half-diminished 7"),
    (frozenset({0, 4, 7}), "major"),
    (frozenset({0, 3, 7}), "minor"),
    (frozenset({0, 3, 6}), "diminished"),
    (frozenset({0, 4, 8}), "augmented"),
)
_HIGHEST_MIDI = 127


@dataclass(frozen=True, slots=True)
class HeardChord:
    """The chord tones clients lock to, and a name to show for them."""

    tones: frozenset[PitchClass]
    name: str

    def nearest(self, note: int) -> MidiNote:
        """The chord tone nearest ``note``; a tie goes down."""
        for distance in range(OCTAVE):
            for candidate in (note - distance, note + distance):
                if 0 <= candidate <= _HIGHEST_MIDI and candidate % OCTAVE in self.tones:
                    return MidiNote(candidate)
        return MidiNote(note)  # no tones: unreachable for a heard chord

    def above(self, note: int) -> MidiNote:
        """The next chord tone strictly above ``note`` (for voicing a chord upward)."""
        for candidate in range(note + 1, min(note + OCTAVE, _HIGHEST_MIDI) + 1):
            if candidate % OCTAVE in self.tones:
                return MidiNote(candidate)
        return MidiNote(note)


def hear_chord(notes: Iterable[int], key: Key) -> HeardChord | None:
    """The chord ``notes`` (held MIDI notes) mean in ``key``; None for no notes."""
    held = sorted(set(notes))
    if not held:
        return None
    classes = frozenset(PitchClass(n % OCTAVE) for n in held)
    bass = PitchClass(held[0] % OCTAVE)
    if len(classes) >= 3:
        return HeardChord(classes, _name(classes, bass, key))
    root, other = bass, next(iter(classes - {bass}), None)
    if other is not None and (bass - other) % OCTAVE in _THIRD_OR_FIFTH:
        root, other = other, bass  # an inversion: the upper note is the root
    elif other is not None and (other - bass) % OCTAVE not in _THIRD_OR_FIFTH:
        other = None  # a second or a tritone: the lower note's triad, the upper added
    tones = _triad_in_key(root, key, other) | classes
    return HeardChord(tones, _name(tones, root, key))


def _triad_in_key(root: PitchClass, key: Key, other: PitchClass | None) -> frozenset[PitchClass]:
    """The triad on ``root`` that holds ``other`` (if given) and best fits ``key``."""
    in_key, in_parent = key.pitch_classes, _parent(key).pitch_classes

    def tones(shape: tuple[int, ...]) -> frozenset[PitchClass]:
        return frozenset(PitchClass((root + i) % OCTAVE) for i in shape)

    def fit(shape: tuple[int, ...]) -> tuple[bool, int, int]:
        t = tones(shape)
        return (other is None or other in t, len(t & in_key), len(t & in_parent))

    return tones(max(_TRIADS, key=fit))  # max keeps the first of equals: the order decides


def _parent(key: Key) -> Key:
    """The seven-note scale a gapped one (pentatonic, blues) is heard within:
    natural minor on its tonic if it has a minor third and no major one, else major."""
    intervals = key.scale.intervals
    minor = MINOR_THIRD in intervals and MAJOR_THIRD not in intervals
    return key.with_scale("natural_minor" if minor else "major")


def _name(tones: frozenset[PitchClass], bass: PitchClass, key: Key) -> str:
    """ "A minor", "G7", or the notes themselves when the chord has no common name."""
    # The bass first, so an ambiguous set (C-E-G-A: C6 or A minor 7) is named from it.
    for root in sorted(tones, key=lambda t: (t != bass, t)):
        intervals = frozenset((t - root) % OCTAVE for t in tones)
        for shape, quality in _QUALITIES:
            if intervals == shape:
                spelled = pitch_class_name(root, prefer_flats=key.prefers_flats)
                return f"{spelled}{quality}" if quality == "7" else f"{spelled} {quality}"
    return "-".join(pitch_class_name(t, prefer_flats=key.prefers_flats) for t in sorted(tones))
