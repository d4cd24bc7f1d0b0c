"""Reading the chord a therapist holds, and moving a client's note onto it."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.music import Key, note_to_midi, parse_pitch_class
from appliance.music.heard_chord import HeardChord, hear_chord
from appliance.music.notes import PitchClass

C_MAJOR = Key.parse("C", "major")
A_MINOR = Key.parse("A", "natural_minor")
C_PENTATONIC = Key.parse("C", "major_pentatonic")


def notes(text: str) -> list[int]:
    return [int(note_to_midi(n)) for n in text.split()]


def classes(text: str) -> frozenset[int]:
    return frozenset(parse_pitch_class(n) for n in text.split())


def inversions(voicing: list[int]) -> list[list[int]]:
    """Every inversion of a close voicing: the lowest note moved up an octave each time."""
    out = [voicing]
    for _ in range(len(voicing) - 1):
        last = out[-1]
        out.append([*last[1:], last[0] + 12])
    return out


# -- three or more notes: the chord as held ----------------------------------------


@pytest.mark.parametrize(
    ("root_position", "name"),
    [
        ("C4 E4 G4", "C major"),
        ("A3 C4 E4", "A minor"),
        ("B3 D4 F4", "B diminished"),
        ("C4 E4 G#4", "C augmented"),
        ("G3 B3 D4 F4", "G7"),
        ("C4 E4 G4 B4", "C major 7"),
        ("D4 F4 A4 C5", "D minor 7"),
        ("B3 D4 F4 A4", "B half-diminished 7"),
    ],
)
def test_triads_and_sevenths_in_every_inversion_are_the_chord_held(root_position, name):
    held = notes(root_position)
    for voicing in inversions(held):
        heard = hear_chord(voicing, C_MAJOR)
        assert heard is not None
        assert heard.tones == {n % 12 for n in held}, voicing
        if "augmented" not in name:  # symmetric: named from its bass, see below
            assert heard.name == name, voicing


def test_an_augmented_triad_is_named_from_its_bass():
    assert hear_chord(notes("E4 G#4 C5"), C_MAJOR).name == "E augmented"


@pytest.mark.parametrize("bass", ["C2", "C3", "E2", "G2"])
def test_a_doubled_bass_changes_nothing(bass):
    heard = hear_chord([*notes("C4 E4 G4"), int(note_to_midi(bass))], C_MAJOR)
    assert heard.tones == classes("C E G")
    assert heard.name == "C major"


def test_the_order_the_notes_come_in_and_repeats_do_not_matter():
    assert hear_chord([67, 60, 64, 60, 67], C_MAJOR) == hear_chord([60, 64, 67], C_MAJOR)


def test_a_chord_outside_the_key_is_still_the_chord_held():
    heard = hear_chord(notes("Bb3 D4 F4"), C_MAJOR)
    assert heard.tones == classes("Bb D F")
    assert heard.name == "A# major"  # C major spells with sharps
    assert hear_chord(notes("Bb3 D4 F4"), Key.parse("F", "major")).name == "Bb major"


def test_a_non_tertian_cluster_is_its_notes():
    heard = hear_chord(notes("C4 C#4 D4"), C_MAJOR)
    assert heard.tones == classes("C C# D")
    assert heard.name == "C-C#-D"
    fourths = hear_chord(notes("D4 G4 C5 F5"), Key.parse("F", "major"))
    assert fourths.tones == classes("D G C F")
    assert fourths.name == "C-D-F-G"


def test_a_sixth_chord_is_named_as_the_seventh_it_shares_its_notes_with():
    # C6 and A minor 7 are the same four notes; only the seventh has a name here.
    assert hear_chord(notes("A3 C4 E4 G4"), C_MAJOR).name == "A minor 7"
    assert hear_chord(notes("C4 E4 G4 A4"), C_MAJOR).name == "A minor 7"


# -- one note: the triad on it that fits the key ------------------------------------


@pytest.mark.parametrize(
    ("note", "key", "tones", "name"),
    [
        # Every degree of C major: its diatonic triad.
        ("C4", C_MAJOR, "C E G", "C major"),
        ("D4", C_MAJOR, "D F A", "D minor"),
        ("E4", C_MAJOR, "E G B", "E minor"),
        ("F4", C_MAJOR, "F A C", "F major"),
        ("G4", C_MAJOR, "G B D", "G major"),
        ("A4", C_MAJOR, "A C E", "A minor"),
        ("B4", C_MAJOR, "B D F", "B diminished"),
        # A natural minor: the same notes, the same triads.
        ("A3", A_MINOR, "A C E", "A minor"),
        ("C4", A_MINOR, "C E G", "C major"),
        ("E4", A_MINOR, "E G B", "E minor"),
        ("B3", A_MINOR, "B D F", "B diminished"),
        # Harmonic minor raises the seventh: E is major there.
        ("E4", Key.parse("A", "harmonic_minor"), "E G# B", "E major"),
        ("D4", Key.parse("D", "minor_pentatonic"), "D F A", "D minor"),
    ],
)
def test_a_single_note_is_its_triad_in_the_key(note, key, tones, name):
    heard = hear_chord(notes(note), key)
    assert heard.tones == classes(tones)
    assert heard.name == name


@pytest.mark.parametrize(
    ("note", "tones"),
    [
        # C major pentatonic has no F and no B: its parent, C major, decides.
        ("C4", "C E G"),
        ("D4", "D F A"),
        ("E4", "E G B"),
        ("G4", "G B D"),  # G major, not a G minor with a B-flat against the key
        ("A4", "A C E"),
    ],
)
def test_a_single_note_in_a_pentatonic_key_is_its_parent_scale_triad(note, tones):
    assert hear_chord(notes(note), C_PENTATONIC).tones == classes(tones)


def test_a_single_note_in_a_minor_pentatonic_key_follows_natural_minor():
    key = Key.parse("A", "minor_pentatonic")
    assert hear_chord(notes("G4"), key).tones == classes("G B D")
    assert hear_chord(notes("D4"), key).tones == classes("D F A")
    assert hear_chord(notes("A4"), key).tones == classes("A C E")


def test_a_single_note_outside_the_key_is_a_real_triad():
    # C# in C major: not a major third with a diminished fifth (C#-F-G).
    heard = hear_chord(notes("C#4"), C_MAJOR)
    assert heard.tones == classes("C# E G")
    assert heard.name == "C# diminished"


def test_a_single_note_in_a_whole_tone_key_is_augmented():
    heard = hear_chord(notes("C4"), Key.parse("C", "whole_tone"))
    assert heard.name == "C augmented"


@pytest.mark.parametrize("key", [C_MAJOR, A_MINOR, C_PENTATONIC, Key.parse("Eb", "blues")])
@pytest.mark.parametrize("note", range(48, 72))
def test_a_single_note_is_always_a_triad_on_it(key, note):
    heard = hear_chord([note], key)
    root = note % 12
    intervals = sorted((t - root) % 12 for t in heard.tones)
    assert intervals in ([0, 4, 7], [0, 3, 7], [0, 3, 6], [0, 4, 8])


# -- two notes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "tones", "name"),
    [
        ("C4 G4", "C E G", "C major"),  # a fifth: the lower is the root
        ("G3 C4", "C E G", "C major"),  # a fourth is an inverted fifth: the upper
        ("C4 E4", "C E G", "C major"),  # a third
        ("E3 C4", "C E G", "C major"),  # a sixth is an inverted third
        ("A3 C4", "A C E", "A minor"),
        ("C4 A4", "A C E", "A minor"),
        ("D4 F4", "D F A", "D minor"),
        ("C3 G3 C4", "C E G", "C major"),  # a doubled note is still two
    ],
)
def test_two_notes_are_the_triad_on_their_root(held, tones, name):
    heard = hear_chord(notes(held), C_MAJOR)
    assert heard.tones == classes(tones)
    assert heard.name == name


def test_two_notes_keep_a_third_the_key_does_not_have():
    # E-natural held against C minor: the therapist's third, not the key's.
    heard = hear_chord(notes("C4 E4"), Key.parse("C", "natural_minor"))
    assert heard.tones == classes("C E G")


def test_a_second_is_the_lower_notes_triad_with_the_upper_added():
    heard = hear_chord(notes("C4 D4"), C_MAJOR)
    assert heard.tones == classes("C D E G")
    assert heard.name == "C-D-E-G"


def test_no_notes_is_no_chord():
    assert hear_chord([], C_MAJOR) is None


# -- moving a note onto the chord -------------------------------------------------------


C_CHORD = HeardChord(frozenset(PitchClass(c) for c in (0, 4, 7)), "C major")


@pytest.mark.parametrize(
    ("note", "nearest"),
    [
        (60, 60),  # a chord tone stays
        (61, 60),  # C# is nearer C than E
        (62, 60),  # D is two from C and two from E: the tie goes down
        (63, 64),
        (65, 64),  # F: one from E
        (66, 67),
        (69, 67),  # A: two from G, three from C
        (70, 72),
        (71, 72),
        (0, 0),
        (127, 127),  # G9, the top of MIDI, is a G
        (1, 0),
    ],
)
def test_a_note_moves_to_the_nearest_chord_tone_ties_down(note, nearest):
    assert C_CHORD.nearest(note) == nearest


def test_the_tie_goes_down_at_every_octave():
    a_minor = hear_chord(notes("A3 C4 E4"), C_MAJOR)
    # D is two from C and two from E: down to C. B is nearer C; G nearer A.
    for octave in range(1, 8):
        c = 12 * octave
        assert a_minor.nearest(c + 2) == c
        assert a_minor.nearest(c - 1) == c
        assert a_minor.nearest(c - 5) == c - 3


def test_the_nearest_tone_stays_inside_midi():
    top = HeardChord(frozenset({PitchClass(1)}), "C#")  # C#10 would be 133
    assert top.nearest(127) == 121
    bottom = HeardChord(frozenset({PitchClass(11)}), "B")
    assert bottom.nearest(0) == 11


def test_above_is_the_next_chord_tone_up():
    assert [C_CHORD.above(n) for n in (60, 62, 64, 67, 71)] == [64, 64, 67, 72, 72]


@given(
    st.sets(st.integers(0, 11), min_size=1, max_size=12),
    st.integers(0, 127),
)
def test_nearest_is_a_chord_tone_and_no_other_is_nearer(tones, note):
    chord = HeardChord(frozenset(PitchClass(t) for t in tones), "any")
    got = chord.nearest(note)
    assert got % 12 in tones
    assert 0 <= got <= 127
    closer = [n for n in range(128) if n % 12 in tones and abs(n - note) < abs(got - note)]
    assert closer == []
    if got > note:  # rising only when nothing as near lies below
        assert note - (got - note) < 0 or (note - (got - note)) % 12 not in tones


def test_every_triad_in_every_key_reads_back_as_itself():
    for tonic, shape in itertools.product(range(12), ((0, 4, 7), (0, 3, 7))):
        chord = [48 + tonic + i for i in shape]
        heard = hear_chord(chord, C_MAJOR)
        assert heard.tones == frozenset((48 + tonic + i) % 12 for i in shape)
