"""Choice-making: each input chooses a song or a loop, and the others wait."""

from __future__ import annotations

import pytest

from appliance.engine import Engine
from appliance.errors import ProfileError
from appliance.events import BandAction, BandCommand, InputId, Pressed, Released
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

CHOICES = (
    "0.0 set switch:1.mode=choice\n0.0 set switch:1.choice=twinkle_twinkle\n"
    "0.0 set switch:2.mode=choice\n0.0 set switch:2.choice=calypso\n"
)


def _press(t: float, iid: str) -> str:
    return f"{t:.2f} {iid} press\n{t + 0.2:.2f} {iid} release\n"


def test_a_press_starts_its_choice_and_the_others_wait_until_it_ends(render):
    script = CHOICES + _press(0.5, "switch:1") + _press(2.0, "switch:2")
    script += "3.0 song stop\n" + _press(6.0, "switch:2") + "9.0 end\n"
    rendered = render(script)
    song = [e["t"] for e in rendered.note_ons("song")]
    loop = [e["t"] for e in rendered.note_ons("loop")]
    assert song and 0.5 < song[0] < 0.8 and max(song) < 6.0
    assert loop and loop[0] > 6.0  # switch:2's press at 2.0 waited, its press at 6.0 chose
    assert rendered.note_ons("switch") == []  # a choice is not a note


def test_the_song_announces_itself_with_its_first_phrase(render):
    rendered = render(CHOICES + _press(0.5, "switch:1") + "6.0 end\n")
    melody = [e["note"] for e in rendered.note_ons("song") if e["channel"] == 12]
    # Twinkle in C: C C G G A A G, the song's first phrase, from the press on.
    assert [n - melody[0] for n in melody[:7]] == [0, 0, 7, 7, 9, 9, 7]


def test_the_status_says_what_was_chosen_and_counts_who_waited():
    profile = default_profile().with_settings(
        [
            ("switch:1.mode", "choice"),
            ("switch:1.choice", "twinkle_twinkle"),
            ("switch:2.mode", "choice"),
            ("switch:2.choice", "calypso"),
        ]
    )
    engine = Engine(FakeSynth(), profile, [InputId("switch:1"), InputId("switch:2")])
    engine.handle(Pressed(0.5, InputId("switch:1")))
    engine.handle(Released(0.6, InputId("switch:1")))
    engine.handle(Pressed(0.8, InputId("switch:2")))
    engine.tick(1.0)
    assert engine.status().loop.startswith("song: Twinkle Twinkle Little Star, chosen on switch:1")
    assert engine.band.waited == {"switch:2": 1}
    engine.handle(BandCommand(1.1, BandAction.SONG_STOP))


def test_a_choice_must_name_a_song_or_a_loop():
    with pytest.raises(ProfileError, match="no song or loop named 'jazz'"):
        default_profile().with_setting("switch:1.choice", "jazz")
    assert default_profile().with_setting("switch:1.choice", "Calypso").inputs
