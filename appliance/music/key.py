"""A key: a scale pinned to a tonic.

:class:`Key` is what a session actually plays in. It forwards the musical
questions to its :class:`~appliance.music.scales.Scale` with the tonic filled
in, and decides how notes are spelled (sharps or flats) for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from appliance.errors import MusicError
from appliance.music.notes import (
    MidiNote,
    PitchClass,
    check_pitch_class,
    midi_to_note,
    parse_pitch_class,
    pitch_class_name,
)
from appliance.music.scales import Scale, scale_named

# Tonics whose conventional (major) key signatures use flats: F, Bb, Eb, Ab,
# Db, Gb. A therapist reading "Bb" on the screen expects "Eb", not "D#".
_FLAT_TONICS = frozenset({5, 10, 3, 8, 1, 6})


@dataclass(frozen=True, slots=True)
class Key:
    """A scale built on a tonic pitch class, e.g. A minor pentatonic."""

    tonic: PitchClass
    scale: Scale
    #: Spell with flats (True) or sharps (False) whatever the key signature
    #: says; set when the therapist typed an accidental ("F#" stays sharp).
    spelling: bool | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Normalise to a plain int pitch class (numpy ints etc. included) so
        # equal keys compare and hash equal.
        object.__setattr__(self, "tonic", check_pitch_class(self.tonic))
        if not isinstance(self.scale, Scale):
            raise MusicError(f"key scale must be a Scale, got {self.scale!r}")

    @classmethod
    def parse(cls, tonic_name: str, scale_name: str) -> Key:
        """Build a key from names, e.g. ``Key.parse("A", "minor pentatonic")``."""
        return cls(
            parse_pitch_class(tonic_name), scale_named(scale_name), _typed_spelling(tonic_name)
        )

    @property
    def prefers_flats(self) -> bool:
        """Whether notes in this key are spelled with flats rather than sharps.

        Minor-sounding scales (a minor third and no major third) follow their
        relative major, as key signatures do: D minor is spelled like F major,
        with a Bb, and C minor like Eb major.
        """
        if self.spelling is not None:
            return self.spelling
        signature = (self.tonic + 3) % 12 if self.is_minor else self.tonic
        return signature in _FLAT_TONICS

    @property
    def is_minor(self) -> bool:
        """Whether the scale sounds minor: a minor third above the tonic and no major third.

        Loops play their minor chords in such a key, and songs are sung in minor.
        """
        intervals = self.scale.intervals
        return 3 in intervals and 4 not in intervals

    @property
    def tonic_name(self) -> str:
        """The tonic spelled as this key conventionally writes it ("Bb", "F#")."""
        return pitch_class_name(self.tonic, prefer_flats=self.prefers_flats)

    @property
    def name(self) -> str:
        """Human-readable name for screens and logs, e.g. "C major pentatonic"."""
        return f"{self.tonic_name} {self.scale.name.replace('_', ' ')}"

    @property
    def pitch_classes(self) -> frozenset[PitchClass]:
        """The pitch classes in this key."""
        return self.scale.pitch_classes(self.tonic)

    def degree_to_note(self, degree: int, octave: int) -> MidiNote:
        """MIDI note of 1-based ``degree``; see :meth:`Scale.degree_to_note`."""
        return self.scale.degree_to_note(degree, self.tonic, octave)

    def quantize(self, note: int) -> MidiNote:
        """Nearest note in this key, ties going down; see :meth:`Scale.quantize`."""
        return self.scale.quantize(note, self.tonic)

    def contains(self, note: int) -> bool:
        """Whether MIDI ``note`` is in this key."""
        return self.scale.contains(note, self.tonic)

    def spell(self, note: int) -> str:
        """Name MIDI ``note`` with this key's sharp/flat preference, e.g. "Eb4"."""
        return midi_to_note(note, prefer_flats=self.prefers_flats)

    def with_tonic(self, name: str) -> Key:
        """The same scale on another tonic, e.g. ``key.with_tonic("G")``."""
        return replace(self, tonic=parse_pitch_class(name), spelling=_typed_spelling(name))

    def with_scale(self, name: str | Scale) -> Key:
        """The same tonic with another scale, given by name or as a :class:`Scale`."""
        scale = name if isinstance(name, Scale) else scale_named(name)
        return replace(self, scale=scale)

    def __str__(self) -> str:
        return self.name


def _typed_spelling(name: str) -> bool | None:
    """True for a flat typed ("Bb", "E♭"), False for a sharp, None for a natural."""
    accidentals = name.strip()[1:]
    if any(c in "b♭" for c in accidentals):
        return True
    if any(c in "#♯" for c in accidentals):
        return False
    return None
