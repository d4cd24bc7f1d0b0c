"""Chords stacked from alternate scale notes."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from appliance.errors import MusicError
from appliance.music import SCALES, ChordShape, Key, Scale, chord_on, seventh, triad

C_MAJOR = Key.parse("C", "major")


@pytest.mark.parametrize(
    ("degree", "notes"),
    [
        (1, (60, 64, 67)),  # C major
        (2, (62, 65, 69)),  # D minor
        (5, (67, 71, 74)),  # G major
        (7, (71, 74, 77)),  # B diminished
        (8, (72, 76, 79)),  # C major, an octave up
        (0, (59, 62, 65)),  # B diminished, an octave down
    ],
)
def test_c_major_triads(degree, notes):
    assert triad(C_MAJOR, degree, 4) == notes
    assert chord_on(C_MAJOR, degree, 4) == notes


def test_c_major_sevenths():
    assert seventh(C_MAJOR, 5, 4) == (67, 71, 74, 77)  # G7
    assert seventh(C_MAJOR, 1, 4) == (60, 64, 67, 71)  # Cmaj7
    assert chord_on(C_MAJOR, 2, 4, ChordShape.SEVENTH) == (62, 65, 69, 72)  # Dm7


def test_shape_may_be_given_as_text():
    assert chord_on(C_MAJOR, 5, 4, "seventh") == (67, 71, 74, 77)  # type: ignore[arg-type]
    with pytest.raises(MusicError, match="unknown chord shape 'ninth'; choose one of: triad"):
        chord_on(C_MAJOR, 1, 4, "ninth")  # type: ignore[arg-type]


def test_harmonic_minor_dominant_has_the_raised_seventh():
    a_harmonic = Key.parse("A", "harmonic minor")
    chord = triad(a_harmonic, 5, 4)
    assert chord == (76, 80, 83)  # E major: E G# B
    assert 80 % 12 == 8  # G#, the raised 7th of A minor
    assert [a_harmonic.spell(n) for n in chord] == ["E5", "G#5", "B5"]
    # The natural minor has G instead.
    assert triad(Key.parse("A", "minor"), 5, 4) == (76, 79, 83)


def test_pentatonic_chords_stack_alternate_scale_notes():
    c_penta = Key.parse("C", "major pentatonic")  # C D E G A
    assert triad(c_penta, 1, 4) == (60, 64, 69)  # C E A
    assert triad(c_penta, 4, 4) == (67, 72, 76)  # G C E
    assert seventh(c_penta, 1, 4) == (60, 64, 69, 74)  # C E A D


def test_chord_at_the_top_of_midi_range():
    assert triad(C_MAJOR, 1, 9) == (120, 124, 127)  # C9 E9 G9, G9 being MIDI 127


def test_chord_out_of_midi_range():
    with pytest.raises(MusicError):
        triad(C_MAJOR, 2, 9)  # D9 and F9 fit, A9 (129) does not
    with pytest.raises(MusicError):
        triad(C_MAJOR, 0, -1)


any_scale = st.one_of(
    st.sampled_from(list(SCALES.values())),
    st.sets(st.integers(1, 11)).map(lambda rest: Scale.custom([0, *sorted(rest)])),
)


@given(
    any_scale,
    st.integers(0, 11),
    st.integers(-8, 8),
    st.integers(0, 7),
    st.sampled_from(list(ChordShape)),
)
def test_every_chord_note_is_in_the_scale(scale, tonic, degree, octave, shape):
    key = Key(tonic, scale)
    try:
        chord = chord_on(key, degree, octave, shape)
    except MusicError:
        assume(False)  # off the edge of the MIDI range; tested above
        raise
    assert len(chord) == (3 if shape is ChordShape.TRIAD else 4)
    assert all(key.contains(note) for note in chord)
    assert list(chord) == sorted(set(chord))  # strictly ascending
    assert chord[0] == key.degree_to_note(degree, octave)
