"""The starter profiles: each plays every input it sets up, cleanly, through the real synth."""

from __future__ import annotations

import logging
from collections import Counter
from importlib import resources

import pytest
from audio_analysis import rms

from appliance.config import BeamWiring, BoxConfig
from appliance.music import Key
from appliance.profile import BeamMode, Profile
from appliance.profile.library import ProfileLibrary
from appliance.profile.names import slug_for
from appliance.profile.store import parse_profile

STARTERS = ["First steps", "Pentatonic pads", "Beam explorer", "Calm space", "Default"]
# Beam explorer sets up a second beam; give the box one so it is heard too.
TWO_BEAMS = BoxConfig(beams=(BeamWiring(trigger=24, echo=25), BeamWiring(trigger=5, echo=6)))
PRESS_S = 0.5  # a deliberate press, longer than any starter's dwell
GAP_S = 0.8
RING_OUT_S = 4.0  # after the last action: every release delay and envelope has ended
QUIET = 0.01  # of the loudest moment: what counts as silence at the end


def starter(name: str) -> Profile:
    return ProfileLibrary("/nonexistent").load(name).profile


def session(profile: Profile) -> tuple[str, float]:
    """A script touching each input the profile sets up; and when its last action is."""
    lines: list[str] = []
    t = 0.2
    for iid in sorted(profile.inputs):
        if iid.startswith("beam:"):
            # Sweep in from the far end, three pings a position (the jump filter
            # believes a steady hand), then leave the beam.
            for distance in (0.9, 0.7, 0.5, 0.3, None, None, None):
                for _ in range(3):
                    lines.append(f"{t:.2f} {iid} distance {distance or 'none'}")
                    t += 0.1
        else:
            verb = "press" if iid.startswith("switch:") else "touch"
            lines += [f"{t:.2f} {iid} {verb}", f"{t + PRESS_S:.2f} {iid} release"]
            t += GAP_S
    lines.append(f"{t + RING_OUT_S:.2f} end")
    return "\n".join(lines) + "\n", t


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
    text, last = session(profile)
    rendered = render(text, profile, TWO_BEAMS)

    played = {e["source"] for e in rendered.note_ons()}
    assert played == set(profile.inputs)
    key = Key.parse(profile.key, profile.scale)
    assert all(key.contains(e["note"]) for e in rendered.note_ons())
    assert sounding_before_the_end(rendered.events) == Counter()
    loudest = rms(rendered.segment(0, last))
    assert loudest > 0.001
    assert rms(rendered.segment(last + RING_OUT_S - 1, last + RING_OUT_S)) < QUIET * loudest
    assert [r.getMessage() for r in caplog.records] == []
    assert capfd.readouterr().err == ""


def test_first_steps_is_one_note_on_any_jack_and_a_tremor_is_one_note(render):
    profile = starter("First steps")
    assert {profile.settings_for(f"switch:{n}").instrument for n in range(1, 5)} == {"vibraphone"}
    taps = [f"0.{t}0 switch:3 press\n0.{t}5 switch:3 release\n" for t in (1, 2, 3)]
    tremor = "".join(taps) + "3.0 end\n"
    rendered = render(tremor, profile)
    assert [e["note"] for e in rendered.note_ons()] == [60]
    offs = [e for e in rendered.events if e["type"] == "note_off"]
    # The quick taps still give a whole note: it lasts at least the lock-out.
    assert offs[0]["t"] >= 0.1 + profile.settings_for("switch:3").lockout_ms / 1000


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
    assert profile.settings_for("beam:1").mode is BeamMode.ZONES
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
