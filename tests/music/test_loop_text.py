"""The ``.loop`` text format: every kind of step, the header, and what a bad file is told."""

from __future__ import annotations

import pytest

from appliance.music.loop import Hit, Loop, PartRole
from appliance.music.loop_text import ACCENT, NORMAL, SOFT, LoopError, parse_loop
from appliance.music.song import ChordQuality, Metre

GOOD = """\
# a comment
title: Test Loop
mood: bright, dancing
metre: 4/4
tempo: 100
steps: 8
major: I IV V7 I
minor: i iv V7 bVII

drums: standard_kit
  kick        X . . . x - . .
  closed_hat  o o x o o o x o
bass: acoustic_bass
  R - - L 3 5 7 8!
chords: electric_piano_1
  . (x) . x . (x) - -
pad: warm pad drone
  R - - - - - - -
  5 - - - - - - -
"""


def parse(text: str) -> Loop:
    return parse_loop(text, name="test", origin="test.loop")


def good():
    loop = parse(GOOD)
    return loop, {part.role: part for part in loop.parts}


def test_the_header():
    loop, _ = good()
    assert loop.name == "test"
    assert loop.title == "Test Loop"
    assert loop.mood == "bright, dancing"
    assert loop.metre == Metre(4, 4)
    assert (loop.tempo, loop.steps, loop.beats) == (100, 8, 4)
    assert [(c.root, c.quality) for c in loop.progression] == [
        (0, ChordQuality.MAJOR),
        (5, ChordQuality.MAJOR),
        (7, ChordQuality.DOMINANT_SEVENTH),
        (0, ChordQuality.MAJOR),
    ]
    assert [(c.root, c.quality) for c in loop.minor] == [
        (0, ChordQuality.MINOR),
        (5, ChordQuality.MINOR),
        (7, ChordQuality.DOMINANT_SEVENTH),
        (10, ChordQuality.MAJOR),
    ]


def test_parts_keep_their_order_instrument_and_drone_mark():
    loop, parts = good()
    assert [p.role for p in loop.parts] == list(PartRole)
    assert parts[PartRole.DRUMS].instrument == "standard_kit"
    # A friendly name is stored as its General MIDI name.
    assert parts[PartRole.PAD].instrument == "pad_2_warm"
    assert [p.in_drone for p in loop.parts] == [False, False, False, True]


def test_drum_hits_normal_accented_soft_and_held():
    _, parts = good()
    kick = [h for h in parts[PartRole.DRUMS].hits if h.sound == "kick"]
    assert kick == [Hit(0, 1, "kick", ACCENT), Hit(4, 2, "kick", NORMAL)]
    hats = [h for h in parts[PartRole.DRUMS].hits if h.sound == "closed_hat"]
    assert [(h.step, h.velocity) for h in hats] == [
        (0, SOFT),
        (1, SOFT),
        (2, NORMAL),
        (3, SOFT),
        (4, SOFT),
        (5, SOFT),
        (6, NORMAL),
        (7, SOFT),
    ]
    assert all(h.length == 1 for h in hats)
    steps = [h.step for h in parts[PartRole.DRUMS].hits]
    assert steps == sorted(steps)  # the rows merge in step order


def test_every_chord_tone_holds_and_an_accent():
    _, parts = good()
    assert parts[PartRole.BASS].hits == (
        Hit(0, 3, "R", NORMAL),
        Hit(3, 1, "L", NORMAL),
        Hit(4, 1, "3", NORMAL),
        Hit(5, 1, "5", NORMAL),
        Hit(6, 1, "7", NORMAL),
        Hit(7, 1, "8", ACCENT),
    )


def test_a_whole_chord_soft_and_a_hold_to_the_bar_end():
    _, parts = good()
    assert parts[PartRole.CHORDS].hits == (
        Hit(1, 1, "x", SOFT),
        Hit(3, 1, "x", NORMAL),
        Hit(5, 3, "x", SOFT),
    )


def test_a_pitched_part_may_have_several_rows_one_a_voice():
    _, parts = good()
    assert parts[PartRole.PAD].hits == (Hit(0, 8, "R", NORMAL), Hit(0, 8, "5", NORMAL))


def test_velocities_rise_from_soft_to_accent_and_stay_gentle():
    assert 0 < SOFT < NORMAL < ACCENT < 127


@pytest.mark.parametrize(
    ("metre", "steps", "beats"),
    [("3/4", "6", 3), ("6/8", "6", 2), ("2/4", "4", 2), ("4/4", "12", 4)],
)
def test_steps_that_divide_into_the_beats(metre, steps, beats):
    text = GOOD.replace("metre: 4/4", f"metre: {metre}").replace("steps: 8", f"steps: {steps}")
    text = text.split("drums:")[0] + f"pad: pad_2_warm drone\n  {'x ' * int(steps)}\n"
    loop = parse(text)
    assert (loop.beats, loop.steps) == (beats, int(steps))


# -- errors ---------------------------------------------------------------------------


def fails(text: str, match: str) -> str:
    with pytest.raises(LoopError, match=match) as caught:
        parse(text)
    return str(caught.value)


def test_errors_are_music_errors_and_value_errors():
    with pytest.raises(ValueError):
        parse(GOOD.replace("tempo: 100", "tempo: fast"))


def test_a_row_with_the_wrong_number_of_steps_names_both_counts():
    fails(
        GOOD.replace("X . . . x - . .", "X . . . x - ."),
        r"^test.loop:11: the kick row has 7 steps, but 'steps: 8' needs 8$",
    )
    fails(
        GOOD.replace("R - - L 3 5 7 8!", "R - - L 3 5 7 8! ."),
        r"^test.loop:14: this bass row has 9 steps",
    )


def test_an_unknown_drum_suggests_the_nearest():
    fails(
        GOOD.replace("closed_hat  o", "closed_hats  o"),
        r"^test.loop:12: unknown drum 'closed_hats'.*did you mean 'closed_hat'\?",
    )


def test_a_drum_nothing_like_any_lists_them_all():
    message = fails(GOOD.replace("kick  ", "zzzzzz"), r"^test.loop:11: unknown drum 'zzzzzz'")
    assert "kick, side_stick, snare" in message


def test_an_unknown_step_token_says_what_is_allowed():
    fails(
        GOOD.replace("R - - L", "R - - Q"),
        r"^test.loop:14: step 4 is 'Q': expected .*R 3 5 7 8 L x",
    )
    fails(
        GOOD.replace("X . . .", "X . . R"), r"^test.loop:11: step 4 is 'R': expected .*X \(accent\)"
    )
    fails(GOOD.replace("R - - L", "R - - (L"), r"step 4 is '\(L'")


def test_a_hold_must_follow_a_note():
    fails(
        GOOD.replace("X . . . x - . .", "- . . . x - . ."),
        r"^test.loop:11: '-' at step 1 holds nothing",
    )
    fails(GOOD.replace(". (x) . x", ". - . x"), r"^test.loop:16: '-' at step 2 holds nothing")


def test_an_unknown_instrument_suggests_the_nearest():
    fails(
        GOOD.replace("acoustic_bass", "acoustic_bas"),
        r"^test.loop:13: unknown instrument 'acoustic_bas'; did you mean 'acoustic_bass'\?",
    )


def test_drums_need_a_kit_and_other_parts_a_pitched_instrument():
    fails(
        GOOD.replace("drums: standard_kit", "drums: marimba"),
        r"^test.loop:10: the drums part needs a drum kit",
    )
    fails(
        GOOD.replace("bass: acoustic_bass", "bass: brush_kit"),
        r"^test.loop:13: a bass part needs a pitched",
    )
    fails(
        GOOD.replace("pad: warm pad drone", "pad: drone"),
        r"^test.loop:17: the pad part names no instrument",
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (("tempo: 100", "tempo: 200"), r"^test.loop:5: tempo must be .* 40..160, got '200'"),
        (("tempo: 100", "tempo: 39"), r"tempo must be .* 40..160"),
        (("metre: 4/4", "metre: four"), r"^test.loop:4: metre must look like 4/4"),
        (
            ("steps: 8", "steps: 10"),
            r"^test.loop:6: steps must be .* 4/4's 4 beats .* e.g. 8 or 16",
        ),
        (("steps: 8", "steps: 0"), r"steps must be"),
        (("steps: 8", "steps: 64"), r"steps must be a whole number up to 48"),
        (
            ("metre: 4/4\ntempo: 100\nsteps: 8", "metre: 6/8\ntempo: 100\nsteps: 9"),
            r"^test.loop:6: steps must .* 6/8's 2 beats .* e.g. 6 or 12",
        ),
    ],
)
def test_bad_header_values(change, match):
    fails(GOOD.replace(*change), match)


def test_the_progressions_must_match_in_length():
    fails(
        GOOD.replace("minor: i iv V7 bVII", "minor: i iv V7"),
        r"^test.loop:8: 'minor' has 3 chords but 'major' has 4",
    )
    fails(GOOD.replace("major: I IV V7 I", "major:"), r"^test.loop:7: no chords")


def test_chords_are_roman_numerals_only():
    fails(
        GOOD.replace("I IV V7 I", "C F G7 C"),
        r"^test.loop:7: chord 'C' is a name, .* Roman numeral",
    )
    fails(GOOD.replace("I IV V7 I", "I IV V9 I"), r"^test.loop:7: unknown chord \[V9\]")


def test_a_missing_header_field_is_named():
    fails(GOOD.replace("mood: bright, dancing\n", ""), r"^test.loop: no 'mood' line")


def test_an_unknown_line_suggests_the_nearest_field():
    fails(
        GOOD.replace("tempo:", "temp:"),
        r"^test.loop:5: unknown line 'temp' \(did you mean 'tempo'\?\)",
    )


def test_a_header_line_after_the_parts():
    fails(GOOD + "tempo: 90\n", r"^test.loop:20: header line 'tempo' after the parts")


def test_a_field_or_role_given_twice():
    fails(GOOD.replace("steps: 8", "steps: 8\nsteps: 8"), r"^test.loop:7: 'steps' given twice")
    fails(GOOD + "bass: tuba\n  R . . . . . . .\n", r"^test.loop:20: a second 'bass' part")
    fails(
        GOOD.replace("  closed_hat", "  kick        x . . . . . . .\n  closed_hat"),
        r"^test.loop:12: a second kick row",
    )


def test_rows_before_any_part_and_parts_without_rows():
    fails(
        GOOD.replace("drums: standard_kit\n", ""), r"^test.loop:10: a row of steps before any part"
    )
    fails(
        GOOD.replace("chords: electric_piano_1\n  . (x) . x . (x) - -\n", "chords: marimba\n"),
        r"^test.loop:15: the chords part has no rows",
    )
    fails(
        GOOD.replace(". (x) . x . (x) - -", ". . . . . . . ."),
        r"^test.loop:15: the chords part is all rests",
    )


def test_a_loop_needs_a_part():
    fails(GOOD.split("drums:")[0], r"^test.loop: no parts")
