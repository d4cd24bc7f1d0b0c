"""Note names <-> pitch classes <-> MIDI numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import MusicError, TonicError
from appliance.music import midi_to_note, note_to_midi, parse_pitch_class
from appliance.music.notes import check_midi_note, check_pitch_class, pitch_class_name


@pytest.mark.parametrize(
    ("name", "pc"),
    [
        ("C", 0),
        ("c", 0),
        ("C#", 1),
        ("Db", 1),
        ("db", 1),
        ("D", 2),
        ("E", 4),
        ("F", 5),
        ("F#", 6),
        ("Gb", 6),
        ("A", 9),
        ("Bb", 10),
        ("bb", 10),
        ("B", 11),
        ("b", 11),
        ("B#", 0),
        ("Cb", 11),
        ("E#", 5),
        ("Fb", 4),
        ("C##", 2),
        ("Dbb", 0),
        ("F♯", 6),
        ("E♭", 3),
        ("  G  ", 7),
        ("\tA#\n", 10),
    ],
)
def test_parse_pitch_class(name, pc):
    assert parse_pitch_class(name) == pc


@pytest.mark.parametrize(
    "name", ["", " ", "H", "C4", "#", "#C", "C#b", "C###", "Cbbb", "do", "CB", "X#", "1"]
)
def test_parse_pitch_class_rejects_bad_names(name):
    with pytest.raises(MusicError, match="unknown note name"):
        parse_pitch_class(name)


def test_bad_name_message_is_one_helpful_line():
    with pytest.raises(MusicError) as info:
        parse_pitch_class("H")
    message = str(info.value)
    assert message == (
        "unknown note name 'H': expected a letter A-G, optionally followed by # or b "
        "(e.g. C, F#, Bb)"
    )
    assert "\n" not in message


def test_music_error_is_a_value_error_and_tonic_error():
    with pytest.raises(ValueError):
        parse_pitch_class("H")
    with pytest.raises(TonicError):
        note_to_midi("H4")


@pytest.mark.parametrize(
    ("name", "midi"),
    [
        ("C4", 60),
        ("c4", 60),
        ("A4", 69),
        ("Bb3", 58),
        ("A#3", 58),
        ("F#3", 54),
        ("C-1", 0),
        ("C#-1", 1),
        ("Bb-1", 10),
        ("G9", 127),
        ("B#3", 60),
        ("Cb4", 59),
        ("C♯4", 61),
        ("D♭4", 61),
        (" E5 ", 76),
    ],
)
def test_note_to_midi_known_values(name, midi):
    assert note_to_midi(name) == midi


@pytest.mark.parametrize("name", ["G#9", "A9", "Cb-1", "C-2", "C10"])
def test_note_to_midi_out_of_range(name):
    with pytest.raises(MusicError, match=r"outside the MIDI range 0\.\.127"):
        note_to_midi(name)


@pytest.mark.parametrize("name", ["", "C", "H4", "C 4", "4C", "C#b4", "C4.5", "C+4", "Cx4"])
def test_note_to_midi_rejects_bad_names(name):
    with pytest.raises(MusicError, match="unknown note"):
        note_to_midi(name)


@pytest.mark.parametrize(
    ("midi", "sharp", "flat"),
    [
        (0, "C-1", "C-1"),
        (58, "A#3", "Bb3"),
        (60, "C4", "C4"),
        (61, "C#4", "Db4"),
        (69, "A4", "A4"),
        (127, "G9", "G9"),
    ],
)
def test_midi_to_note(midi, sharp, flat):
    assert midi_to_note(midi) == sharp
    assert midi_to_note(midi, prefer_flats=True) == flat


@pytest.mark.parametrize("midi", range(128))
@pytest.mark.parametrize("prefer_flats", [False, True])
def test_every_midi_note_round_trips(midi, prefer_flats):
    assert note_to_midi(midi_to_note(midi, prefer_flats=prefer_flats)) == midi


@given(st.integers(0, 11), st.booleans())
def test_pitch_class_name_round_trips(pc, prefer_flats):
    assert parse_pitch_class(pitch_class_name(pc, prefer_flats=prefer_flats)) == pc


def test_pitch_class_names():
    assert [pitch_class_name(pc) for pc in range(12)] == [
        "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
    ]  # fmt: skip
    assert [pitch_class_name(pc, prefer_flats=True) for pc in range(12)] == [
        "C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B",
    ]  # fmt: skip


@pytest.mark.parametrize("midi", [-1, 128, 130, 1000])
def test_midi_to_note_rejects_out_of_range(midi):
    with pytest.raises(MusicError):
        midi_to_note(midi)


def test_check_midi_note():
    assert check_midi_note(0) == 0
    assert check_midi_note(127) == 127
    with pytest.raises(MusicError) as info:
        check_midi_note(130)
    assert str(info.value) == "MIDI note must be in range 0..127, got 130"


@pytest.mark.parametrize("value", [True, 60.0, "60", None])
def test_check_midi_note_rejects_non_integers(value):
    with pytest.raises(MusicError, match="must be an integer"):
        check_midi_note(value)


@pytest.mark.parametrize("pc", [-1, 12, 60])
def test_check_pitch_class_rejects_out_of_range(pc):
    with pytest.raises(MusicError, match=r"0\.\.11"):
        check_pitch_class(pc)
    with pytest.raises(MusicError):
        pitch_class_name(pc)
