"""Scales as interval patterns, and the named scales a therapist can choose.

A :class:`Scale` knows nothing about which note it starts on; every method
takes the tonic as a pitch class. That keeps one immutable ``Scale`` object
per pattern, shared by every key built on it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType

from appliance.errors import MusicError, UnknownScaleError
from appliance.music.notes import (
    MIDI_MAX,
    MIDI_MIN,
    MidiNote,
    PitchClass,
    check_midi_note,
    check_pitch_class,
    pitch_class_name,
)


@dataclass(frozen=True, slots=True)
class Scale:
    """A pattern of semitone offsets above the tonic, within one octave.

    ``intervals`` always starts at 0 (the tonic itself), is strictly increasing
    and stays below 12, so each pitch class appears at most once.
    """

    name: str
    intervals: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise MusicError(f"scale name must be a non-empty string, got {self.name!r}")
        # Coerce lists and other iterables to a tuple so the scale stays
        # hashable and truly immutable whatever the caller handed in.
        try:
            intervals = tuple(self.intervals)
        except TypeError:
            raise MusicError(
                f"scale {self.name!r}: intervals must be a sequence of integers, "
                f"got {self.intervals!r}"
            ) from None
        object.__setattr__(self, "intervals", intervals)
        _check_intervals(self.name, intervals)

    @classmethod
    def custom(cls, intervals: Iterable[int], name: str = "custom") -> Scale:
        """Build a scale from semitone offsets, e.g. ``Scale.custom([0, 2, 4, 7, 9])``."""
        return cls(name, tuple(intervals))

    @property
    def size(self) -> int:
        """Number of notes per octave."""
        return len(self.intervals)

    @property
    def largest_gap(self) -> int:
        """The widest step, in semitones, between neighbouring scale notes.

        The step from the last note up to the next octave's tonic counts too,
        so a one-note scale has a gap of 12. It bounds how far :meth:`quantize`
        may move a note.
        """
        return max(upper - lower for lower, upper in pairwise((*self.intervals, 12)))

    def pitch_classes(self, tonic: int) -> frozenset[PitchClass]:
        """The pitch classes of this scale built on ``tonic``."""
        root = check_pitch_class(tonic)
        return frozenset(PitchClass((root + step) % 12) for step in self.intervals)

    def contains(self, note: int, tonic: int) -> bool:
        """Whether MIDI ``note`` belongs to this scale built on ``tonic``."""
        return check_midi_note(note) % 12 in self.pitch_classes(tonic)

    def degree_to_note(self, degree: int, tonic: int, octave: int) -> MidiNote:
        """The MIDI note of 1-based scale ``degree``, counted from the tonic in ``octave``.

        Degree 1 is the tonic at MIDI ``12 * (octave + 1) + tonic`` (C4 = 60,
        A4 = 69). Degrees beyond the scale size carry on into higher octaves
        (in major, degree 8 is the tonic an octave up); degree 0 and negative
        degrees continue downwards (degree 0 is the scale note just below the
        tonic). This lets a row of pads or switches map straight onto degrees.
        """
        root = check_pitch_class(tonic)
        octaves_up, index = divmod(degree - 1, self.size)
        value = 12 * (octave + 1 + octaves_up) + root + self.intervals[index]
        if not MIDI_MIN <= value <= MIDI_MAX:
            raise MusicError(
                f"degree {degree} of {pitch_class_name(root)} {self.name} in octave {octave} "
                f"is MIDI {value}, outside {MIDI_MIN}..{MIDI_MAX}"
            )
        return MidiNote(value)

    def quantize(self, note: int, tonic: int) -> MidiNote:
        """Move MIDI ``note`` to the nearest note of this scale built on ``tonic``.

        Notes already in the scale are returned unchanged, so quantizing twice
        is the same as quantizing once.

        Tie rule: a note exactly halfway between two scale notes goes to the
        LOWER one. Rounding down means a client's note never jumps above the
        therapist's melody line, and one fixed direction keeps the result
        consistent and predictable from session to session.

        The result always stays within 0..127: if the nearest scale note falls
        outside that range, the neighbour on the other side is used instead,
        which is still at most :attr:`largest_gap` semitones away.
        """
        value = check_midi_note(note)
        pcs = self.pitch_classes(tonic)
        # Distance down to the nearest scale note at or below, and up to the
        # nearest at or above; both are < 12 because every octave holds the tonic.
        down = min((value - pc) % 12 for pc in pcs)
        up = min((pc - value) % 12 for pc in pcs)
        below, above = value - down, value + up
        if below < MIDI_MIN:
            return MidiNote(above)
        if above > MIDI_MAX or down <= up:
            return MidiNote(below)
        return MidiNote(above)


def _check_intervals(name: str, intervals: tuple[int, ...]) -> None:
    """Raise :class:`MusicError` unless ``intervals`` is a valid scale pattern."""
    prefix = f"scale {name!r}"
    if not intervals:
        raise MusicError(f"{prefix}: intervals must not be empty")
    for step in intervals:
        # bool is an int subclass, but True as an interval is a caller's bug.
        if isinstance(step, bool) or not isinstance(step, int):
            raise MusicError(f"{prefix}: intervals must be integers, got {step!r}")
        if not 0 <= step <= 11:
            raise MusicError(f"{prefix}: intervals must be in range 0..11, got {step}")
    if intervals[0] != 0:
        raise MusicError(f"{prefix}: intervals must start at 0 (the tonic), got {intervals}")
    for lower, upper in pairwise(intervals):
        if upper <= lower:
            raise MusicError(f"{prefix}: intervals must be strictly increasing, got {intervals}")


# The order here is the order ``tonic scales`` lists them in: the common
# therapy choices first, then modes, then the "anything goes" scales.
SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        scale.name: scale
        for scale in (
            Scale("major", (0, 2, 4, 5, 7, 9, 11)),
            Scale("natural_minor", (0, 2, 3, 5, 7, 8, 10)),
            Scale("harmonic_minor", (0, 2, 3, 5, 7, 8, 11)),
            Scale("major_pentatonic", (0, 2, 4, 7, 9)),
            Scale("minor_pentatonic", (0, 3, 5, 7, 10)),
            Scale("blues", (0, 3, 5, 6, 7, 10)),
            Scale("dorian", (0, 2, 3, 5, 7, 9, 10)),
            Scale("mixolydian", (0, 2, 4, 5, 7, 9, 10)),
            Scale("lydian", (0, 2, 4, 6, 7, 9, 11)),
            Scale("whole_tone", (0, 2, 4, 6, 8, 10)),
            Scale("chromatic", tuple(range(12))),
        )
    }
)

# Names musicians commonly use for the same patterns.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {"minor": "natural_minor", "aeolian": "natural_minor", "ionian": "major"}
)


def _normalise(name: str) -> str:
    """Fold case and treat runs of spaces, hyphens and underscores as one "_"."""
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


def scale_names() -> tuple[str, ...]:
    """The canonical scale names, in display order."""
    return tuple(SCALES)


def scale_named(name: str) -> Scale:
    """Look up a scale by name, forgivingly.

    Case does not matter, spaces and hyphens count as underscores
    ("Major Pentatonic", "whole-tone"), and "minor"/"aeolian" and "ionian" are
    accepted for natural_minor and major.
    """
    key = _normalise(name) if isinstance(name, str) else ""
    key = _ALIASES.get(key, key)
    scale = SCALES.get(key)
    if scale is not None:
        return scale
    known = (*SCALES, *_ALIASES)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownScaleError(
        f"unknown scale {name!r}{hint}; choose one of: {', '.join(scale_names())}"
    )
