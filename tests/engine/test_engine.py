"""The engine's musical logic, heard through a FakeSynth that records every call."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from types import MappingProxyType

import pytest

from appliance.config import BoxConfig
from appliance.engine import Engine
from appliance.engine.mixer import PANIC_FADE_S, volume_db
from appliance.errors import ProfileError
from appliance.events import (
    Event,
    InputId,
    Panic,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    SoundKind,
)
from appliance.music import Key, chord_on
from appliance.profile import PlayMode, Profile, default_profile
from appliance.sound.fake import FAKE_LEVEL, FakeSynth
from appliance.sound.synth import DRUM_CHANNEL

INPUTS = BoxConfig().input_ids()
S1, S2, S3, S4 = (InputId(f"switch:{n}") for n in range(1, 5))


class Rig:
    """An engine on a FakeSynth, driven with a clock that ticks on every event."""

    def __init__(self, profile: Profile | None = None, synth: FakeSynth | None = None) -> None:
        self.synth = synth or FakeSynth()
        self.log: list[SoundEvent] = []
        self.engine = Engine(self.synth, profile or default_profile(), INPUTS, [self.log.append])
        self.t = 0.0
        self.mark = len(self.synth.calls)  # calls before this index are setup

    def _time(self) -> float:
        self.t += 0.1
        return self.t

    def send(self, event: Event) -> None:
        self.engine.handle(event)

    def press(self, iid: str) -> None:
        self.send(Pressed(self._time(), InputId(iid)))

    def release(self, iid: str) -> None:
        self.send(Released(self._time(), InputId(iid)))

    def set(self, path: str, value: str) -> None:
        self.send(SetSetting(self._time(), path, value))

    def calls(self, kind: str | None = None) -> list[tuple[object, ...]]:
        """Synth calls since the last :meth:`reset`, optionally of one kind."""
        new = self.synth.calls[self.mark :]
        return [c for c in new if kind is None or c[0] == kind]

    def reset(self) -> None:
        self.mark = len(self.synth.calls)

    def sounding(self) -> set[tuple[int, int]]:
        """What the synth is sounding now, replaying every call it received."""
        on: set[tuple[int, int]] = set()
        for call in self.synth.calls:
            if call[0] == "note_on":
                on.add((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] == "note_off":
                on.discard((call[1], call[2]))  # type: ignore[arg-type]
            elif call[0] in ("all_notes_off", "all_sounds_off"):
                on = set() if call[1] is None else {s for s in on if s[0] != call[1]}
            elif call[0] == "reset":
                on = set()
        return on


def assert_balanced(calls: list[tuple[object, ...]]) -> None:
    """Every note_on has its own note_off, and no note_off comes before its note_on."""
    count: Counter[tuple[object, object]] = Counter()
    for call in calls:
        if call[0] == "note_on":
            count[call[1], call[2]] += 1
        elif call[0] == "note_off":
            count[call[1], call[2]] -= 1
            assert count[call[1], call[2]] >= 0, f"note_off without a note_on: {call}"
    assert +count == Counter(), f"note_ons never stopped: {+count}"


@pytest.fixture
def rig() -> Rig:
    return Rig()


# -- startup ---------------------------------------------------------------------


def test_startup_programs_one_channel_per_instrument_and_plays_nothing(rig):
    programs = [c for c in rig.synth.calls if c[0] == "program"]
    # marimba, vibraphone, orchestral harp, flute on channels 0..3, in switch order,
    # then the pads' kalimba and the beam's celesta
    assert programs == [
        ("program", 0, 0, 12),
        ("program", 1, 0, 11),
        ("program", 2, 0, 46),
        ("program", 3, 0, 73),
        ("program", 4, 0, 108),
        ("program", 5, 0, 8),
    ]
    assert not [c for c in rig.synth.calls if c[0] == "note_on"]
    # Each channel reset, programmed and levelled (its trim at the default volume).
    at_default = round(FAKE_LEVEL.trim * 10 ** (volume_db(0.6) / 40))
    assert [c for c in rig.synth.calls if c[0] == "cc"] == [
        call for ch in range(6) for call in (("cc", ch, 121, 0), ("cc", ch, 7, at_default))
    ]
    assert rig.log[0].type is SoundKind.GAIN and rig.log[0].gain == rig.synth.gain_ceiling
    assert rig.engine.next_deadline() is None  # nothing moves: no ticks


# -- note mode -----------------------------------------------------------------------


def test_note_mode_press_sounds_and_release_stops(rig):
    rig.press("switch:1")
    assert rig.calls() == [("note_on", 0, 60, 100)]
    assert rig.sounding() == {(0, 60)}
    rig.release("switch:1")
    assert rig.calls() == [("note_on", 0, 60, 100), ("note_off", 0, 60)]
    assert rig.sounding() == set()


def test_each_default_switch_plays_its_own_note_on_its_own_channel(rig):
    for iid in ("switch:1", "switch:2", "switch:3", "switch:4"):
        rig.press(iid)
    # C4 E4 G4 C5 (degrees 1, 3, 4, 6 of C major pentatonic); flute is softer
    assert rig.calls("note_on") == [
        ("note_on", 0, 60, 100),
        ("note_on", 1, 64, 100),
        ("note_on", 2, 67, 100),
        ("note_on", 3, 72, 90),
    ]
    for iid in ("switch:3", "switch:1", "switch:4", "switch:2"):
        rig.release(iid)
    assert rig.sounding() == set()
    assert_balanced(rig.calls())


def test_sound_events_mirror_the_synth_calls(rig):
    rig.reset()
    rig.press("switch:2")
    rig.release("switch:2")
    notes = [e for e in rig.log if e.type in (SoundKind.NOTE_ON, SoundKind.NOTE_OFF)]
    assert [(e.type, e.channel, e.note, e.velocity, e.source) for e in notes] == [
        (SoundKind.NOTE_ON, 1, 64, 100, "switch:2"),
        (SoundKind.NOTE_OFF, 1, 64, None, "switch:2"),
    ]
    assert notes[0].t == pytest.approx(0.1)
    assert notes[1].t == pytest.approx(0.2)


def test_a_repeated_press_without_a_release_is_the_same_contact(rig):
    rig.press("switch:1")
    rig.press("switch:1")  # the release in between never arrived: still one contact
    assert rig.calls() == [("note_on", 0, 60, 100)]
    rig.release("switch:1")
    assert rig.sounding() == set()
    assert_balanced(rig.calls())


def test_release_without_press_does_nothing(rig):
    rig.release("switch:1")
    assert rig.calls() == []
    assert rig.engine.status().errors == 0


# -- latch mode -------------------------------------------------------------------


def test_latch_toggles_with_one_note_on_and_off_at_the_second_press(rig):
    rig.set("switch:1.mode", "latch")
    rig.reset()
    rig.press("switch:1")
    rig.release("switch:1")
    assert rig.calls() == [("note_on", 0, 60, 100)]
    assert rig.sounding() == {(0, 60)}
    rig.press("switch:1")
    assert rig.calls() == [("note_on", 0, 60, 100), ("note_off", 0, 60)]
    rig.release("switch:1")
    assert rig.calls() == [("note_on", 0, 60, 100), ("note_off", 0, 60)]
    assert rig.sounding() == set()
    # A third press starts it again.
    rig.press("switch:1")
    assert rig.calls()[-1] == ("note_on", 0, 60, 100)


def test_changing_mode_while_latched_releases_the_latched_note(rig):
    rig.set("switch:1.mode", "latch")
    rig.press("switch:1")
    rig.release("switch:1")
    rig.reset()
    rig.set("switch:1.mode", "note")
    assert rig.calls("note_off") == [("note_off", 0, 60)]
    assert rig.sounding() == set()
    assert rig.engine.status().notes_sounding == 0
    # The next press is an ordinary note-mode press.
    rig.press("switch:1")
    rig.release("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


def test_changing_mode_to_chord_while_latched_releases_the_latched_note(rig):
    rig.set("switch:2.mode", "latch")
    rig.press("switch:2")
    rig.set("switch:2.mode", "chord")
    assert rig.sounding() == set()
    rig.release("switch:2")
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


# -- chord mode --------------------------------------------------------------------


def test_chord_mode_plays_the_triad_on_the_switch_degree(rig):
    rig.set("switch:1.mode", "chord")
    rig.reset()
    rig.press("switch:1")
    ons = rig.calls("note_on")
    assert len(ons) == 3
    notes = tuple(c[2] for c in ons)
    key = Key.parse("C", "major_pentatonic")
    assert notes == chord_on(key, 1, 4) == (60, 64, 69)  # C E A
    assert all(key.contains(n) for n in notes)
    assert {c[1] for c in ons} == {0}  # all on the switch's instrument channel
    rig.release("switch:1")
    assert sorted(c[2] for c in rig.calls("note_off")) == [60, 64, 69]
    assert rig.sounding() == set()


@pytest.mark.parametrize(
    ("scale", "switch", "expected"),
    [
        ("major", "switch:1", (60, 64, 67)),  # C major on degree 1
        ("major", "switch:2", (64, 67, 71)),  # E minor on degree 3
        ("natural_minor", "switch:1", (60, 63, 67)),  # C minor
        ("harmonic_minor", "switch:4", (68, 72, 75)),  # Ab major on degree 6
    ],
)
def test_chord_mode_follows_the_scale(rig, scale, switch, expected):
    rig.set("scale", scale)
    rig.set(f"{switch}.mode", "chord")
    rig.reset()
    rig.press(switch)
    assert tuple(c[2] for c in rig.calls("note_on")) == expected
    key = Key.parse("C", scale)
    assert all(key.contains(n) for n in expected)


# -- key changes while holding -----------------------------------------------------


def test_switch_held_across_key_change_releases_the_note_it_started(rig):
    rig.press("switch:1")
    rig.set("key", "E")
    rig.release("switch:1")
    assert rig.calls("note_off") == [("note_off", 0, 60)]  # C4, not E4
    assert rig.sounding() == set()
    rig.press("switch:1")
    assert rig.calls("note_on")[-1] == ("note_on", 0, 64, 100)  # now E4


def test_chord_held_across_scale_and_key_change_releases_its_own_notes(rig):
    rig.set("switch:1.mode", "chord")
    rig.press("switch:1")  # C E A
    rig.set("key", "D")
    rig.set("scale", "major")
    rig.release("switch:1")
    assert sorted(c[2] for c in rig.calls("note_off")) == [60, 64, 69]
    assert rig.sounding() == set()


def test_switch_held_across_instrument_change_releases_on_its_old_channel(rig):
    rig.press("switch:1")  # marimba, channel 0
    rig.set("switch:1.instrument", "ocarina")
    rig.release("switch:1")
    assert rig.calls("note_off") == [("note_off", 0, 60)]
    rig.press("switch:1")
    on = rig.calls("note_on")[-1]
    assert on[1] != 0  # channel 0 was still busy when ocarina needed one
    rig.release("switch:1")
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


# -- shared channels --------------------------------------------------------------


def _twins() -> Profile:
    """switch:1 and switch:2 both play marimba, degree 1."""
    return (
        default_profile()
        .with_setting("switch:2.instrument", "marimba")
        .with_setting("switch:2.degree", "1")
    )


def test_same_instrument_and_degree_share_a_channel_and_the_last_holder_stops_it():
    rig = Rig(_twins())
    rig.reset()
    rig.press("switch:1")
    rig.press("switch:2")
    # The second holder re-strikes: an explicit off, then on, on the same channel.
    assert rig.calls() == [("note_on", 0, 60, 100), ("note_off", 0, 60), ("note_on", 0, 60, 100)]
    rig.release("switch:1")
    assert rig.calls("note_off") == [("note_off", 0, 60)]  # only the re-strike's off
    assert rig.sounding() == {(0, 60)}  # switch:2 still holds it
    assert rig.engine.status().notes_sounding == 1
    rig.release("switch:2")
    assert rig.sounding() == set()
    assert len(rig.calls("note_on")) == len(rig.calls("note_off")) == 2
    assert_balanced(rig.calls())


def test_shared_note_released_in_press_order_too():
    rig = Rig(_twins())
    rig.press("switch:1")
    rig.press("switch:2")
    rig.release("switch:2")
    assert rig.sounding() == {(0, 60)}
    rig.release("switch:1")
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


def test_shared_channel_with_a_latched_holder():
    rig = Rig(_twins().with_setting("switch:1.mode", "latch"))
    rig.press("switch:1")
    rig.release("switch:1")  # latched
    rig.press("switch:2")
    rig.release("switch:2")
    assert rig.sounding() == {(0, 60)}  # the latch still holds it
    rig.press("switch:1")  # unlatch
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


def test_two_switches_sharing_an_instrument_use_one_channel():
    profile = default_profile().with_setting("switch:3.instrument", "marimba")
    rig = Rig(profile)
    rig.press("switch:1")
    rig.press("switch:3")
    ons = rig.calls("note_on")
    assert [(c[1], c[2]) for c in ons] == [(0, 60), (0, 67)]
    programmed = [c[1] for c in rig.synth.calls if c[0] == "program"]
    assert len(programmed) == 5  # marimba, vibraphone, flute, the pads' kalimba, celesta


def test_drum_kit_goes_to_the_drum_channel(rig):
    rig.set("switch:4.instrument", "drums:0")
    rig.press("switch:4")
    assert rig.calls("note_on")[-1][1] == DRUM_CHANNEL


# -- silencing --------------------------------------------------------------------


def _hold_everything(rig: Rig) -> None:
    rig.set("switch:1.mode", "latch")
    rig.set("switch:2.mode", "chord")
    rig.press("switch:1")
    rig.release("switch:1")  # latched
    rig.press("switch:2")  # a held chord
    rig.press("switch:3")
    rig.press("switch:4")
    assert len(rig.sounding()) == 6


def test_panic_leaves_nothing_sounding(rig):
    _hold_everything(rig)
    rig.reset()
    rig.send(Panic(rig.t + 1, source="control"))
    assert rig.sounding() == set()
    assert rig.calls()[-1] == ("all_notes_off", None)
    assert len(rig.calls("note_off")) == 6  # each note gets its own off first
    status = rig.engine.status()
    assert status.notes_sounding == 0
    assert all(not i.sounding and not i.active for i in status.inputs)
    assert rig.log[-1].type is SoundKind.ALL_NOTES_OFF
    assert rig.log[-1].source == "control"
    assert_balanced(rig.synth.calls)


def test_panic_fades_cuts_resets_and_sets_every_channel_up_again(rig):
    _hold_everything(rig)
    set_up = [e for e in rig.log if e.type is SoundKind.PROGRAM]
    levels = {e.channel: e.value for e in rig.log if e.control == 7}
    panic_at = rig.t + 1
    rig.send(Panic(panic_at, source="control"))
    rig.reset()
    rig.send(Pressed(panic_at + 0.005, S3))  # a press in the fade is silenced with the rest
    while (due := rig.engine.next_deadline()) is not None and due < panic_at + 1:
        rig.engine.tick(due)
    after = [e for e in rig.log if e.t >= panic_at]
    block = rig.synth.block_s
    (cut,) = [e.t for e in after if e.type is SoundKind.ALL_SOUNDS_OFF]
    (reset,) = [e.t for e in after if e.type is SoundKind.RESET]
    assert cut - panic_at == pytest.approx(PANIC_FADE_S, abs=block)
    assert reset - cut == pytest.approx(block)  # a block apart: see PanicStep
    for channel in levels:
        fade = [e.value for e in after if e.control == 7 and e.channel == channel and e.t < cut]
        assert fade == sorted(fade, reverse=True)
        assert len(fade) >= 8  # faded, not cut: a cut at full level would click
        assert fade[-1] <= fade[0] / 10  # 40 dB down or more when the cut comes
    # A block after the reset, every channel is set up again as it was at the start.
    again = [e for e in after if e.t > reset]
    assert [e.t for e in again] == pytest.approx([reset + block] * len(again))
    programs = [e for e in again if e.type is SoundKind.PROGRAM]
    assert [(e.channel, e.instrument) for e in programs] == [
        (e.channel, e.instrument) for e in set_up
    ]
    assert {e.channel: e.value for e in again if e.control == 7} == levels
    assert rig.calls("note_on") == []
    assert [c[0] for c in rig.calls() if c[0] in ("all_sounds_off", "reset")] == [
        "all_sounds_off",
        "reset",
    ]
    assert rig.sounding() == set()
    assert not rig.engine.voicing.mixer.panicking
    assert rig.engine.voicing.mixer.deadline is None  # the mixer is still again
    rig.t = panic_at + 1
    rig.press("switch:1")  # and the box plays again at once
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]


def test_release_all_leaves_nothing_sounding_and_later_releases_are_harmless(rig):
    _hold_everything(rig)
    rig.engine.release_all(9.0, "stop")
    assert rig.sounding() == set()
    rig.reset()
    for iid in ("switch:2", "switch:3", "switch:4"):
        rig.release(iid)  # the client lets go after the stop
    assert rig.calls() == []
    # The latched switch starts afresh rather than "unlatching" nothing.
    rig.press("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]
    assert rig.engine.status().errors == 0


# -- errors never raise -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mystery(Event):
    """An event type the engine has never heard of."""


def test_unknown_inputs_and_events_are_counted_not_raised(rig):
    rig.send(Pressed(1.0, InputId("switch:9")))
    rig.send(Released(1.1, InputId("switch:9")))
    rig.send(Pressed(1.2, InputId("nonsense")))
    rig.send(Mystery(1.3))
    status = rig.engine.status()
    assert status.errors == 4
    assert status.events_handled == 4
    assert "Mystery" in status.last_error
    assert not rig.calls("note_on")
    # The engine still plays afterwards.
    rig.press("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]


def test_unknown_input_error_names_the_input(rig):
    rig.send(Pressed(1.0, InputId("switch:9")))
    last = rig.engine.status().last_error
    assert "switch:9" in last
    assert "switch:1" in last  # lists the inputs the box has


@pytest.mark.parametrize(
    ("path", "value", "mentions"),
    [
        ("key", "H", "key"),
        ("scale", "majestic", "scale"),
        ("volume", "loud", "volume"),
        ("volume", "2", "volume"),
        ("switch:1.mode", "hold", "switch:1.mode"),
        ("switch:1.colour", "red", "switch:1.colour"),
        ("switch:1.instrument", "kazoooo", "switch:1.instrument"),
        ("switch:9.mode", "latch", "switch:9"),
        ("pad:1.mode", "strum", "pad:1.mode"),
        ("knob:1.mode", "latch", "knob"),
        ("inputs", "x", "inputs"),
    ],
)
def test_bad_set_setting_is_counted_and_changes_nothing(rig, path, value, mentions):
    before = rig.engine.profile
    gain = rig.engine.status().gain
    rig.reset()
    rig.set(path, value)
    status = rig.engine.status()
    assert status.errors == 1
    assert mentions in status.last_error
    assert rig.engine.profile == before
    assert rig.calls() == []  # nothing reached the synth: no level, no program
    assert status.gain == gain
    assert rig.engine.next_deadline() is None
    rig.press("switch:1")
    assert rig.calls("note_on")[-1] == ("note_on", 0, 60, 100)


def test_a_degree_beyond_midi_is_an_error_not_a_crash(rig):
    rig.set("switch:1.degree", "36")  # valid alone, but 7 octaves above C4
    status = rig.engine.status()
    assert status.errors == 1
    assert "degree 36 in octave 4 reaches outside" in status.last_error
    rig.press("switch:1")  # the refused setting changed nothing
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]


def test_a_failing_listener_does_not_stop_the_music(rig):
    def broken(event: SoundEvent) -> None:
        raise RuntimeError("listener bug")

    rig.engine.listeners.insert(0, broken)
    rig.press("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, 100)]
    assert rig.log[-1].type is SoundKind.NOTE_ON  # later listeners still told
    assert rig.engine.status().errors == 0


# -- status -------------------------------------------------------------------------


def test_status_snapshot(rig):
    rig.set("key", "Eb")
    rig.set("scale", "blues")
    rig.set("volume", "0.3")
    rig.set("switch:3.mode", "chord")
    rig.press("switch:1")
    rig.press("switch:3")
    status = rig.engine.status()
    assert (status.profile, status.key, status.scale) == ("Default", "Eb", "blues")
    assert status.volume == pytest.approx(0.3)
    # The ceiling on the volume's taper (the notes are too few for the headroom rule).
    assert status.gain == pytest.approx(rig.synth.gain_ceiling * 10 ** (volume_db(0.3) / 20))
    assert status.synth == "offline"
    assert [i.id for i in status.inputs] == list(INPUTS)
    s1, s2, s3, s4 = status.inputs[:4]
    assert (s1.active, s1.mode, s1.instrument, s1.sounding) == (True, "note", "Marimba", ("Eb4",))
    # Eb blues: Eb Gb Ab A Bb Db; degree 4 is A, its triad degrees 4, 6, 8: A Db Gb
    assert (s3.active, s3.mode, s3.sounding) == (True, "chord", ("A4", "Db5", "Gb5"))
    assert (s2.active, s2.sounding) == (False, ())
    assert s4.instrument == "Flute"
    assert status.notes_sounding == 4
    assert status.errors == 0
    assert status.events_handled == 6


def test_status_shows_a_latched_note_as_sounding_but_not_active(rig):
    rig.set("switch:2.mode", "latch")
    rig.press("switch:2")
    rig.release("switch:2")
    s2 = rig.engine.status().inputs[1]
    assert (s2.active, s2.mode, s2.sounding) == (False, "latch", ("E4",))


def test_status_uses_sharps_in_sharp_keys(rig):
    rig.set("key", "D")
    rig.press("switch:2")
    status = rig.engine.status()
    assert status.key == "D"
    assert status.inputs[1].sounding == ("F#4",)


def test_status_spells_notes_the_way_the_key_was_typed(rig):
    rig.set("key", "F#")
    rig.press("switch:2")
    status = rig.engine.status()
    assert status.key == "F#"
    assert status.inputs[1].sounding == ("A#4",)


# -- safety: velocity (the volume's safety is in test_volume.py) ---------------------


def _with_velocity(velocity: int) -> Profile:
    profile = default_profile()
    s1 = dataclasses.replace(profile.inputs[S1], velocity=velocity)
    return dataclasses.replace(profile, inputs=MappingProxyType({**profile.inputs, S1: s1}))


@pytest.mark.parametrize(("velocity", "heard"), [(500, 127), (128, 127), (0, 1), (-20, 1)])
def test_velocity_is_clamped(velocity, heard):
    rig = Rig(_with_velocity(velocity))
    rig.press("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, heard)]
    assert rig.log[-1].velocity == heard


def test_velocity_is_clamped_to_the_synth_maximum():
    synth = FakeSynth()
    synth.max_velocity = 80
    rig = Rig(synth=synth)
    rig.press("switch:1")
    assert rig.calls("note_on") == [("note_on", 0, 60, 80)]


# -- a long random-ish session stays balanced ----------------------------------------


def test_a_busy_session_leaves_every_note_stopped():
    rig = Rig(_twins())
    moves = [
        ("set", "switch:3.mode", "latch"),
        ("press", "switch:1"),
        ("press", "switch:3"),
        ("set", "key", "G"),
        ("press", "switch:2"),
        ("release", "switch:3"),
        ("set", "switch:4.mode", "chord"),
        ("press", "switch:4"),
        ("release", "switch:1"),
        ("set", "scale", "blues"),
        ("press", "switch:1"),
        ("release", "switch:4"),
        ("press", "switch:3"),  # unlatch
        ("set", "switch:1.instrument", "ocarina"),
        ("release", "switch:2"),
        ("press", "switch:2"),
        ("release", "switch:1"),
        ("release", "switch:2"),
        ("release", "switch:3"),
    ]
    for move in moves:
        if move[0] == "set":
            rig.set(move[1], move[2])
        elif move[0] == "press":
            rig.press(move[1])
        else:
            rig.release(move[1])
    assert rig.engine.status().errors == 0
    assert rig.sounding() == set()
    assert rig.engine.status().notes_sounding == 0
    assert_balanced(rig.synth.calls)
    assert PlayMode(rig.engine.status().inputs[2].mode) is PlayMode.LATCH


# -- settings checked off the engine's thread --------------------------------------


def test_settings_checked_elsewhere_are_taken_as_they_are(rig):
    before = rig.engine.profile
    after = before.with_settings([("key", "G")])
    assert rig.engine.change_settings([("key", "G")], 1.0, (before, after)) is after


def test_settings_checked_against_an_older_profile_are_checked_again(rig):
    before = rig.engine.profile
    after = before.with_settings([("key", "G")])
    rig.engine.change_settings([("scale", "major")], 1.0)  # the profile moved on meanwhile
    now = rig.engine.change_settings([("key", "G")], 2.0, (before, after))
    assert (now.key, now.scale) == ("G", "major")


def test_several_settings_change_together_or_not_at_all(rig):
    with pytest.raises(ProfileError):
        rig.engine.change_settings([("key", "D"), ("switch:1.mode", "lach")], 1.0)
    assert rig.engine.profile.key == "C"
    rig.engine.change_settings([("beam:1.near", "1.5"), ("beam:1.far", "2.5")], 2.0)
    assert rig.engine.profile.settings_for("beam:1").near == 1.5  # past the old far together
