"""The starter profiles: each plays every input it sets up, cleanly, through the real synth."""

from __future__ import annotations

import logging
from collections import Counter
from importlib import resources

import pytest
from audio_analysis import rms

from appliance.config import BeamWiring, BoxConfig
from appliance.engine.accompaniment import LOOP_CHANNELS
from appliance.events import InputId
from appliance.music import Key
from appliance.music.loop import PartRole
from appliance.music.loops import loop_named
from appliance.profile import BeamMode, PlayMode, Profile
from appliance.profile.library import ProfileLibrary
from appliance.profile.names import slug_for
from appliance.profile.store import parse_profile

STARTERS = [
    "First steps",
    "Pentatonic pads",
    "Beam explorer",
    "Calm space",
    "Song time",
    "Band",
    "Default",
]
# Beam explorer sets up a second beam; give the box one so it is heard too.
TWO_BEAMS = BoxConfig(beams=(BeamWiring(trigger=24, echo=25), BeamWiring(trigger=5, echo=6)))
PRESS_S = 0.5  # a deliberate press, longer than any starter's dwell
GAP_S = 0.8
RING_OUT_S = 4.0  # after the last action: every release delay and envelope has ended
QUIET = 0.01  # of the loudest moment: what counts as silence at the end
#: Sources of notes no client input played: the loop, a song, the turns' chime.
BAND_SOURCES = {"loop", "song", "turns"}
DRUMS = LOOP_CHANNELS[PartRole.DRUMS]  # drum hits are drums, not notes of the key


def starter(name: str) -> Profile:
    return ProfileLibrary("/nonexistent").load(name).profile


def session(profile: Profile) -> tuple[str, float, float]:
    """A script touching each input the profile sets up; when its last action is;
    and how long after it everything has stopped sounding.

    With players, each player's inputs are touched in their turn, and the
    therapist passes the turn on. A loop the profile plays starts as the box
    starts it when the profile is loaded, and stops after the last action.
    """
    lines: list[str] = []
    ring_out = RING_OUT_S
    t = 0.2
    if profile.loop.play:
        lines.append("0.00 loop start")
    players = sorted({getattr(s, "player", 0) for s in profile.inputs.values()})
    for player in players:
        for iid in sorted(
            i for i, s in profile.inputs.items() if getattr(s, "player", 0) == player
        ):
            settings = profile.inputs[iid]
            if iid.startswith("beam:"):
                # Sweep in from the far end, three pings a position (the jump filter
                # believes a steady hand), then leave the beam.
                for distance in (0.9, 0.7, 0.5, 0.3, None, None, None):
                    for _ in range(3):
                        lines.append(f"{t:.2f} {iid} distance {distance or 'none'}")
                        t += 0.1
                continue
            verb = "press" if iid.startswith("switch:") else "touch"
            lines += [f"{t:.2f} {iid} {verb}", f"{t + PRESS_S:.2f} {iid} release"]
            t += GAP_S
            if settings.mode is PlayMode.SEQUENCE and settings.accompany:
                # The song's chord lets go max_note_s after the last step.
                ring_out = max(ring_out, settings.max_note_s + RING_OUT_S)
        if player and len(players) > 1:
            lines.append(f"{t:.2f} turn next")
    if profile.loop.play:
        # The loop ends at the next bar line; its last notes ring out as written.
        loop = loop_named(profile.loop.name)
        tempo = profile.tempo or loop.tempo
        lines.append(f"{t:.2f} loop stop")
        ring_out += loop.beats * 60 / tempo
    lines.append(f"{t + ring_out:.2f} end")
    return "\n".join(lines) + "\n", t, ring_out


def sounding_before_the_end(events: list[dict]) -> Counter:
    """Notes still held when the script's end came (before the render's own release)."""
    held: Counter = Counter()
    for e in events:
        if e["source"] == "end":
            break
        if e["type"] == "note_on":
            held[(e["channel"], e["note"])] += 1
        elif e["type"] == "note_off":
            held[(e["channel"], e["note"])] -= 1
        elif e["type"] == "all_notes_off":
            held.clear()
    return +held


def test_the_starters_ship_with_the_package_named_by_their_slugs():
    files = {
        f.name for f in resources.files("appliance.profiles").iterdir() if f.name.endswith(".toml")
    }
    assert files == {f"{slug_for(name)}.toml" for name in STARTERS}
    for name in STARTERS:
        text = resources.files("appliance.profiles").joinpath(f"{slug_for(name)}.toml")
        profile = parse_profile(text.read_text("utf-8"))
        assert profile.name == name
        assert text.read_text("utf-8").startswith("#"), "each starter says why, in comments"


@pytest.mark.parametrize("name", STARTERS)
def test_each_starter_plays_every_input_it_sets_up_and_leaves_nothing_sounding(
    name, render, caplog, capfd
):
    caplog.set_level(logging.WARNING)
    profile = starter(name)
    text, last, ring_out = session(profile)
    rendered = render(text, profile, TWO_BEAMS)

    # A song step's chord sounds under its input's name: switch:1/chord.
    played = {e["source"].split("/")[0] for e in rendered.note_ons()}
    assert played - BAND_SOURCES == set(profile.inputs)
    key = Key.parse(profile.key, profile.scale)
    assert all(key.contains(e["note"]) for e in rendered.note_ons() if e["channel"] != DRUMS)
    assert sounding_before_the_end(rendered.events) == Counter()
    loudest = rms(rendered.segment(0, last))
    assert loudest > 0.001
    assert rms(rendered.segment(last + ring_out - 1, last + ring_out)) < QUIET * loudest
    assert [r.getMessage() for r in caplog.records] == []
    assert capfd.readouterr().err == ""


def test_first_steps_is_one_note_on_any_jack_and_a_tremor_is_one_note(render):
    profile = starter("First steps")
    assert {profile.settings_for(InputId(f"switch:{n}")).instrument for n in range(1, 5)} == {
        "vibraphone"
    }
    taps = [f"0.{t}0 switch:3 press\n0.{t}5 switch:3 release\n" for t in (1, 2, 3)]
    tremor = "".join(taps) + "3.0 end\n"
    rendered = render(tremor, profile)
    assert [e["note"] for e in rendered.note_ons()] == [60]
    offs = [e for e in rendered.events if e["type"] == "note_off"]
    # The quick taps still give a whole note: it lasts at least the lock-out.
    assert offs[0]["t"] >= 0.1 + profile.settings_for(InputId("switch:3")).lockout_ms / 1000


def test_pentatonic_pads_climb_the_scale_one_step_a_pad(render):
    profile = starter("Pentatonic pads")
    script = "".join(
        f"{n * 0.3:.1f} pad:{n} touch\n{n * 0.3 + 0.2:.1f} pad:{n} release\n" for n in range(1, 13)
    )
    notes = [e["note"] for e in render(script + "5.0 end\n", profile).note_ons()]
    key = Key.parse(profile.key, profile.scale)
    assert notes == [key.degree_to_note(d, 3) for d in range(1, 13)]
    assert notes == sorted(set(notes))


def test_beam_explorer_walks_down_the_scale_as_a_hand_comes_nearer(render):
    profile = starter("Beam explorer")
    assert profile.settings_for(InputId("beam:1")).mode is BeamMode.ZONES
    script = "".join(
        f"{0.1 + i * 0.1:.1f} beam:1 distance {d}\n"
        for i, d in enumerate(x for x in (0.95, 0.75, 0.55, 0.35) for _ in range(3))
    )
    notes = [e["note"] for e in render(script + "3.0 end\n", profile).note_ons()]
    assert len(notes) == 4
    assert notes == sorted(notes, reverse=True)


def test_calm_space_is_quiet_and_ignores_a_brush(render):
    profile = starter("Calm space")
    assert profile.volume <= 0.4
    brush = "0.10 switch:1 press\n0.20 switch:1 release\n2.0 end\n"
    assert render(brush, profile).note_ons() == []
    calm = render("0.1 switch:1 press\n1.0 switch:1 release\n4.0 end\n", profile)
    louder = render(
        "0.1 switch:1 press\n1.0 switch:1 release\n4.0 end\n",
        profile.with_setting("volume", "0.7"),
    )
    assert calm.result.peak < 0.7 * louder.result.peak


TWINKLE_IN_D = [62, 62, 69, 69, 71, 71, 69]  # "Twinkle, twinkle, little star"


def _presses(iid: str, count: int, first: float = 0.5, every: float = 1.0) -> str:
    verb = "press" if iid.startswith("switch:") else "touch"
    return "".join(
        f"{first + i * every:.2f} {iid} {verb}\n{first + i * every + 0.3:.2f} {iid} release\n"
        for i in range(count)
    )


def test_song_time_steps_through_twinkle_in_d_with_its_chord_under_it(render):
    profile = starter("Song time")
    rendered = render(_presses("switch:1", 7) + "18.0 end\n", profile)
    melody = rendered.note_ons("switch:1")
    assert [e["note"] for e in melody if e["source"] == "switch:1"] == TWINKLE_IN_D
    # D major under "Twinkle, twinkle", then G major under "little".
    chords = [e["note"] for e in melody if e["source"] == "switch:1/chord"]
    assert chords[:3] == [50, 54, 57] and chords[3:6] == [55, 59, 62]
    assert sounding_before_the_end(rendered.events) == Counter()


def test_song_time_takes_a_tremor_as_one_step_on_any_jack(render):
    profile = starter("Song time")
    songs = {profile.settings_for(InputId(f"switch:{n}")).song for n in range(1, 5)}
    assert songs == {"twinkle_twinkle"}
    # Three bounces within the lock-out, then a deliberate press.
    tremor = "".join(f"0.{t}0 switch:3 press\n0.{t}5 switch:3 release\n" for t in (1, 2, 3))
    rendered = render(tremor + "1.5 switch:3 press\n1.9 switch:3 release\n14.0 end\n", profile)
    steps = [e["note"] for e in rendered.note_ons("switch:3") if e["source"] == "switch:3"]
    assert steps == TWINKLE_IN_D[:2]


def test_song_time_pads_play_the_song_softly_with_no_chord_of_their_own(render):
    profile = starter("Song time")
    rendered = render(_presses("pad:4", 4) + "6.0 end\n", profile)
    notes = rendered.note_ons("pad:4")
    assert [e["note"] for e in notes] == TWINKLE_IN_D[:4]
    assert {e["source"] for e in notes} == {"pad:4"}
    loudest = profile.settings_for(InputId("switch:1")).velocity
    assert all(e["velocity"] < loudest for e in notes)


def _loop_chords(events: list[dict]) -> list[tuple[float, set[int]]]:
    """Each bar's chord, as the loop's pad holds it from the downbeat: (time, pitch classes)."""
    pad = LOOP_CHANNELS[PartRole.PAD]
    bars: dict[float, set[int]] = {}
    for e in events:
        if e["type"] == "note_on" and e["source"] == "loop" and e["channel"] == pad:
            bars.setdefault(e["t"], set()).add(e["note"] % 12)
    return sorted(bars.items())


def test_band_takes_turns_over_its_loop_and_every_note_fits_the_loops_chord(render):
    profile = starter("Band")
    assert profile.loop.play and profile.harmony == "loop"
    # The box starts the loop when it loads the profile; a render starts it here.
    script = "0.0 loop start\n"
    # Player 1 plays four notes, then everyone presses together four times:
    # only player 2 is heard, until its fourth note hands the turn to player 3.
    script += _presses("switch:1", 4, first=0.5, every=0.6)
    for i in range(4):
        t = 3.0 + i * 0.6
        script += "".join(f"{t:.2f} switch:{n} press\n" for n in (1, 2, 3))
        script += "".join(f"{t + 0.3:.2f} switch:{n} release\n" for n in (1, 2, 3))
    script += "5.6 loop stop\n9.0 end\n"
    rendered = render(script, profile)

    loop = rendered.note_ons("loop")
    assert {e["channel"] for e in loop} >= set(LOOP_CHANNELS.values())  # drums, bass, chords, pad
    clients = [e for e in rendered.note_ons("switch:")]
    assert [e["source"] for e in clients] == ["switch:1"] * 4 + ["switch:2"] * 4 + ["switch:3"]
    chimes = rendered.note_ons("turns")
    assert [round(e["t"], 2) for e in chimes] == [2.3, 4.8]  # each player's fourth note
    chords = _loop_chords(rendered.events)
    assert len({frozenset(c) for _, c in chords}) >= 2  # the chord moves under the players
    for e in clients:
        bar = [tones for start, tones in chords if start <= e["t"]][-1]
        assert e["note"] % 12 in bar, e
    assert sounding_before_the_end(rendered.events) == Counter()
