"""Familiar songs: the text format, transposition, and every song that ships."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest

from appliance.music import Key
from appliance.music.song import SongError
from appliance.music.song_text import parse_song
from appliance.music.songs import UnknownSongError, all_songs, song_named

KEYS = [Key(tonic, Key.parse("C", "major").scale) for tonic in range(12)]

GOOD = """\
# a comment
title: Test Song
key: G major
metre: 3/4
tempo: 90

| [I] G4:1/2 A4:1/2 | [IV] C5 B4 [V7] A4 |
| [I] G4:2 r |
"""

TWINKLE = [0, 0, 7, 7, 9, 9, 7]

# A melody within this range on every key is playable on any GM instrument
# and singable with an octave shift; the box plays it without folding.
PLAYABLE = range(48, 85)


def parse(text: str):
    return parse_song(text, name="test", origin="test.song")


def test_a_good_file_gives_title_key_metre_bars_and_phrases():
    song = parse(GOOD)
    assert (song.title, song.key.tonic, str(song.metre), song.tempo) == ("Test Song", 7, "3/4", 90)
    assert [bar.counts for bar in song.bars] == [1, 3, 3]
    assert [n.offset for n in song.melody] == [0, 2, 5, 4, 2, 0, None]
    assert [n.counts for n in song.melody][:2] == [Fraction(1, 2), Fraction(1, 2)]
    in_g = song.in_key(Key.parse("G", "major"))
    assert [n.note for n in in_g.notes] == [67, 69, 72, 71, 69, 67]
    # Each line is one phrase; a phrase ending on a rest ends on its last note.
    assert [len(p) for p in in_g.phrases] == [5, 1]
    # Chords: I over the pickup, IV, then V7 from count 2 of bar 2, then I.
    assert [c.text for c in in_g.chords] == ["I", "IV", "V7", "I"]
    assert in_g.chords[2].notes == (50, 54, 57, 60)  # D F# A C
    assert [(c.start, c.counts) for c in in_g.chords] == [(0, 1), (1, 2), (3, 1), (4, 3)]
    assert in_g.notes[4].chord == in_g.chords[2].notes


def test_chord_names_and_roman_numerals_mean_the_same_chord():
    named = parse(GOOD.replace("[IV]", "[C]").replace("[V7]", "[D7]").replace("[I]", "[G]"))
    roman = parse(GOOD)
    key = Key.parse("E", "major")
    assert [c.notes for c in named.in_key(key).chords] == [
        c.notes for c in roman.in_key(key).chords
    ]
    minor = parse(GOOD.replace("[IV]", "[Em]")).in_key(Key.parse("G", "major"))
    assert minor.chords[1].notes == (52, 55, 59)  # E G B


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        (("tempo: 90", "tempo: fast"), 5, "tempo must be a whole number"),
        (("metre: 3/4", "metre: 3"), 4, "metre must look like"),
        (("key: G major", "key: H major"), 3, "unknown note name"),
        (("key: G major", "key: G lydian"), 3, "major or minor"),
        (("C5 B4", "C5 X4"), 7, "'X4' is not a note"),
        (("C5 B4", "C5:0 B4"), 7, "must be a positive number"),
        (("[IV]", "[XI]"), 7, "unknown chord [XI]"),
        (("[V7] A4 |", "[V7] A4 A4 |"), 7, "bar 2 has 4 counts, but 3/4 needs 3"),
        (("| [I] G4:2 r |", "| [I] G4:2 r"), 8, "must end with '|'"),
        (("title: Test Song", "name: Test Song"), 2, "expected a header line"),
        (("| [I] G4:2 r |", "| [I] G4:2 r |\ntempo: 80"), 9, "after the bars"),
        (("| [I] G4:1/2", "| G4:1/2"), 7, "first bar must start with a chord"),
    ],
)
def test_each_error_names_the_file_line_and_fault(change, line, says):
    with pytest.raises(SongError) as caught:
        parse(GOOD.replace(*change))
    message = str(caught.value)
    assert message.startswith(f"test.song:{line}: "), message
    assert says in message


def test_sharps_are_notes_and_chords_not_comments():
    song = parse(GOOD.replace("key: G major", "key: F# major").replace("C5 B4", "B4 A#4"))
    assert song.key.tonic == 6
    assert [n.offset for n in song.melody][2:4] == [5, 4]
    sharp_chord = parse(GOOD.replace("[IV]", "[F#m]")).in_key(Key.parse("G", "major"))
    assert sharp_chord.chords[1].notes == (54, 57, 61)  # F# A C#


def test_a_missing_header_field_is_named():
    with pytest.raises(SongError, match=r"^test.song: no 'tempo' line"):
        parse(GOOD.replace("tempo: 90\n", ""))


def test_a_bar_too_long_is_refused_even_first_or_last():
    with pytest.raises(SongError, match="bar 1 has 4 counts"):
        parse(GOOD.replace("G4:1/2 A4:1/2", "G4:2 A4:2"))


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.name)
def test_transposition_keeps_every_interval_and_lands_on_the_tonic(key):
    song = parse(GOOD)
    written = [n.note for n in song.in_key(song.key).notes]
    moved = song.in_key(key)
    notes = [n.note for n in moved.notes]
    assert [b - a for a, b in pairwise(notes)] == [b - a for a, b in pairwise(written)]
    assert notes[0] % 12 == key.tonic  # this melody starts on its tonic
    assert moved.chords[0].notes[0] % 12 == key.tonic


def test_every_key_sings_at_much_the_same_height():
    twinkle = song_named("twinkle_twinkle")
    firsts = [twinkle.in_key(key).notes[0].note for key in KEYS]
    assert max(firsts) - min(firsts) == 11


def test_at_least_twelve_songs_ship():
    names = [song.name for song in all_songs()]
    assert len(names) >= 12
    for wanted in (
        "twinkle",
        "birthday",
        "macdonald",
        "frere",
        "boat",
        "happy",
        "bus",
        "black_sheep",
        "hot_cross",
        "mary",
        "london",
        "ode",
    ):
        assert any(wanted in name for name in names), wanted


@pytest.mark.parametrize("song", all_songs(), ids=lambda s: s.name)
def test_every_packaged_song_is_complete_and_playable_in_every_key(song):
    assert song.title
    assert len(song.bars) >= 4
    assert song.bars[0].chords and song.bars[0].chords[0][0] == 0
    for key in KEYS:
        placed = song.in_key(key)
        assert all(n.note in PLAYABLE for n in placed.notes), (key.name, placed.notes)
        assert all(n.chord for n in placed.notes)  # a chord under every note
        total = sum((bar.counts for bar in song.bars), Fraction(0))
        assert sum((c.counts for c in placed.chords), Fraction(0)) == total
        assert placed.phrases[-1][-1].phrase_end


def test_twinkle_starts_on_the_tonic_with_a_leap_to_the_fifth():
    placed = song_named("Twinkle Twinkle").in_key(Key.parse("D", "major"))
    notes = [n.note for n in placed.notes[:7]]
    assert [n - notes[0] for n in notes] == TWINKLE
    assert notes[0] % 12 == 2


def test_an_unknown_song_suggests_the_nearest_name():
    with pytest.raises(UnknownSongError, match="did you mean 'twinkle_twinkle'"):
        song_named("twinkle_twinkel")


@pytest.mark.parametrize("scale", ["minor", "minor_pentatonic", "dorian"])
def test_in_a_minor_key_a_song_is_sung_in_the_natural_minor(scale):
    key = Key.parse("A", scale)
    natural_minor = Key.parse("A", "minor").pitch_classes
    for song in all_songs():
        placed = song.in_key(key)
        assert {n.note % 12 for n in placed.notes} <= natural_minor, song.name
        assert all({p % 12 for p in c.notes} <= natural_minor for c in placed.chords), song.name
    twinkle = song_named("twinkle_twinkle").in_key(key)
    # C C G G A A G: the sixth falls a semitone, the leap to the fifth stays.
    notes = [n.note for n in twinkle.notes[:7]]
    assert [n - notes[0] for n in notes] == [0, 0, 7, 7, 8, 8, 7]
    assert twinkle.chords[0].notes == (57, 60, 64)  # I is A minor: A3 C4 E4
    assert twinkle.chords[1].notes == (50, 53, 57)  # IV is D minor


def test_in_a_major_key_a_song_keeps_its_major():
    twinkle = song_named("twinkle_twinkle").in_key(Key.parse("A", "major_pentatonic"))
    assert twinkle.chords[0].notes == (57, 61, 64)  # A major
