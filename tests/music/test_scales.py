"""Scale patterns, degree lookup, quantizing and scale names."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import MusicError, UnknownScaleError
from appliance.music import SCALES, Scale, scale_named, scale_names

EXPECTED_INTERVALS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "natural_minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "whole_tone": (0, 2, 4, 6, 8, 10),
    "chromatic": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
}

MAJOR = SCALES["major"]

# Any valid scale: a tonic (0) plus any subset of the other eleven semitones.
custom_scales = st.sets(st.integers(1, 11)).map(lambda rest: Scale.custom([0, *sorted(rest)]))
any_scale = st.one_of(st.sampled_from(list(SCALES.values())), custom_scales)
tonics = st.integers(0, 11)
midi_notes = st.integers(0, 127)


# --- the named scales -------------------------------------------------------


def test_scales_are_exactly_the_expected_ones_in_order():
    assert list(SCALES) == list(EXPECTED_INTERVALS)
    assert scale_names() == tuple(EXPECTED_INTERVALS)


@pytest.mark.parametrize(("name", "intervals"), EXPECTED_INTERVALS.items())
def test_named_scale_intervals(name, intervals):
    scale = SCALES[name]
    assert scale.name == name
    assert scale.intervals == intervals
    assert scale.size == len(intervals)
    assert scale_named(name) is scale


def test_scales_mapping_is_read_only():
    with pytest.raises(TypeError):
        SCALES["mine"] = MAJOR  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MAJOR", "major"),
        ("  major ", "major"),
        ("Major Pentatonic", "major_pentatonic"),
        ("major-pentatonic", "major_pentatonic"),
        ("Minor  Pentatonic", "minor_pentatonic"),
        ("whole-tone", "whole_tone"),
        ("Whole Tone", "whole_tone"),
        ("harmonic minor", "harmonic_minor"),
        ("Natural-Minor", "natural_minor"),
        ("minor", "natural_minor"),
        ("Aeolian", "natural_minor"),
        ("ionian", "major"),
        ("Blues", "blues"),
    ],
)
def test_scale_named_is_forgiving(name, expected):
    assert scale_named(name) is SCALES[expected]


def test_unknown_scale_lists_valid_names():
    with pytest.raises(UnknownScaleError) as info:
        scale_named("foo")
    message = str(info.value)
    assert message == (
        "unknown scale 'foo'; choose one of: major, natural_minor, harmonic_minor, "
        "major_pentatonic, minor_pentatonic, blues, dorian, mixolydian, lydian, "
        "whole_tone, chromatic"
    )
    assert "did you mean" not in message


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("majr", "major"), ("dorain", "dorian"), ("Mixolidian", "mixolydian"), ("blus", "blues")],
)
def test_unknown_scale_suggests_close_name(typo, suggestion):
    with pytest.raises(UnknownScaleError, match=f"did you mean '{suggestion}'") as info:
        scale_named(typo)
    assert "\n" not in str(info.value)
    assert "choose one of: major," in str(info.value)


def test_unknown_scale_error_is_lookup_and_music_error():
    with pytest.raises(LookupError):
        scale_named("nope")
    with pytest.raises(MusicError):
        scale_named("nope")


# --- validation and properties -----------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "complaint"),
    [
        ((), "must not be empty"),
        ((2, 4), "must start at 0"),
        ((0, 4, 4), "strictly increasing"),
        ((0, 5, 3), "strictly increasing"),
        ((0, 12), r"0\.\.11"),
        ((0, -1), r"0\.\.11"),
        ((0, 2.0), "integers"),
        ((0, True), "integers"),
    ],
)
def test_invalid_intervals_rejected(intervals, complaint):
    with pytest.raises(MusicError, match=complaint):
        Scale("bad", intervals)


def test_custom_scale_accepts_any_iterable_and_is_hashable():
    scale = Scale.custom([0, 2, 7])
    assert scale == Scale("custom", (0, 2, 7))
    assert scale.intervals == (0, 2, 7)
    assert hash(scale) == hash(Scale.custom(iter([0, 2, 7])))
    assert Scale.custom(range(0, 12, 3), name="diminished").name == "diminished"


def test_scale_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MAJOR.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("scale", "gap"),
    [
        (MAJOR, 2),
        (SCALES["major_pentatonic"], 3),
        (SCALES["harmonic_minor"], 3),
        (SCALES["chromatic"], 1),
        (Scale.custom([0]), 12),
        (Scale.custom([0, 1]), 11),  # the wrap from 1 up to the octave
        (Scale.custom([0, 7]), 7),
    ],
)
def test_largest_gap(scale, gap):
    assert scale.largest_gap == gap


def test_pitch_classes_and_contains():
    assert MAJOR.pitch_classes(0) == {0, 2, 4, 5, 7, 9, 11}
    # G major: F# instead of F, wrapping past B.
    assert MAJOR.pitch_classes(7) == {7, 9, 11, 0, 2, 4, 6}
    assert MAJOR.contains(66, 7)  # F#4 in G major
    assert not MAJOR.contains(65, 7)  # F4 is not
    assert MAJOR.contains(0, 0)
    assert MAJOR.contains(127, 0)


@pytest.mark.parametrize("tonic", [-1, 12])
def test_tonic_must_be_a_pitch_class(tonic):
    with pytest.raises(MusicError):
        MAJOR.pitch_classes(tonic)
    with pytest.raises(MusicError):
        MAJOR.degree_to_note(1, tonic, 4)


def test_contains_rejects_out_of_range_notes():
    with pytest.raises(MusicError):
        MAJOR.contains(128, 0)


# --- degree_to_note ----------------------------------------------------------


@pytest.mark.parametrize(
    ("degree", "note"),
    [
        (1, 60),
        (2, 62),
        (3, 64),
        (7, 71),
        (8, 72),  # tonic an octave up
        (9, 74),  # second degree an octave up
        (15, 84),
        (0, 59),  # the scale note just below the tonic
        (-1, 57),
        (-5, 50),
        (-6, 48),  # tonic an octave down (1 - 7)
        (-7, 47),
    ],
)
def test_c_major_degrees(degree, note):
    assert MAJOR.degree_to_note(degree, 0, 4) == note


def test_tonic_position_follows_octave_formula():
    assert MAJOR.degree_to_note(1, 9, 4) == 69  # A4
    assert MAJOR.degree_to_note(1, 0, -1) == 0  # C-1
    assert MAJOR.degree_to_note(1, 7, 9) == 127  # G9


@pytest.mark.parametrize(
    ("degree", "note"),
    [(1, 57), (2, 60), (3, 62), (4, 64), (5, 67), (6, 69), (7, 72), (0, 55), (-1, 52)],
)
def test_a_minor_pentatonic_degrees(degree, note):
    assert SCALES["minor_pentatonic"].degree_to_note(degree, 9, 3) == note


def test_degree_out_of_midi_range():
    with pytest.raises(MusicError, match=r"outside 0\.\.127"):
        MAJOR.degree_to_note(2, 7, 9)  # A9 = 129
    with pytest.raises(MusicError, match=r"outside 0\.\.127"):
        MAJOR.degree_to_note(0, 0, -1)  # B-2


@given(any_scale, tonics, st.integers(-1, 8), st.integers(-20, 20))
def test_degree_to_note_is_in_scale_and_rises_with_degree(scale, tonic, octave, degree):
    try:
        low = scale.degree_to_note(degree, tonic, octave)
        high = scale.degree_to_note(degree + 1, tonic, octave)
    except MusicError:
        return  # off the edge of the MIDI range; covered by the test above
    assert scale.contains(low, tonic)
    assert high > low
    assert high - low <= scale.largest_gap
    # One octave of degrees spans exactly one octave of pitch.
    if low + 12 <= 127:
        assert scale.degree_to_note(degree + scale.size, tonic, octave) == low + 12


# --- quantize ----------------------------------------------------------------


@given(any_scale, tonics, midi_notes)
def test_quantize_lands_in_scale(scale, tonic, note):
    assert scale.contains(scale.quantize(note, tonic), tonic)


@given(any_scale, tonics, midi_notes)
def test_quantize_is_idempotent(scale, tonic, note):
    once = scale.quantize(note, tonic)
    assert scale.quantize(once, tonic) == once


@given(any_scale, tonics, midi_notes)
def test_quantize_moves_at_most_the_largest_gap(scale, tonic, note):
    result = scale.quantize(note, tonic)
    assert 0 <= result <= 127
    assert abs(result - note) <= scale.largest_gap


@given(any_scale, tonics, midi_notes)
def test_quantize_picks_a_nearest_in_range_note(scale, tonic, note):
    result = scale.quantize(note, tonic)
    in_scale = [n for n in range(128) if scale.contains(n, tonic)]
    best = min(abs(n - note) for n in in_scale)
    assert abs(result - note) == best
    # Tie rule: of two equally near notes, the lower one wins.
    assert result == min(n for n in in_scale if abs(n - note) == best)


@pytest.mark.parametrize("name", list(SCALES))
def test_quantize_exhaustively_for_named_scales(name):
    scale = SCALES[name]
    for tonic in range(12):
        for note in range(128):
            result = scale.quantize(note, tonic)
            assert scale.contains(result, tonic)
            assert scale.quantize(result, tonic) == result
            assert abs(result - note) <= scale.largest_gap
            if scale.contains(note, tonic):
                assert result == note


@pytest.mark.parametrize(
    ("scale_name", "note", "expected"),
    [
        ("major_pentatonic", 62, 62),  # D is in C major pentatonic
        ("major_pentatonic", 65, 64),  # F: E is one away, G two
        ("major_pentatonic", 66, 67),  # F#: G is one away, E two
        ("major_pentatonic", 71, 72),  # B: C above is nearer than A
        ("whole_tone", 61, 60),  # C#: tie between C and D goes down
        ("whole_tone", 63, 62),  # D#: tie between D and E goes down
        ("major", 61, 60),  # C#: tie goes down to C
        ("major", 66, 65),  # F#: tie goes down to F
        ("major", 70, 69),  # A#: tie goes down to A
        ("minor_pentatonic", 61, 60),  # C#: C is 1 away, Eb 2
        ("minor_pentatonic", 62, 63),  # D: Eb is 1 away, C 2
    ],
)
def test_quantize_examples_and_tie_rule(scale_name, note, expected):
    assert SCALES[scale_name].quantize(note, 0) == expected


def test_quantize_tie_rule_is_documented():
    doc = Scale.quantize.__doc__ or ""
    assert "LOWER" in doc
    assert "melody" in doc


def test_quantize_never_leaves_midi_range():
    # Pitch classes {F, G#}: for G9 (127) the nearest is G#9 = 128, so F9 is used.
    assert Scale.custom([0, 3]).quantize(127, 5) == 125
    # Pitch classes {B, D#}: for C-1 (0) the nearest is B-2 = -1, so D#-1 is used.
    assert Scale.custom([0, 4]).quantize(0, 11) == 3
    # B major lacks C: the tie between B-2 (-1) and C#-1 (1) cannot go down.
    assert MAJOR.quantize(0, 11) == 1


def test_quantize_rejects_out_of_range_notes():
    with pytest.raises(MusicError):
        MAJOR.quantize(-1, 0)
    with pytest.raises(MusicError):
        MAJOR.quantize(128, 0)
