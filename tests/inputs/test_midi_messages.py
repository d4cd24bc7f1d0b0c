"""MIDI bytes to events: notes, controllers and bends become events; the rest is dropped."""

from __future__ import annotations

import mido
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.events import ControlChange, InputId, NoteOff, NoteOn, PitchBend
from appliance.inputs.midi_messages import Dropped, to_event

KEYS = InputId("midi:keys")
T = 12.5


def event_of(message: mido.Message):
    return to_event(message.bytes(), T, KEYS)


def test_a_note_on_carries_note_velocity_and_channel():
    assert event_of(mido.Message("note_on", note=60, velocity=100, channel=3)) == NoteOn(
        T, KEYS, 60, 100, 3
    )


def test_a_note_on_with_velocity_0_is_a_note_off():
    assert event_of(mido.Message("note_on", note=60, velocity=0, channel=3)) == NoteOff(
        T, KEYS, 60, 3
    )


def test_a_note_off_ignores_its_release_velocity():
    assert event_of(mido.Message("note_off", note=61, velocity=64, channel=15)) == NoteOff(
        T, KEYS, 61, 15
    )


def test_a_controller():
    assert event_of(mido.Message("control_change", control=64, value=127, channel=0)) == (
        ControlChange(T, KEYS, 64, 127, 0)
    )


@pytest.mark.parametrize("pitch", [-8192, -1, 0, 1, 8191])
def test_pitch_bend_keeps_mido_s_value(pitch):
    assert event_of(mido.Message("pitchwheel", pitch=pitch, channel=2)) == PitchBend(
        T, KEYS, pitch, 2
    )


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (mido.Message("aftertouch", value=90), Dropped.AFTERTOUCH),
        (mido.Message("polytouch", note=60, value=90), Dropped.AFTERTOUCH),
        (mido.Message("program_change", program=5), Dropped.PROGRAM),
        (mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01]), Dropped.SYSTEM),
        (mido.Message("clock"), Dropped.SYSTEM),
        (mido.Message("active_sensing"), Dropped.SYSTEM),
        (mido.Message("start"), Dropped.SYSTEM),
        (mido.Message("songpos", pos=10), Dropped.SYSTEM),
        (mido.Message("reset"), Dropped.SYSTEM),
    ],
)
def test_what_the_box_has_no_use_for_is_dropped(message, why):
    assert event_of(message) is why


@pytest.mark.parametrize(
    "data",
    [
        [],  # nothing
        [0x45, 20],  # data bytes with no status
        [0x90, 60],  # a note-on a byte short
        [0x90, 200, 3],  # a data byte over 127
        [0xB0, 7, 0x80],
        [0x90, 60, 1, 2],  # a byte too many
    ],
)
def test_malformed_bytes_are_dropped_not_raised(data):
    assert to_event(data, T, KEYS) is Dropped.MALFORMED


def mido_reading(data):
    """The event mido's own parser makes of ``data``, or None where it sees none."""
    try:
        message = mido.Message.from_bytes(data)
    except ValueError:
        return None
    if message.type == "note_on" and message.velocity:
        return NoteOn(T, KEYS, message.note, message.velocity, message.channel)
    if message.type in ("note_on", "note_off"):
        return NoteOff(T, KEYS, message.note, message.channel)
    if message.type == "control_change":
        return ControlChange(T, KEYS, message.control, message.value, message.channel)
    if message.type == "pitchwheel":
        return PitchBend(T, KEYS, message.pitch, message.channel)
    return None


@given(st.lists(st.integers(0, 255), max_size=6))
def test_any_bytes_read_as_mido_reads_them_or_are_dropped(data):
    result = to_event(data, T, KEYS)
    expected = mido_reading(data)
    if expected is None:
        assert isinstance(result, Dropped)
    else:
        assert result == expected


@given(st.sampled_from([0x80, 0x90, 0xB0, 0xE0]), st.integers(0, 15), st.binary(min_size=2))
def test_every_voice_message_mido_reads_becomes_its_event(kind, channel, data):
    data = [kind | channel, data[0] & 0x7F, data[1] & 0x7F]
    assert to_event(data, T, KEYS) == mido_reading(data)
