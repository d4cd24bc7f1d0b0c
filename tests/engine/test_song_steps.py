"""Sequence mode: a client steps through a familiar song, one press at a time.

Driven through the real engine on a FakeSynth; what is checked is the record
of sound events the engine announces (the same record ``tonic render
--events`` writes).
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.song_steps import CHORD_HOLDER, CHORD_INSTRUMENT, CHORD_VELOCITY
from appliance.errors import ProfileError
from appliance.events import (
    InputId,
    InputOffline,
    Panic,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.music import Key
from appliance.music.songs import song_named
from appliance.profile import PlayMode, default_profile
from appliance.profile.inputs import SequenceStep, SongEnd
from appliance.sound.fake import FakeSynth
from appliance.sound.instruments import instrument_for

S1 = InputId("switch:1")
CHORD = S1 + CHORD_HOLDER
#: Twinkle's first seven notes in D major, as the song is placed (D4 upwards).
TWINKLE_IN_D = [62, 62, 69, 69, 71, 71, 69]
TWINKLE_TEMPO = 100  # counts a minute, as its file says
COUNT_S = 60 / TWINKLE_TEMPO


class Rig:
    """An engine on a FakeSynth, with events at given times and timers run between them."""

    def __init__(self) -> None:
        self.synth = FakeSynth()
        self.log: list[SoundEvent] = []
        self.engine = Engine(
            self.synth, default_profile(), BoxConfig().input_ids(), [self.log.append]
        )

    def until(self, t: float) -> None:
        self.engine.tick(t)

    def set(self, t: float, path: str, value: str) -> None:
        self.until(t)
        self.engine.handle(SetSetting(t, path, value))

    def press(self, t: float, source: str = S1) -> None:
        self.until(t)
        self.engine.handle(Pressed(t, InputId(source)))

    def release(self, t: float, source: str = S1) -> None:
        self.until(t)
        self.engine.handle(Released(t, InputId(source)))

    def tap(self, t: float, held: float = 0.2, source: str = S1) -> None:
        self.press(t, source)
        self.release(t + held, source)

    def ons(self, source: str = S1) -> list[SoundEvent]:
        return [e for e in self.log if e.type is SoundKind.NOTE_ON and e.source == source]

    def offs(self, source: str = S1) -> list[SoundEvent]:
        return [e for e in self.log if e.type is SoundKind.NOTE_OFF and e.source == source]

    def melody(self, source: str = S1) -> list[int]:
        return [e.note for e in self.ons(source) if e.note is not None]

    def sounding(self) -> Counter[tuple[int | None, int | None]]:
        """Notes the record leaves on: note-ons without their own note-off."""
        count: Counter[tuple[int | None, int | None]] = Counter()
        for e in self.log:
            if e.type is SoundKind.NOTE_ON:
                count[e.channel, e.note] += 1
            elif e.type is SoundKind.NOTE_OFF:
                count[e.channel, e.note] -= 1
                assert count[e.channel, e.note] >= 0, f"a note-off with no note-on: {e}"
        return +count


def sequence_rig(*settings: tuple[str, str], key: str = "D", scale: str = "major") -> Rig:
    rig = Rig()
    rig.set(0.0, "key", key)
    rig.set(0.0, "scale", scale)
    rig.set(0.0, "switch:1.mode", "sequence")
    for path, value in settings:
        rig.set(0.0, f"switch:1.{path}", value)
    return rig


def placed(song: str, key: str = "D", scale: str = "major") -> list[int]:
    return [int(n.note) for n in song_named(song).in_key(Key.parse(key, scale)).notes]


# -- the settings --------------------------------------------------------------------


def test_the_settings_and_their_defaults():
    settings = default_profile().settings_for(S1)
    assert (settings.song, settings.step, settings.at_end, settings.accompany) == (
        "twinkle_twinkle",
        SequenceStep.NOTE,
        SongEnd.RESTART,
        True,
    )
    assert default_profile().settings_for(InputId("pad:3")).song == "twinkle_twinkle"
    changed = default_profile().with_setting("switch:1.mode", "sequence")
    assert changed.settings_for(S1).mode is PlayMode.SEQUENCE


def test_a_song_is_stored_by_its_name_in_tonic_songs():
    profile = default_profile().with_setting("switch:1.song", "Twinkle Twinkle")
    assert profile.settings_for(S1).song == "twinkle_twinkle"
    profile = profile.with_setting("pad:2.song", "ode-to-joy")
    assert profile.settings_for(InputId("pad:2")).song == "ode_to_joy"


def test_an_unknown_song_is_refused_naming_the_list():
    with pytest.raises(ProfileError, match=r"^switch:1\.song: unknown song 'yankee'.*tonic songs"):
        default_profile().with_setting("switch:1.song", "yankee")


def test_accompany_reads_true_and_false():
    profile = default_profile().with_setting("switch:1.accompany", "false")
    assert profile.settings_for(S1).accompany is False
    assert profile.with_setting("switch:1.accompany", "true").settings_for(S1).accompany is True


# -- note step -------------------------------------------------------------------------


def test_seven_presses_in_d_major_play_twinkle():
    rig = sequence_rig(("song", "twinkle_twinkle"))
    for i in range(7):
        rig.tap(0.5 + i * 0.5)
    assert rig.melody() == TWINKLE_IN_D
    assert [e.t for e in rig.ons()] == [0.5 + i * 0.5 for i in range(7)]


def test_the_melody_uses_the_inputs_instrument_and_velocity():
    rig = sequence_rig(("instrument", "flute"), ("velocity", "80"))
    rig.tap(1.0)
    (on,) = rig.ons()
    flute = instrument_for("flute")
    programs = {e.channel: e.value for e in rig.log if e.type is SoundKind.PROGRAM}
    assert programs[on.channel] == flute.program
    assert on.velocity == 80


def test_a_note_step_holds_while_pressed():
    rig = sequence_rig()
    rig.press(1.0)
    rig.until(4.0)  # held three seconds: still sounding
    assert rig.melody() == [62]
    assert rig.offs() == []
    rig.release(4.0)
    assert [(e.t, e.note) for e in rig.offs()] == [(4.0, 62)]


def test_a_note_held_past_max_note_s_stops():
    rig = sequence_rig(("max_note_s", "2"))
    rig.press(1.0)
    rig.until(10.0)
    assert [(e.t, e.note) for e in rig.offs()] == [(3.0, 62)]
    rig.release(10.0)
    rig.tap(11.0)
    assert rig.melody() == [62, 62]  # the next press still plays the next note


def test_late_presses_never_skip_ahead():
    rig = sequence_rig(("max_note_s", "0"))
    for t in (0.5, 40.0, 41.0, 300.0, 300.3, 1000.0, 1000.1):
        rig.tap(t, held=0.05)
    assert rig.melody() == TWINKLE_IN_D


def test_rests_are_not_steps_a_press_always_sounds():
    # "If you're happy": D4, two counts of rest, then G3 G3 (in C: 62, then 55 55).
    rig = sequence_rig(("song", "if_youre_happy"), key="C")
    notes = placed("if_youre_happy", "C")
    for i in range(13):
        rig.tap(1.0 + i)
    assert rig.melody() == notes[:13]
    assert len(rig.ons()) == 13  # thirteen presses, thirteen notes: no silent press


def test_at_end_restart_starts_the_song_again():
    notes = placed("hot_cross_buns")
    rig = sequence_rig(("song", "hot_cross_buns"), ("at_end", "restart"))
    for i in range(len(notes) + 2):
        rig.tap(1.0 + i)
    assert rig.melody() == notes + notes[:2]


def test_at_end_stop_leaves_further_presses_silent_until_the_song_is_set_again():
    notes = placed("hot_cross_buns")
    rig = sequence_rig(("song", "hot_cross_buns"), ("at_end", "stop"))
    for i in range(len(notes) + 3):
        rig.tap(1.0 + i)
    assert rig.melody() == notes
    assert rig.engine.songs.ignored(S1) == 3
    rig.set(30.0, "switch:1.song", "hot_cross_buns")  # the therapist restarts it
    rig.tap(31.0)
    assert rig.melody() == notes + notes[:1]


def test_setting_the_mode_again_restarts_a_stopped_song():
    notes = placed("hot_cross_buns")
    rig = sequence_rig(("song", "hot_cross_buns"), ("at_end", "stop"))
    for i in range(len(notes) + 1):
        rig.tap(1.0 + i)
    rig.set(30.0, "switch:1.mode", "sequence")
    rig.tap(31.0)
    assert rig.melody() == notes + notes[:1]


def test_a_new_song_starts_from_its_beginning():
    rig = sequence_rig()
    for i in range(3):
        rig.tap(1.0 + i)
    rig.set(5.0, "switch:1.song", "ode_to_joy")
    rig.tap(6.0)
    rig.tap(7.0)
    assert rig.melody() == TWINKLE_IN_D[:3] + placed("ode_to_joy")[:2]


def test_each_input_keeps_its_own_place():
    rig = sequence_rig()
    rig.set(0.0, "switch:2.mode", "sequence")
    rig.set(0.0, "switch:2.song", "ode_to_joy")
    for i in range(3):
        rig.tap(1.0 + i)
    rig.tap(5.0, source="switch:2")
    rig.tap(6.0)
    assert rig.melody() == TWINKLE_IN_D[:4]
    assert rig.melody("switch:2") == placed("ode_to_joy")[:1]


def test_a_key_change_mid_song_keeps_the_place():
    rig = sequence_rig()
    for i in range(3):
        rig.tap(1.0 + i)
    rig.set(5.0, "key", "G")
    for i in range(3):
        rig.tap(6.0 + i)
    assert rig.melody() == TWINKLE_IN_D[:3] + placed("twinkle_twinkle", "G")[3:6]


def test_a_scale_change_keeps_the_place():
    rig = sequence_rig()
    rig.tap(1.0)
    rig.set(2.0, "scale", "natural_minor")
    rig.tap(3.0)
    assert rig.melody() == [62, placed("twinkle_twinkle", "D", "natural_minor")[1]]


# -- phrase step -------------------------------------------------------------------------


def test_one_press_plays_the_first_phrase_in_time():
    rig = sequence_rig(("step", "phrase"))
    rig.press(1.0)
    rig.release(1.2)
    rig.until(10.0)
    first = song_named("twinkle_twinkle").in_key(Key.parse("D", "major")).phrases[0]
    assert len(first) == 7
    assert rig.melody() == TWINKLE_IN_D
    assert [e.t for e in rig.ons()] == pytest.approx(
        [1.0 + float(n.start) * COUNT_S for n in first]
    )
    ends = [1.0 + float(n.start + n.counts) * COUNT_S for n in first]
    assert [e.t for e in rig.offs()] == pytest.approx(ends)
    assert ends[-1] == pytest.approx(1.0 + 8 * COUNT_S)  # two bars of 4/4


def test_a_phrase_note_ends_as_the_next_starts():
    rig = sequence_rig(("step", "phrase"))
    rig.press(1.0)
    rig.until(10.0)
    # Each note's off and the next note's on come at the very same time.
    for off, on in zip(rig.offs()[:-1], rig.ons()[1:], strict=True):
        assert off.t == on.t


def test_a_press_during_a_phrase_is_ignored_not_queued():
    rig = sequence_rig(("step", "phrase"))
    rig.tap(1.0)
    rig.tap(2.0)  # mid-phrase
    rig.tap(3.5)  # still mid-phrase
    rig.until(20.0)
    assert rig.melody() == TWINKLE_IN_D  # one phrase, nothing more
    assert rig.engine.songs.ignored(S1) == 2
    rig.tap(20.0)
    rig.until(40.0)
    assert rig.melody() == placed("twinkle_twinkle")[:14]


def test_phrase_rests_are_silences_in_time():
    rig = sequence_rig(("step", "phrase"), ("song", "if_youre_happy"), key="C")
    rig.press(1.0)
    rig.until(20.0)
    phrase = song_named("if_youre_happy").in_key(Key.parse("C", "major")).phrases[0]
    seconds = 60 / song_named("if_youre_happy").tempo
    assert [e.t for e in rig.ons()] == pytest.approx(
        [1.0 + float(n.start) * seconds for n in phrase]
    )
    # The D4 before the rests stops at its own end, two counts before the next G3.
    d4 = next(i for i, n in enumerate(phrase) if phrase[i + 1].start - n.start > n.counts)
    gap = phrase[d4 + 1].start - (phrase[d4].start + phrase[d4].counts)
    assert gap == Fraction(2)
    assert rig.offs()[d4].t == pytest.approx(1.0 + float(phrase[d4].start + 1) * seconds)


def test_phrases_step_through_the_song_and_restart():
    rig = sequence_rig(("step", "phrase"), ("song", "hot_cross_buns"))
    for i in range(3):  # two phrases, then the first again
        rig.tap(1.0 + 20 * i)
        rig.until(20.0 * (i + 1))
    notes = placed("hot_cross_buns")
    assert rig.melody() == notes + notes[:6]


def test_a_late_phrase_press_plays_the_next_phrase():
    rig = sequence_rig(("step", "phrase"), ("max_note_s", "0"))
    rig.tap(1.0)
    rig.until(500.0)
    rig.tap(500.0)
    rig.until(510.0)
    second = placed("twinkle_twinkle")[7:14]
    assert rig.melody() == TWINKLE_IN_D + second
    assert rig.ons()[7].t == 500.0


def test_a_key_change_mid_phrase_plays_the_rest_in_the_new_key():
    rig = sequence_rig(("step", "phrase"))
    rig.press(1.0)
    rig.set(1.0 + 3.5 * COUNT_S, "key", "G")  # after the fourth note starts
    rig.until(10.0)
    assert rig.melody() == TWINKLE_IN_D[:4] + placed("twinkle_twinkle", "G")[4:7]


# -- the chord under the melody ---------------------------------------------------------


def test_the_chord_sounds_softly_under_the_melody_on_a_pad():
    rig = sequence_rig()
    rig.tap(1.0)
    chord = rig.ons(CHORD)
    assert [e.note for e in chord] == [50, 54, 57]  # D major, below the melody
    assert {e.velocity for e in chord} == {CHORD_VELOCITY}
    assert {e.t for e in chord} == {1.0}
    programs = {e.channel: e.value for e in rig.log if e.type is SoundKind.PROGRAM}
    assert programs[chord[0].channel] == instrument_for(CHORD_INSTRUMENT).program
    assert chord[0].channel != rig.ons()[0].channel
    # The melody's note comes first: it is the press's own sound.
    first = next(e for e in rig.log if e.type is SoundKind.NOTE_ON)
    assert first.source == S1


def test_the_chord_holds_between_presses_and_changes_with_the_song():
    rig = sequence_rig()
    for i in range(4):
        rig.tap(1.0 + i)
    assert rig.offs(CHORD) == []  # D major holds under four notes
    rig.tap(5.0)  # the fifth note is on G major
    assert [e.note for e in rig.offs(CHORD)] == [50, 54, 57]
    assert [e.note for e in rig.ons(CHORD)][3:] == [55, 59, 62]
    assert {e.t for e in rig.offs(CHORD)} == {5.0}


def test_no_chord_with_accompany_off():
    rig = sequence_rig(("accompany", "false"))
    for i in range(7):
        rig.tap(1.0 + i)
    assert rig.melody() == TWINKLE_IN_D
    assert rig.ons(CHORD) == []


def test_turning_accompany_off_mid_song_lets_the_chord_go_at_the_next_press():
    rig = sequence_rig()
    rig.tap(1.0)
    rig.set(2.0, "switch:1.accompany", "false")
    rig.tap(3.0)
    assert [e.t for e in rig.offs(CHORD)] == [3.0, 3.0, 3.0]
    assert len(rig.ons(CHORD)) == 3  # none for the second note
    assert not rig.sounding()  # its note released at 3.2


def test_a_key_change_moves_the_sounding_chord_at_once():
    rig = sequence_rig()
    rig.tap(1.0)
    rig.set(2.0, "key", "G")
    assert [(e.t, e.note) for e in rig.ons(CHORD)][3:] == [(2.0, 55), (2.0, 59), (2.0, 62)]
    assert [e.note for e in rig.offs(CHORD)] == [50, 54, 57]


def test_the_chord_ends_with_the_songs_last_note():
    notes = placed("hot_cross_buns")
    rig = sequence_rig(("song", "hot_cross_buns"))
    for i in range(len(notes)):
        rig.tap(1.0 + i)
    last_release = 1.0 + len(notes) - 1 + 0.2
    assert max(e.t for e in rig.offs(CHORD)) == pytest.approx(last_release)
    assert not rig.sounding()


def test_the_chord_lets_go_max_note_s_after_the_last_step():
    rig = sequence_rig(("max_note_s", "5"))
    rig.tap(1.0)
    rig.until(5.9)
    assert rig.offs(CHORD) == []
    rig.until(100.0)
    assert {e.t for e in rig.offs(CHORD)} == {6.0}
    assert not rig.sounding()


# -- nothing left sounding ---------------------------------------------------------------


def _mid_phrase() -> Rig:
    rig = sequence_rig(("step", "phrase"))
    rig.tap(1.0)
    rig.until(2.0)
    assert rig.sounding()  # the phrase and its chord are playing
    return rig


def test_release_all_leaves_nothing_sounding_and_no_timer():
    rig = _mid_phrase()
    rig.engine.release_all(2.0)
    assert not rig.sounding()
    rig.until(20.0)
    assert len(rig.ons()) == 2  # the phrase did not play on


def test_panic_leaves_nothing_sounding_and_the_song_starts_again():
    rig = _mid_phrase()
    rig.engine.handle(Panic(2.0))
    assert not rig.sounding()
    rig.until(20.0)
    rig.tap(20.0)
    rig.until(100.0)  # the phrase, then its chord's max_note_s
    assert not rig.sounding()
    assert rig.melody() == TWINKLE_IN_D[:2] + TWINKLE_IN_D


def test_a_mode_change_mid_phrase_leaves_nothing_sounding():
    rig = _mid_phrase()
    rig.set(2.0, "switch:1.mode", "note")
    assert not rig.sounding()
    rig.until(20.0)
    assert not rig.sounding()
    assert len(rig.ons()) == 2


def test_a_mode_change_while_a_note_is_held_leaves_nothing_sounding():
    rig = sequence_rig()
    rig.press(1.0)
    rig.set(2.0, "switch:1.mode", "latch")
    assert not rig.sounding()
    rig.release(3.0)
    assert not rig.sounding()


def test_an_input_going_offline_leaves_nothing_sounding():
    rig = _mid_phrase()
    rig.engine.handle(InputOffline(2.0, S1, "unplugged"))
    assert not rig.sounding()
    rig.until(20.0)
    assert not rig.sounding()


def test_a_new_profile_leaves_nothing_sounding():
    rig = _mid_phrase()
    rig.engine.load_profile(default_profile(), 2.0)
    rig.until(20.0)
    assert not rig.sounding()


def test_a_whole_song_in_both_steps_leaves_nothing_sounding():
    for step in ("note", "phrase"):
        rig = sequence_rig(("step", step), ("song", "if_youre_happy"))
        for i in range(60):
            rig.tap(1.0 + 8 * i, held=0.3)
        rig.until(1000.0)
        assert not rig.sounding(), step
