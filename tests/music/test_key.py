"""Keys: a scale on a tonic, with spelling and delegation to Scale."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import MusicError, UnknownScaleError
from appliance.music import SCALES, Key, Scale

C_MAJOR = Key.parse("C", "major")


def test_parse():
    key = Key.parse("a", "Minor Pentatonic")
    assert key.tonic == 9
    assert key.scale is SCALES["minor_pentatonic"]
    assert key == Key(9, SCALES["minor_pentatonic"])


def test_parse_rejects_bad_names():
    with pytest.raises(MusicError, match="unknown note name"):
        Key.parse("H", "major")
    with pytest.raises(UnknownScaleError, match="unknown scale"):
        Key.parse("C", "majestic")


@pytest.mark.parametrize("tonic", [-1, 12, 60])
def test_tonic_must_be_a_pitch_class(tonic):
    with pytest.raises(MusicError):
        Key(tonic, SCALES["major"])


def test_scale_must_be_a_scale():
    with pytest.raises(MusicError, match="must be a Scale"):
        Key(0, "major")  # type: ignore[arg-type]


def test_key_is_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        C_MAJOR.tonic = 2  # type: ignore[misc]
    assert len({C_MAJOR, Key.parse("B#", "ionian"), Key.parse("C", "minor")}) == 2


@pytest.mark.parametrize(
    ("tonic", "name"),
    [
        ("C", "C"),
        ("C#", "C#"),  # spelled as the therapist typed it
        ("Db", "Db"),
        ("D", "D"),
        ("D#", "D#"),
        ("E", "E"),
        ("F", "F"),
        ("F#", "F#"),
        ("Gb", "Gb"),
        ("G", "G"),
        ("G#", "G#"),
        ("A", "A"),
        ("A#", "A#"),
        ("B", "B"),
    ],
)
def test_tonic_name_keeps_a_typed_accidental_else_the_convention(tonic, name):
    assert Key.parse(tonic, "major").tonic_name == name


@pytest.mark.parametrize(
    ("tonic", "scale", "name"),
    [
        ("C", "major_pentatonic", "C major pentatonic"),
        ("a", "minor", "A natural minor"),
        ("Bb", "whole-tone", "Bb whole tone"),
        ("E", "blues", "E blues"),
        ("F#", "dorian", "F# dorian"),
    ],
)
def test_name_is_human(tonic, scale, name):
    key = Key.parse(tonic, scale)
    assert key.name == name
    assert str(key) == name


def test_delegates_to_scale():
    key = Key.parse("A", "minor pentatonic")
    scale = SCALES["minor_pentatonic"]
    assert key.pitch_classes == scale.pitch_classes(9) == {9, 0, 2, 4, 7}
    assert key.degree_to_note(1, 4) == 69
    assert key.degree_to_note(6, 3) == 69
    assert key.degree_to_note(0, 4) == 67
    assert key.contains(60)
    assert not key.contains(61)
    assert key.quantize(61) == 60  # C# between C and D: tie goes down
    assert key.quantize(70) == 69


def test_c_major_degree_8_is_the_octave():
    assert C_MAJOR.degree_to_note(8, 4) == 72


@given(st.integers(0, 11), st.sampled_from(list(SCALES)), st.integers(0, 127))
def test_key_agrees_with_scale(tonic, scale_name, note):
    scale = SCALES[scale_name]
    key = Key(tonic, scale)
    assert key.quantize(note) == scale.quantize(note, tonic)
    assert key.contains(note) == scale.contains(note, tonic)


@pytest.mark.parametrize(
    ("tonic", "note", "spelled"),
    [
        ("C", 61, "C#4"),
        ("G", 66, "F#4"),
        ("D", 61, "C#4"),
        ("F", 70, "Bb4"),
        ("Bb", 63, "Eb4"),
        ("Eb", 68, "Ab4"),
        ("Ab", 61, "Db4"),
        ("Db", 66, "Gb4"),
        ("Gb", 71, "B4"),
        ("E", 60, "C4"),
    ],
)
def test_spell(tonic, note, spelled):
    assert Key.parse(tonic, "major").spell(note) == spelled


def test_spell_rejects_out_of_range():
    with pytest.raises(MusicError):
        C_MAJOR.spell(128)


def test_with_tonic_and_with_scale():
    d_major = C_MAJOR.with_tonic("D")
    assert d_major == Key.parse("D", "major")
    assert C_MAJOR.tonic == 0  # the original is untouched
    assert C_MAJOR.with_scale("Major Pentatonic") == Key.parse("C", "major_pentatonic")
    custom = Scale.custom([0, 7])
    assert C_MAJOR.with_scale(custom).scale is custom
    with pytest.raises(UnknownScaleError):
        C_MAJOR.with_scale("nope")
    with pytest.raises(MusicError):
        C_MAJOR.with_tonic("H")


@pytest.mark.parametrize(
    ("tonic", "scale", "note", "spelled"),
    [
        ("D", "natural_minor", 70, "Bb4"),  # D minor has a B flat, like F major
        ("C", "minor_pentatonic", 63, "Eb4"),  # C minor follows Eb major
        ("E", "natural_minor", 66, "F#4"),  # E minor follows G major
        ("F", "major", 70, "Bb4"),
    ],
)
def test_minor_keys_are_spelled_like_their_relative_major(tonic, scale, note, spelled):
    assert Key.parse(tonic, scale).spell(note) == spelled
