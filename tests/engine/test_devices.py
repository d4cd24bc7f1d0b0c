"""MIDI devices in the engine: plugged and unplugged mid-session, each in its role.

Heard through a FakeSynth (every call) and the SoundEvents the engine announces.
"""

from __future__ import annotations

import pytest
from engine.midi_rig import KEYS, PADS, Rig, assert_balanced

from appliance.engine.devices import SCALE_CYCLE, VOLUME_STEP
from appliance.events import (
    ControlChange,
    InputId,
    NoteOff,
    NoteOn,
    PitchBend,
    SoundKind,
)
from appliance.music import SCALES
from appliance.profile import MidiRole, default_profile

RESET_ALL_CONTROLLERS = 121
SUSTAIN = 64
C_E_G = (60, 64, 67)


def therapist(rig: Rig | None = None, device: str = KEYS) -> Rig:
    rig = rig or Rig()
    rig.plug(device, "therapist")
    return rig


def client(rig: Rig | None = None, device: str = PADS) -> Rig:
    rig = rig or Rig()
    rig.plug(device, "client")
    return rig


def controller(rig: Rig | None = None, device: str = PADS) -> Rig:
    rig = rig or Rig()
    rig.plug(device, "controller")
    return rig


def input_channels(rig: Rig) -> set[int]:
    """The channels the box's own inputs were given at startup."""
    return {c[1] for c in rig.synth.calls if c[0] == "program"}  # type: ignore[misc]


# -- therapist -------------------------------------------------------------------------


def test_a_therapists_notes_play_as_struck_on_a_channel_of_their_own():
    rig = Rig()
    inputs = input_channels(rig)
    therapist(rig)
    rig.set("harmony", "therapist")
    for note, velocity in ((61, 37), (66, 127), (30, 1)):  # none of them in the key
        rig.note(note, velocity)
    ons = rig.events(SoundKind.NOTE_ON, KEYS)
    assert [(e.note, e.velocity) for e in ons] == [(61, 37), (66, 127), (30, 1)]
    channel = rig.channel_of(KEYS)
    assert channel not in inputs
    assert {e.channel for e in ons} == {channel}
    assert [e.source for e in ons] == ["midi:keys#61", "midi:keys#66", "midi:keys#30"]


def test_each_device_has_its_own_channel_and_instrument():
    rig = therapist()
    rig.set("midi:organ.instrument", "church_organ")
    therapist(rig, "midi:organ")
    rig.note(60)
    rig.note(60, device="midi:organ")
    assert rig.channel_of(KEYS) != rig.channel_of("midi:organ")
    programs = {c[1]: c[3] for c in rig.synth.calls if c[0] == "program"}
    assert programs[rig.channel_of(KEYS)] == 0  # acoustic grand piano, the default
    assert programs[rig.channel_of("midi:organ")] == 19  # church organ


def test_a_therapists_sustain_pedal_and_bend_reach_its_channel():
    rig = therapist()
    rig.note(60)
    channel = rig.channel_of(KEYS)
    rig.reset()
    rig.cc(SUSTAIN, 127)
    rig.bend(2000)
    rig.cc(1, 50)  # modulation
    rig.cc(SUSTAIN, 0)
    rig.bend(0)
    assert rig.calls() == [
        ("cc", channel, SUSTAIN, 127),
        ("pitch_bend", channel, 2000),
        ("cc", channel, 1, 50),
        ("cc", channel, SUSTAIN, 0),
        ("pitch_bend", channel, 0),
    ]
    assert [e.source for e in rig.events()] == [KEYS] * 5


@pytest.mark.parametrize(
    "control",
    [7, 0, 32, 6, 38, 98, 99, 100, 101, 120, 121, 123, 127],
    ids=lambda c: f"cc{c}",
)
def test_the_box_keeps_volume_bank_parameters_and_channel_modes_to_itself(control):
    rig = therapist()
    rig.note(60)
    rig.reset()
    rig.cc(control, 0)
    rig.cc(control, 127)
    assert rig.calls() == []
    assert rig.engine.status().errors == 0


def test_a_key_struck_twice_without_its_note_off_is_ended_by_one_note_off():
    rig = therapist()
    rig.note(60, 80)
    rig.note(60, 100)  # a second channel, or a lost note-off
    rig.off(60)
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)


def test_a_therapists_note_off_ends_its_note_whatever_the_harmony_did():
    rig = therapist()
    rig.set("harmony", "therapist")
    rig.chord(C_E_G)
    rig.set("key", "F#")
    rig.lift(C_E_G)
    assert rig.sounding() == set()


# -- client -----------------------------------------------------------------------------


def test_a_clients_keys_lock_to_the_key():
    rig = client()
    for n in (60, 61, 62, 65, 66, 70, 71):
        rig.note(n, device=PADS)
        rig.off(n, device=PADS)
    # C major pentatonic: C D E G A; between two, the lower
    assert rig.ons(PADS) == [60, 60, 62, 64, 67, 69, 72]


def test_a_clients_keys_lock_to_the_therapists_chord():
    rig = therapist()
    client(rig)
    rig.set("harmony", "therapist")
    rig.chord((57, 60, 64))  # A minor
    for n in (58, 59, 62, 65, 67, 71, 74):
        rig.note(n, device=PADS)
        rig.off(n, device=PADS)
    # B is nearer C than A; D and F# fall between two tones: the lower
    assert rig.ons(PADS) == [57, 60, 60, 64, 69, 72, 72]


def test_a_client_plays_on_its_devices_instrument_and_channel():
    rig = Rig()
    inputs = input_channels(rig)
    rig.set("midi:pads.instrument", "ocarina")
    client(rig)
    rig.note(60)
    rig.note(60, device=PADS)
    channel = rig.channel_of(PADS)
    assert channel not in inputs
    assert ("program", channel, 0, 79) in rig.synth.calls


@pytest.mark.parametrize(
    ("curve", "struck", "heard"),
    [
        ("fixed", 20, 100),
        ("fixed", 127, 100),
        ("gentle", 20, 60),  # halfway to the device's 100
        ("gentle", 127, 114),
        ("gentle", 100, 100),
        ("full", 20, 20),
        ("full", 127, 127),
    ],
)
def test_a_clients_velocity_goes_through_the_devices_curve(curve, struck, heard):
    rig = Rig()
    rig.set("midi:pads.velocity_curve", curve)
    client(rig)
    rig.note(60, struck, device=PADS)
    assert [e.velocity for e in rig.events(SoundKind.NOTE_ON, PADS)] == [heard]


def test_the_fixed_curve_uses_the_devices_velocity():
    rig = Rig()
    rig.set("midi:pads.velocity_curve", "fixed")
    rig.set("midi:pads.velocity", "45")
    client(rig)
    rig.note(60, 127, device=PADS)
    assert [e.velocity for e in rig.events(SoundKind.NOTE_ON, PADS)] == [45]


def test_a_bouncing_key_plays_once_through_the_lock_out():
    rig = client()
    rig.t = 10.0
    pads = InputId(PADS)
    # 30 ms lock-out (the default): the bounce inside it is not a second note.
    for event in (
        NoteOn(10.000, pads, 60, 90),
        NoteOff(10.008, pads, 60),
        NoteOn(10.015, pads, 60, 90),
        NoteOff(10.100, pads, 60),
    ):
        rig.send(event)
    rig.run_until(10.2)
    ons = rig.events(SoundKind.NOTE_ON, PADS)
    offs = rig.events(SoundKind.NOTE_OFF, PADS)
    assert [(e.note, e.t) for e in ons] == [(60, 10.0)]
    assert [(e.note, e.t) for e in offs] == [(60, 10.1)]


def test_the_devices_own_lock_out_is_used():
    rig = Rig()
    rig.set("midi:pads.lockout_ms", "300")
    client(rig)
    pads = InputId(PADS)
    for event in (
        NoteOn(10.0, pads, 60, 90),
        NoteOff(10.05, pads, 60),
        NoteOn(10.2, pads, 60, 90),  # a tremor's second hit, inside 300 ms
        NoteOff(10.25, pads, 60),
    ):
        rig.send(event)
    rig.run_until(11.0)
    assert [e.t for e in rig.events(SoundKind.NOTE_ON, PADS)] == [10.0]
    # The release waits for the lock-out to end, then is seen.
    assert [e.t for e in rig.events(SoundKind.NOTE_OFF, PADS)] == [pytest.approx(10.3)]


def test_dwell_plays_a_held_key_at_its_deadline_and_ignores_a_brush():
    rig = Rig()
    rig.set("midi:pads.accept_ms", "100")
    client(rig)
    pads = InputId(PADS)
    rig.send(NoteOn(10.0, pads, 62, 90))
    rig.send(NoteOff(10.05, pads, 62))  # a brush: too short
    rig.send(NoteOn(11.0, pads, 64, 90))
    rig.run_until(11.099)
    assert rig.ons(PADS) == []
    assert rig.engine.next_deadline() == pytest.approx(11.1)
    rig.run_until(11.5)
    assert [(e.note, e.t) for e in rig.events(SoundKind.NOTE_ON, PADS)] == [
        (64, pytest.approx(11.1))
    ]
    rig.send(NoteOff(12.0, pads, 64))
    assert rig.sounding() == set()


def test_a_clients_key_held_down_stops_at_its_longest_note():
    rig = Rig()
    rig.set("midi:pads.max_note_s", "2")
    client(rig)
    pads = InputId(PADS)
    rig.send(NoteOn(10.0, pads, 60, 90))
    rig.run_until(11.9)
    assert rig.sounding() != set()
    rig.run_until(12.5)
    assert [e.t for e in rig.events(SoundKind.NOTE_OFF, PADS)] == [12.0]
    rig.send(NoteOff(13.0, pads, 60))  # the key is lifted at last: nothing more
    rig.send(NoteOn(13.1, pads, 60, 90))  # and plays again
    assert len(rig.events(SoundKind.NOTE_ON, PADS)) == 2
    rig.send(NoteOff(13.2, pads, 60))
    assert_balanced(rig.synth.calls)


def test_a_clients_controllers_and_bends_do_nothing():
    rig = client()
    rig.note(60, device=PADS)
    rig.reset()
    rig.cc(SUSTAIN, 127, device=PADS)
    rig.bend(4000, device=PADS)
    assert rig.calls() == []


# -- controller --------------------------------------------------------------------------


def test_panic_on_a_controller_silences_the_box():
    rig = therapist()
    controller(rig)
    rig.chord(C_E_G)
    rig.press("switch:1")
    rig.reset()
    rig.note(36, device=PADS)
    assert ("all_notes_off", None) in rig.calls()
    assert [e.source for e in rig.events(SoundKind.ALL_NOTES_OFF)] == [PADS]
    assert rig.sounding() == set()


def test_volume_up_and_down_step_and_stop_at_the_ends():
    rig = controller()
    assert rig.engine.profile.volume == 0.6
    rig.note(38, device=PADS)  # volume up
    assert rig.engine.profile.volume == pytest.approx(0.6 + VOLUME_STEP)
    for _ in range(10):
        rig.note(38, device=PADS)
    assert rig.engine.profile.volume == 1.0
    for _ in range(15):
        rig.note(37, device=PADS)  # volume down
    assert rig.engine.profile.volume == 0.0
    rig.note(38, device=PADS)
    assert rig.engine.profile.volume == pytest.approx(VOLUME_STEP)
    assert rig.engine.status().errors == 0


def test_key_up_and_down_move_the_key_a_semitone():
    rig = controller()
    rig.note(40, device=PADS)  # key up
    assert rig.engine.profile.key == "C#"
    rig.note(40, device=PADS)
    assert rig.engine.profile.key == "D"
    for _ in range(3):
        rig.note(39, device=PADS)  # key down
    assert rig.engine.profile.key == "B"
    rig.press("switch:1")
    assert rig.ons("switch:1") == [71]  # B4: the key's first degree in octave 4


def test_next_scale_steps_through_the_scales_clients_know():
    assert set(SCALE_CYCLE) <= set(SCALES)
    rig = controller()
    seen = []
    for _ in range(len(SCALE_CYCLE)):
        rig.note(41, device=PADS)
        seen.append(rig.engine.profile.scale)
    assert seen == [*SCALE_CYCLE[1:], SCALE_CYCLE[0]]
    assert "natural_minor" in seen


def test_next_scale_from_a_scale_outside_the_cycle_starts_it():
    rig = Rig()
    rig.set("scale", "lydian")
    controller(rig)
    rig.note(41, device=PADS)
    assert rig.engine.profile.scale == SCALE_CYCLE[0]


@pytest.mark.parametrize(("value", "volume"), [(127, 1.0), (0, 0.0), (64, 0.504), (13, 0.102)])
def test_a_fader_on_cc7_sets_the_volume(value, volume):
    rig = controller()
    rig.cc(7, value, device=PADS)
    assert rig.engine.profile.volume == volume


def test_a_fader_resending_its_position_changes_nothing():
    rig = controller()
    changes = []
    rig.engine.profile_listeners.append(lambda old, new: changes.append(new.volume))
    for value in (64, 64, 64, 65):
        rig.cc(7, value, device=PADS)
    assert changes == [0.504, 0.512]


def test_a_button_sending_127_then_0_fires_once():
    rig = Rig()
    rig.set("midi:pads.actions", "cc20=volume_up cc21=panic")
    controller(rig)
    rig.cc(20, 127, device=PADS)
    rig.cc(20, 0, device=PADS)
    assert rig.engine.profile.volume == pytest.approx(0.7)
    rig.cc(20, 127, device=PADS)  # pressed again: fires again
    rig.cc(20, 0, device=PADS)
    assert rig.engine.profile.volume == pytest.approx(0.8)
    rig.cc(20, 100, device=PADS)
    rig.cc(20, 127, device=PADS)  # still down: it crossed the middle once
    assert rig.engine.profile.volume == pytest.approx(0.9)


def test_a_controller_plays_no_notes_and_unmapped_keys_do_nothing():
    rig = controller()
    for n in (36, 48, 60):
        rig.note(n, device=PADS)
        rig.off(n, device=PADS)
    rig.cc(1, 100, device=PADS)
    assert rig.ons() == []
    assert rig.engine.profile.volume == 0.6
    assert rig.engine.status().errors == 0


def test_a_volume_action_on_a_key_is_refused_when_it_is_set():
    rig = controller()
    rig.set("midi:pads.actions", "note36=volume")
    assert rig.engine.status().errors == 1
    assert "volume follows a controller" in rig.engine.status().last_error


# -- unplugging --------------------------------------------------------------------------


def test_unplugging_releases_held_keys_the_pedal_and_the_bend():
    rig = therapist()
    rig.chord(C_E_G)
    rig.cc(SUSTAIN, 127)
    rig.bend(3000)
    rig.off(60)  # held by the pedal only
    channel = rig.channel_of(KEYS)
    rig.reset()
    rig.unplug()
    assert sorted(c for c in rig.calls() if c[0] == "note_off") == [
        ("note_off", channel, 64),
        ("note_off", channel, 67),
    ]
    assert ("cc", channel, RESET_ALL_CONTROLLERS, 0) in rig.calls()  # pedal up, bend centred
    kinds = [(e.type, e.note, e.control) for e in rig.events() if e.channel == channel]
    assert (SoundKind.CC, None, RESET_ALL_CONTROLLERS) in kinds
    assert rig.sounding() == set()
    assert_balanced(rig.synth.calls)
    assert rig.engine.status().errors == 0


def test_unplugging_lets_the_pedal_go_even_after_a_profile_change():
    rig = therapist()
    rig.note(60)
    rig.cc(SUSTAIN, 127)
    rig.off(60)  # the note rings on under the pedal
    channel = rig.channel_of(KEYS)
    rig.set("volume", "0.5")  # any change of profile
    rig.set("switch:1.instrument", "flute")
    rig.reset()
    rig.unplug()
    assert ("cc", channel, RESET_ALL_CONTROLLERS, 0) in rig.calls()


def test_unplugging_a_client_releases_its_keys_and_forgets_its_timers():
    rig = Rig()
    rig.set("midi:pads.accept_ms", "200")
    client(rig)
    pads = InputId(PADS)
    rig.send(NoteOn(10.0, pads, 60, 90))
    rig.run_until(10.3)  # sounding
    rig.send(NoteOn(10.35, pads, 62, 90))  # still in its dwell
    rig.t = 10.4
    rig.unplug(PADS)
    assert rig.sounding() == set()
    assert rig.engine.next_deadline() is None
    rig.run_until(12.0)
    assert rig.ons(PADS) == [60]


def test_a_device_plays_again_when_plugged_again():
    rig = therapist()
    rig.note(60)
    rig.unplug()
    therapist(rig)
    rig.note(62)
    rig.off(62)
    assert rig.ons(KEYS) == [60, 62]
    assert rig.sounding() == set()


def test_fifty_plug_play_unplug_cycles_leave_no_note_sounding():
    rig = Rig()
    rig.set("harmony", "therapist")
    for cycle in range(50):
        therapist(rig)
        client(rig)
        rig.chord((57 + cycle % 5, 60, 64))
        rig.cc(SUSTAIN, 127)
        rig.off(60)
        for n in (62, 65, 69):
            rig.note(n, device=PADS)
        rig.press("switch:1")
        rig.unplug(PADS)
        rig.unplug(KEYS)
        rig.release("switch:1")
        assert rig.sounding() == set(), f"cycle {cycle}"
    assert len(rig.events(SoundKind.NOTE_ON, KEYS)) == 150
    assert len(rig.events(SoundKind.NOTE_ON, PADS)) == 150
    assert_balanced(rig.synth.calls)
    assert rig.engine.status().errors == 0
    assert rig.engine.next_deadline() is None


def test_plugged_again_without_an_unplug_starts_afresh():
    rig = therapist()
    rig.chord(C_E_G)
    rig.plug(KEYS)  # the port was reopened under the same name, its role remembered
    assert rig.sounding() == set()
    rig.lift(C_E_G)
    rig.note(62)
    assert rig.engine.voicing.harmony.heard is not None
    assert rig.engine.voicing.harmony.heard.tones == {2, 5, 9}  # D minor, no ghost C-E-G


# -- roles ----------------------------------------------------------------------------------


def test_a_device_never_seen_is_a_client():
    rig = Rig()
    rig.plug(PADS)
    assert rig.engine.profile.settings_for(PADS).role is MidiRole.CLIENT
    rig.note(61, device=PADS)
    assert rig.ons(PADS) == [60]


def test_a_role_set_before_the_device_is_plugged_is_remembered():
    rig = Rig()
    rig.set("midi:keys.role", "therapist")
    assert rig.engine.status().errors == 0
    rig.plug(KEYS)
    rig.note(61)
    assert rig.ons(KEYS) == [61]
    assert rig.status_of(KEYS).mode == "therapist"


def test_a_role_change_while_keys_are_down_releases_them():
    rig = therapist()
    rig.set("harmony", "therapist")
    rig.chord(C_E_G)
    rig.set("midi:keys.role", "client")
    assert rig.sounding() == set()
    rig.note(61)  # now a client: locked to the chord
    assert rig.ons(KEYS)[-1] == 60
    rig.lift(C_E_G)  # the old keys come up as a client's
    rig.off(61)
    assert rig.sounding() == set()
    rig.set("midi:keys.role", "therapist")
    rig.note(62)  # alone: D minor, with nothing left of the C-E-G
    assert rig.engine.status().harmony == "D minor"
    rig.off(62)
    assert_balanced(rig.synth.calls)
    assert rig.engine.status().errors == 0


def test_a_client_becoming_a_therapist_mid_dwell_plays_nothing_late():
    rig = Rig()
    rig.set("midi:pads.accept_ms", "200")
    client(rig)
    pads = InputId(PADS)
    rig.send(NoteOn(10.0, pads, 61, 90))
    rig.t = 10.1
    rig.set("midi:pads.role", "therapist")
    rig.run_until(11.0)
    assert rig.ons(PADS) == []
    rig.send(NoteOff(11.1, pads, 61))
    rig.send(NoteOn(11.2, pads, 61, 90))
    assert rig.ons(PADS) == [61]  # a therapist's note, as struck


# -- errors and status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        NoteOn(1.0, InputId("midi:ghost"), 60, 90),
        NoteOff(1.0, InputId("midi:ghost"), 60),
        ControlChange(1.0, InputId("midi:ghost"), 64, 127),
        PitchBend(1.0, InputId("midi:ghost"), 100),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_event_from_a_device_never_plugged_is_an_error_counted(event):
    rig = Rig()
    rig.reset()
    rig.send(event)
    status = rig.engine.status()
    assert status.errors == 1
    assert "midi:ghost is not plugged in" in status.last_error
    assert rig.calls() == []
    rig.press("switch:1")  # and the box plays on
    assert rig.ons("switch:1") == [60]


def test_an_event_after_unplugging_is_an_error_counted():
    rig = therapist()
    rig.unplug()
    rig.note(60)
    assert rig.engine.status().errors == 1
    assert rig.ons() == []


def test_the_status_lists_plugged_devices_with_their_role():
    rig = therapist()
    client(rig)
    controller(rig, "midi:knobs")
    rig.set("midi:pads.instrument", "ocarina")
    rig.set("harmony", "therapist")
    rig.chord((57, 60, 64))
    status = rig.engine.status()
    devices = {i.id: i for i in status.inputs if i.id.startswith("midi:")}
    assert list(devices) == [KEYS, PADS, "midi:knobs"]
    assert [d.mode for d in devices.values()] == ["therapist", "client", "controller"]
    assert devices[KEYS].instrument == "Acoustic Grand Piano"
    assert devices[PADS].instrument == "Ocarina"
    assert devices[KEYS].active
    assert sorted(devices[KEYS].sounding) == ["A3", "C4", "E4"]
    assert not devices[PADS].active
    assert status.harmony == "A minor"
    rig.unplug(PADS)
    assert PADS not in {i.id for i in rig.engine.status().inputs}


def test_a_plug_line_with_a_bad_role_is_an_error_and_the_role_stays():
    rig = Rig()
    rig.plug(KEYS, "conductor")
    assert rig.engine.status().errors == 1
    assert rig.engine.profile.settings_for(KEYS).role is MidiRole.CLIENT


def test_the_default_profile_remembers_no_device():
    assert not [i for i in default_profile().inputs if i.startswith("midi:")]
