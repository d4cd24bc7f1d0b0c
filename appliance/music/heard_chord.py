"""Reading a chord from the notes a therapist holds, and moving notes onto it.

The rule, as docs/midi.md gives it to therapists:

* **Three or more different notes** (a triad or a seventh, in any inversion,
  with or without a doubled bass) are the chord as held: its tones are the
  pitch classes held.
* **One note** is the triad on it that fits the key: a major third if the key
  has it, else a minor one; a perfect fifth if the key has it, else the
  diminished one.
* **Two notes** are the triad on the lower one, with the upper added.

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
MAJOR_THIRD, MINOR_THIRD, FIFTH, DIMINISHED_FIFTH = 4, 3, 7, 6
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
    classes = {n % OCTAVE for n in held}
    if len(classes) >= 3:
        tones = frozenset(PitchClass(c) for c in classes)
        return HeardChord(tones, _name(tones, PitchClass(held[0] % OCTAVE), key))
    root = PitchClass(held[0] % OCTAVE)
    tones = frozenset({*_triad_in_key(root, key), *(PitchClass(c) for c in classes)})
    return HeardChord(tones, _name(tones, root, key))


def _triad_in_key(root: PitchClass, key: Key) -> frozenset[PitchClass]:
    in_key = key.pitch_classes
    third = MAJOR_THIRD if (root + MAJOR_THIRD) % OCTAVE in in_key else MINOR_THIRD
    if (root + third) % OCTAVE not in in_key and (root + MINOR_THIRD) % OCTAVE in in_key:
        third = MINOR_THIRD
    fifth = FIFTH
    if (root + FIFTH) % OCTAVE not in in_key and (root + DIMINISHED_FIFTH) % OCTAVE in in_key:
        fifth = DIMINISHED_FIFTH
    return frozenset(PitchClass((root + i) % OCTAVE) for i in (0, third, fifth))


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
