"""Voices: who holds which (channel, note), so notes neither stick nor cut short."""

from __future__ import annotations

from appliance.engine.voices import Held, Voices
from appliance.profile import PlayMode
from appliance.sound.synth import Channel

C0 = Channel(0)
C1 = Channel(1)


def held(*notes: tuple[int, int], mode: PlayMode = PlayMode.NOTE) -> Held:
    return Held(tuple((Channel(c), n) for c, n in notes), mode)


def test_start_and_stop_one_holder():
    v = Voices()
    assert v.start("switch:1", held((0, 60))) == [((C0, 60), False)]
    assert v.held_by("switch:1") == held((0, 60))
    assert v.sources() == ("switch:1",)
    assert v.sounding_count() == 1
    assert v.busy_channels() == {C0}
    assert v.stop("switch:1") == [(C0, 60)]
    assert v.held_by("switch:1") is None
    assert v.sounding_count() == 0
    assert v.busy_channels() == set()


def test_stop_of_an_unknown_source_returns_nothing():
    v = Voices()
    assert v.stop("switch:1") == []
    v.start("switch:1", held((0, 60)))
    v.stop("switch:1")
    assert v.stop("switch:1") == []  # a second stop never double-releases


def test_second_holder_restrikes_and_only_the_last_holder_silences():
    v = Voices()
    v.start("switch:1", held((0, 60)))
    assert v.start("switch:2", held((0, 60))) == [((C0, 60), True)]
    assert v.sounding_count() == 1
    assert v.stop("switch:1") == []  # switch:2 still holds it
    assert v.busy_channels() == {C0}
    assert v.stop("switch:2") == [(C0, 60)]
    assert v.sounding_count() == 0


def test_same_note_on_another_channel_is_not_shared():
    v = Voices()
    v.start("switch:1", held((0, 60)))
    assert v.start("switch:2", held((1, 60))) == [((C1, 60), False)]
    assert v.sounding_count() == 2
    assert v.stop("switch:1") == [(C0, 60)]


def test_chords_overlapping_a_held_note():
    v = Voices()
    v.start("switch:2", held((0, 64)))
    out = v.start("switch:1", held((0, 60), (0, 64), (0, 69), mode=PlayMode.CHORD))
    assert out == [((C0, 60), False), ((C0, 64), True), ((C0, 69), False)]
    assert v.held_by("switch:1").mode is PlayMode.CHORD
    assert sorted(v.stop("switch:1")) == [(C0, 60), (C0, 69)]
    assert v.stop("switch:2") == [(C0, 64)]


def test_three_holders_in_any_order():
    v = Voices()
    for source in ("a", "b", "c"):
        v.start(source, held((0, 60)))
    assert v.stop("b") == []
    assert v.stop("a") == []
    assert v.stop("c") == [(C0, 60)]


def test_clear_forgets_everything():
    v = Voices()
    v.start("switch:1", held((0, 60), mode=PlayMode.LATCH))
    v.start("switch:2", held((1, 62)))
    v.clear()
    assert v.sources() == ()
    assert v.sounding_count() == 0
    assert v.busy_channels() == set()
    assert v.start("switch:1", held((0, 60))) == [((C0, 60), False)]
