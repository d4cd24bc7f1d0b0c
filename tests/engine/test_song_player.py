"""A familiar song playing by itself, on the synth's clock (engine/song_player.py)."""

from __future__ import annotations

import numpy as np

from appliance.engine import Engine
from appliance.engine.song_player import LEAD_S, MELODY_CHANNEL
from appliance.events import BandAction, BandCommand, InputId
from appliance.music import Key
from appliance.music.songs import song_named
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

TWINKLE = song_named("twinkle_twinkle")
BLOCK_S = 64 / 48000


def unmatched_notes_of(events: list[dict]) -> int:
    """Notes started and never stopped, by channel and note."""
    held: dict[tuple[int, int], int] = {}
    for e in events:
        if e["type"] == "all_notes_off":
            held = {k: v for k, v in held.items() if "channel" in e and k[0] != e["channel"]}
        elif e["type"] in ("note_on", "note_off"):
            key = (e["channel"], e["note"])
            held[key] = held.get(key, 0) + (1 if e["type"] == "note_on" else -1)
    return sum(v for v in held.values() if v > 0)


def _melody(rendered) -> list[dict]:
    return [e for e in rendered.note_ons("song") if e["channel"] == MELODY_CHANNEL]


def test_the_song_plays_its_melody_in_the_profiles_key_at_its_tempo(render):
    rendered = render("0.0 set key=D\n0.0 song start twinkle_twinkle\n30.0 end\n")
    placed = TWINKLE.in_key(Key.parse("D", "major"))
    melody = _melody(rendered)
    assert [e["note"] for e in melody] == [n.note for n in placed.notes]
    count_s = 60 / TWINKLE.tempo
    first = melody[0]["t"]
    assert abs(first - LEAD_S) <= BLOCK_S
    for e, n in zip(melody, placed.notes, strict=True):
        assert abs(e["t"] - first - float(n.start) * count_s) <= BLOCK_S / 2 + 1e-9
    assert unmatched_notes_of(rendered.events) == 0


def test_song_stop_ends_at_the_bar_line_and_lets_the_last_notes_ring(render):
    rendered = render("0.0 song start twinkle_twinkle\n3.0 song stop\n8.0 end\n")
    melody = _melody(rendered)
    bar_s = 4 * 60 / TWINKLE.tempo
    assert melody and max(e["t"] for e in melody) < LEAD_S + 2 * bar_s
    assert unmatched_notes_of(rendered.events) == 0
    tail = rendered.segment(LEAD_S + 2 * bar_s + 1.5, 8.0)
    assert np.abs(tail).max() < 0.01


def test_clients_lock_to_the_songs_chord_with_harmony_loop(render):
    script = "0.0 set key=C\n0.0 set scale=major\n0.0 set harmony=loop\n"
    script += "0.0 song start twinkle_twinkle\n"
    # Bar 2 (from LEAD_S + 2.4 s at 100 BPM) starts on IV: F A C.
    script += "2.7 switch:2 press\n2.9 switch:2 release\n6.0 end\n"
    rendered = render(script)
    client = rendered.note_ons("switch:2")
    assert len(client) == 1
    assert client[0]["note"] % 12 in {5, 9, 0}  # unlocked, switch:2 would play D


def test_starting_a_loop_ends_the_song_and_a_song_ends_the_loop(render):
    script = "0.0 song start twinkle_twinkle\n2.0 loop start calypso\n5.0 song start ode_to_joy\n"
    rendered = render(script + "8.0 end\n")
    song_before = [e for e in rendered.note_ons("song") if e["t"] < 5.0]
    assert song_before and max(e["t"] for e in song_before) <= 2.0
    loop = rendered.note_ons("loop")
    assert loop and min(e["t"] for e in loop) > 2.0 and max(e["t"] for e in loop) <= 5.0
    assert unmatched_notes_of(rendered.events) == 0


def test_a_song_stopped_before_it_sounds_ends_at_once():
    synth = FakeSynth()
    engine = Engine(synth, default_profile(), [InputId("switch:1")])
    engine.handle(BandCommand(0.0, BandAction.SONG_START, "twinkle_twinkle"))
    synth.frames = 2400
    engine.handle(BandCommand(0.05, BandAction.SONG_STOP))
    assert engine.status().loop == ""
    assert synth.scheduled == []


def test_the_status_says_a_stopping_song_plays_to_its_bar_line():
    synth = FakeSynth()
    engine = Engine(synth, default_profile(), [InputId("switch:1")])
    engine.handle(BandCommand(0.0, BandAction.SONG_START, "twinkle_twinkle"))
    while (when := engine.next_deadline()) is not None and when < 1.0:
        synth.frames = round(when * 48000)
        engine.tick(when)
    engine.handle(BandCommand(1.0, BandAction.SONG_STOP))
    assert engine.status().loop == "song: Twinkle Twinkle Little Star, stopping"
