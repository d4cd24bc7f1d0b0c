"""Turn-taking: only the current player's inputs sound, and the turn passes."""

from __future__ import annotations

import pytest

from appliance.engine import Engine
from appliance.events import (
    BandAction,
    BandCommand,
    BeamReading,
    InputId,
    Pressed,
    Released,
    SoundEvent,
    SoundKind,
)
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

PLAYERS = "0.0 set switch:1.player=1\n0.0 set switch:2.player=2\n"


def _sources(rendered, prefix: str = "switch") -> list[tuple[float, str]]:
    return [(e["t"], e["source"]) for e in rendered.note_ons(prefix)]


def _presses(*lines: tuple[float, str]) -> str:
    out = []
    for t, iid in lines:
        out += [f"{t:.2f} {iid} press", f"{t + 0.1:.2f} {iid} release"]
    return "\n".join(out) + "\n"


def test_only_the_current_players_presses_sound_and_others_are_counted(render):
    script = PLAYERS + "0.0 set turns.pass_after=command\n"
    script += _presses((0.5, "switch:1"), (0.9, "switch:2"), (1.3, "switch:1"), (1.7, "switch:2"))
    script += "2.0 end\n"
    rendered = render(script)
    assert _sources(rendered) == [(0.5, "switch:1"), (1.3, "switch:1")]


def test_the_status_says_whose_turn_and_counts_presses_out_of_turn():
    profile = default_profile().with_settings(
        [("switch:1.player", "1"), ("switch:2.player", "2"), ("switch:3.player", "2")]
    )
    engine = Engine(FakeSynth(), profile, [InputId(f"switch:{n}") for n in (1, 2, 3, 4)])
    t = 0.0
    for source in ("switch:2", "switch:3", "switch:2", "switch:4"):
        t += 0.2
        engine.handle(Pressed(t, InputId(source)))
        engine.handle(Released(t + 0.1, InputId(source)))
    status = engine.status()
    assert status.turns == "player 1's turn; 3 out of turn"
    assert engine.turns.out_of_turn == {"switch:2": 2, "switch:3": 1}
    engine.handle(BandCommand(1.5, BandAction.TURN_NEXT))
    assert engine.status().turns.startswith("player 2's turn")


def test_one_player_alone_is_no_turn_taking():
    profile = default_profile().with_setting("switch:2.player", "2")
    engine = Engine(FakeSynth(), profile, [InputId("switch:1"), InputId("switch:2")])
    assert engine.status().turns == ""
    engine.handle(Pressed(0.1, InputId("switch:1")))
    assert engine.voicing.sounding_count() == 1


def test_the_turn_passes_after_n_notes_with_a_soft_chime(render):
    script = PLAYERS + "0.0 set turns.notes=2\n"
    script += _presses((0.5, "switch:1"), (0.9, "switch:2"), (1.2, "switch:1"))
    script += _presses((1.5, "switch:2"), (1.8, "switch:2"), (2.1, "switch:1"))
    rendered = render(script + "3.0 end\n")
    assert _sources(rendered) == [
        (0.5, "switch:1"),
        (1.2, "switch:1"),
        (1.5, "switch:2"),
        (1.8, "switch:2"),
        (2.1, "switch:1"),
    ]
    chimes = rendered.note_ons("turns")
    assert [c["t"] for c in chimes] == [1.2, 1.8]
    assert all(c["velocity"] < 60 for c in chimes)


def test_turn_next_passes_at_once_and_time_passes_it_too(render):
    script = PLAYERS + "0.0 set turns.pass_after=time\n0.0 set turns.seconds=2\n"
    script += "0.4 turn next\n"
    script += _presses((0.6, "switch:1"), (0.8, "switch:2"), (2.6, "switch:1"), (2.8, "switch:2"))
    rendered = render(script + "3.5 end\n")
    # player 2 from 0.4 s; player 1 again from 2.4 s, when player 2's two seconds are up
    assert _sources(rendered) == [(0.8, "switch:2"), (2.6, "switch:1")]
    assert [c["t"] for c in rendered.note_ons("turns")] == [0.4, 2.4]


def test_a_phrase_ends_in_a_rest(render):
    script = PLAYERS + "0.0 set turns.pass_after=phrase\n0.0 set turns.cue=none\n"
    script += _presses((0.5, "switch:1"), (0.8, "switch:1"), (3.2, "switch:2"), (3.5, "switch:1"))
    rendered = render(script + "4.0 end\n")
    assert _sources(rendered) == [(0.5, "switch:1"), (0.8, "switch:1"), (3.2, "switch:2")]
    assert rendered.note_ons("turns") == []


def test_the_cue_can_be_the_next_players_own_note(render):
    script = PLAYERS + "0.0 set turns.notes=1\n0.0 set turns.cue=note\n"
    script += _presses((0.5, "switch:1"))
    rendered = render(script + "1.5 end\n")
    cue = rendered.note_ons("turns")
    switch_2 = render(_presses((0.5, "switch:2")) + "1.0 end\n").note_ons("switch:2")
    assert [c["note"] for c in cue] == [switch_2[0]["note"]]


@pytest.mark.parametrize("player", ["9", "-1", "two"])
def test_a_player_number_is_checked(render, player):
    from appliance.errors import ScriptError

    with pytest.raises(ScriptError, match=r"switch:1\.player"):
        render(f"0.0 set switch:1.player={player}\n1.0 end\n")


def test_a_beam_out_of_turn_is_quiet_and_counts_each_zone_it_would_have_played():
    profile = default_profile().with_settings([("switch:1.player", "1"), ("beam:1.player", "2")])
    log: list[SoundEvent] = []
    beam = InputId("beam:1")
    engine = Engine(FakeSynth(), profile, [InputId("switch:1"), beam], [log.append])
    # The hand comes in at 20 cm, moves out through two more zones, and leaves.
    t = 0.0
    for distance in [0.2] * 8 + [0.35] * 8 + [0.45] * 8 + [None] * 8:
        t += 1 / 16
        engine.tick(t)
        engine.handle(BeamReading(t, beam, distance))
    assert [e for e in log if e.source == beam and e.type is SoundKind.NOTE_ON] == []
    assert engine.turns.out_of_turn == {"beam:1": 3}
    # Its turn: the hand coming back sounds at once.
    engine.handle(BandCommand(t, BandAction.TURN_NEXT))
    for _ in range(8):
        t += 1 / 16
        engine.tick(t)
        engine.handle(BeamReading(t, beam, 0.2))
    assert [e.source for e in log if e.type is SoundKind.NOTE_ON and e.source == beam] == [beam]
    assert engine.turns.out_of_turn == {"beam:1": 3}
