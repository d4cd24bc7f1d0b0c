"""The loops that ship: all load, all play in every key, and each has a drone to wait on."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.music.loop import Loop, PartRole, Tone
from appliance.music.loop_text import NORMAL
from appliance.music.loops import UnknownLoopError, all_loops, loop_named, loop_names
from appliance.music.song import Metre

TONICS = range(12)
PLAYABLE = range(128)
STYLES = (
    "drone",
    "pulse",
    "lullaby",
    "walking",
    "rock",
    "calypso",
    "ambient",
    "march",
    "waltz",
    "drop",
    "shanty",
)


def test_at_least_ten_loops_ship_in_every_style_asked_for():
    names = loop_names()
    assert len(names) >= 10
    for style in STYLES:
        assert any(style in name for name in names), style


def test_names_and_titles_are_unique_and_sorted():
    names = loop_names()
    assert list(names) == sorted(set(names))
    titles = [loop.title for loop in all_loops()]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize("loop", all_loops(), ids=lambda loop: loop.name)
def test_every_bar_plays_in_every_key_major_and_minor(loop: Loop):
    for minor in (False, True):
        chords = loop.minor if minor else loop.progression
        for bar in range(len(chords)):
            chord = loop.chord_at(bar, minor)
            for tonic in TONICS:
                placed = loop.notes_in_bar(chord, tonic)
                assert placed, (loop.name, bar, tonic)
                pitches = {(tonic + i + chord.root) % 12 for i in chord.quality.intervals}
                for hit in placed:
                    assert all(n in PLAYABLE for n in hit.notes), (loop.name, hit)
                    if hit.role is not PartRole.DRUMS:
                        # Every pitched note is a note of this bar's chord in this key.
                        assert {n % 12 for n in hit.notes} <= pitches, (loop.name, chord, hit)


@pytest.mark.parametrize("loop", all_loops(), ids=lambda loop: loop.name)
def test_every_loop_has_a_soft_drone_to_wait_on(loop: Loop):
    drone = [part for part in loop.parts if part.in_drone]
    assert drone, loop.name
    assert all(part.role in (PartRole.PAD, PartRole.BASS) for part in drone)
    chord = loop.chord_at(0, minor=False)
    assert loop.notes_in_bar(chord, 0, drone=True)
    assert any(part.role is PartRole.PAD for part in loop.parts)


@pytest.mark.parametrize("loop", all_loops(), ids=lambda loop: loop.name)
def test_every_loop_is_complete_and_gentle(loop: Loop):
    assert loop.title and loop.mood and loop.name
    assert 40 <= loop.tempo <= 160
    assert loop.steps % loop.beats == 0
    assert len(loop.progression) == len(loop.minor) >= 1
    assert len({part.role for part in loop.parts}) == len(loop.parts)
    for part in loop.parts:
        for hit in part.hits:
            assert hit.step >= 0 and hit.step + hit.length <= loop.steps, (loop.name, hit)
            if part.in_drone:
                assert hit.velocity <= NORMAL, (loop.name, hit)  # the drone is never accented


def test_the_drone_is_tonic_and_fifth_held_with_no_drums():
    drone = loop_named("drone")
    assert all(part.in_drone for part in drone.parts)
    assert PartRole.DRUMS not in {part.role for part in drone.parts}
    placed = drone.notes_in_bar(drone.chord_at(0, minor=True), 2)  # D minor
    assert {n % 12 for hit in placed for n in hit.notes} == {2, 9}  # D and A
    assert all(hit.step == 0 and hit.length == drone.steps for hit in placed)


def test_the_lullaby_and_the_waltz_are_in_three():
    assert loop_named("lullaby").metre == Metre(3, 4)
    assert loop_named("waltz").metre == Metre(3, 4)


def test_the_walking_bass_walks_on_swung_triplets():
    walking = loop_named("walking swing")
    assert walking.steps_per_beat == 3
    (bass,) = [part for part in walking.parts if part.role is PartRole.BASS]
    assert [hit.step for hit in bass.hits] == [0, 3, 6, 9]  # one note a beat
    assert {hit.sound for hit in bass.hits} >= {Tone.ROOT, Tone.LOW_FIFTH, Tone.THIRD}


def test_the_shanty_sways_in_two_dotted_beats():
    shanty = loop_named("Sea-Shanty")
    assert (shanty.metre, shanty.beats) == (Metre(6, 8), 2)


def test_the_docs_list_every_loop():
    docs = (Path(__file__).parents[2] / "docs" / "loops.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in docs.splitlines() if line.startswith("| `")}
    for loop in all_loops():
        cells = [cell.strip() for cell in rows[loop.name].split("|")]
        assert cells[2:5] == [loop.mood, str(loop.metre), str(loop.tempo)], loop.name


def test_lookup_forgives_case_spaces_and_hyphens():
    assert loop_named("  Gentle Pulse ") is loop_named("gentle-pulse") is loop_named("GENTLE_PULSE")


def test_an_unknown_loop_suggests_the_nearest_name():
    with pytest.raises(UnknownLoopError, match="did you mean 'calypso'"):
        loop_named("calipso")
    with pytest.raises(LookupError, match="`tonic loops` lists them"):
        loop_named("zzzz")
