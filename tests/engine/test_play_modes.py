"""An accepted press or release, played in the input's mode (engine/play_modes.py).

Driven through a real engine on a FakeSynth, straight into its ``PlayModes``
(the access filter has already decided); what is checked is the record of
sound events the engine announces.
"""

from __future__ import annotations

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.access import Edge
from appliance.engine.play_modes import MAX_NOTE_TIMER
from appliance.events import InputId, SoundEvent, SoundKind
from appliance.profile import default_profile
from appliance.sound.fake import FakeSynth

S1 = InputId("switch:1")


class Rig:
    def __init__(self, **settings: str) -> None:
        self.log: list[SoundEvent] = []
        self.engine = Engine(
            FakeSynth(), default_profile(), BoxConfig().input_ids(), [self.log.append]
        )
        self.engine.change_settings([(f"{S1}.{k}", v) for k, v in settings.items()], 0.0)
        self.log.clear()  # the instrument's program change

    def edge(self, edge: Edge, t: float) -> None:
        self.engine.tick(t)
        self.engine.voicing.now = t  # as the engine sets it for each event
        self.engine.modes.edge(S1, edge, self.engine.profile.settings_for(S1), t)

    def notes(self, kind: SoundKind) -> list[tuple[float, int | None]]:
        return [(e.t, e.note) for e in self.log if e.type is kind and e.source == S1]


def test_a_note_sounds_while_held():
    rig = Rig(mode="note")
    rig.edge(Edge.PRESS, 1.0)
    rig.edge(Edge.RELEASE, 1.5)
    (on,) = rig.notes(SoundKind.NOTE_ON)
    assert rig.notes(SoundKind.NOTE_OFF) == [(1.5, on[1])]


def test_a_latched_note_sounds_until_the_next_press():
    rig = Rig(mode="latch")
    rig.edge(Edge.PRESS, 1.0)
    rig.edge(Edge.RELEASE, 1.2)  # let go: it keeps sounding
    assert rig.notes(SoundKind.NOTE_OFF) == []
    rig.edge(Edge.PRESS, 3.0)  # the next press ends it, and starts nothing
    rig.edge(Edge.RELEASE, 3.2)
    assert [t for t, _ in rig.notes(SoundKind.NOTE_OFF)] == [3.0]
    assert len(rig.notes(SoundKind.NOTE_ON)) == 1


def test_a_chord_sounds_its_notes_together_and_stops_them_together():
    rig = Rig(mode="chord")
    rig.edge(Edge.PRESS, 1.0)
    rig.edge(Edge.RELEASE, 2.0)
    ons, offs = rig.notes(SoundKind.NOTE_ON), rig.notes(SoundKind.NOTE_OFF)
    assert len(ons) >= 3 and {t for t, _ in ons} == {1.0}
    assert sorted(n for _, n in offs) == sorted(n for _, n in ons)
    assert {t for t, _ in offs} == {2.0}


def test_a_note_held_too_long_has_a_timer_that_a_release_cancels():
    rig = Rig(mode="note", max_note_s="4")
    rig.edge(Edge.PRESS, 1.0)
    assert rig.engine.next_deadline() == pytest.approx(5.0)
    rig.engine.tick(5.0)  # held past its limit: the note ends
    assert rig.notes(SoundKind.NOTE_OFF)[0][0] == pytest.approx(5.0)
    rig.edge(Edge.RELEASE, 6.0)
    rig.edge(Edge.PRESS, 7.0)
    rig.edge(Edge.RELEASE, 7.5)  # a release in time: no timer is left behind
    assert f"{S1}/{MAX_NOTE_TIMER}" not in rig.engine._deadlines


def test_a_press_out_of_turn_is_counted_and_not_sounded():
    rig = Rig(mode="note", player="2")
    rig.engine.change_settings([(f"{InputId('switch:2')}.player", "1")], 0.0)
    rig.edge(Edge.PRESS, 1.0)  # player 1's turn first
    assert rig.notes(SoundKind.NOTE_ON) == []
    assert "1 out of turn" in rig.engine.status().turns
