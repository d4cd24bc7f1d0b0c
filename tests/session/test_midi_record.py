"""The MIDI record: each synth call as MIDI at its block's tick, read back with mido."""

from __future__ import annotations

import math
import os

import mido
import pytest

from appliance.atomic import create_temp_file
from appliance.audio_settings import BLOCK_FRAMES, SAMPLE_RATES
from appliance.events import SoundEvent, SoundKind
from appliance.session.midi_gain import FLUIDSYNTH_DEFAULT_GAIN, curve_cb, headroom_cb, plan_gain
from appliance.session.midi_record import (
    GS_RESET,
    MAX_EXACT_RATE,
    TICKS_PER_BEAT,
    event_tick,
    gs_rhythm_part,
    midi_playback_hint,
    midi_record,
    playback_options,
    write_midi_record,
)

RATE = 48000


def _event(t: float, kind: SoundKind, channel: int | None = 0, **fields: object) -> SoundEvent:
    return SoundEvent(t, kind, channel, "test", **fields)  # type: ignore[arg-type]


def _timed(events: list[SoundEvent], rate: int = RATE, **kwargs: float) -> list[tuple[int, object]]:
    """The record's messages with their absolute ticks, header and end left out."""
    out, tick = [], 0
    for message in midi_record(events, rate, **kwargs).tracks[0]:
        tick += message.time
        if message.type not in ("set_tempo", "end_of_track") and not (
            message.type == "text" and message.text.startswith("tonic fluidsynth")
        ):
            out.append((tick, message.copy(time=0)))
    return out


def _messages(events: list[SoundEvent]) -> list[object]:
    return [m for _, m in _timed(events)]


def _cc(channel: int, control: int, value: int) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=control, value=value)


# -- timing ---------------------------------------------------------------------------


def test_one_tick_is_one_millisecond():
    record = midi_record([], RATE)
    assert record.type == 0 and record.ticks_per_beat == TICKS_PER_BEAT == 500
    tempo = next(m for m in record.tracks[0] if m.type == "set_tempo")
    assert mido.tick2second(1, record.ticks_per_beat, tempo.tempo) == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("frames", "tick"),
    [
        (0, 0),  # before the first block
        (1, 1),  # one frame in: heard from block 1, 64 frames = 1.33 ms
        (64, 1),  # exactly block 1
        (65, 2),  # block 2 at 2.67 ms
        (48000, 1000),  # one second: block 750
        (48001, 1001),  # block 751 at 1001.33 ms
    ],
)
def test_an_event_is_written_at_the_millisecond_its_block_starts(frames, tick):
    assert event_tick(frames / RATE, RATE) == tick


@pytest.mark.parametrize("rate", SAMPLE_RATES)
def test_the_player_sends_each_event_at_the_block_the_box_played_it(rate):
    """FluidSynth 2.3's player, before block j, sends every event whose tick is
    at most floor(64000 * j / rate) (fluid_player_callback, one tick = 1 ms)."""
    for block in range(0, 60 * rate // BLOCK_FRAMES):  # a minute of blocks
        tick = event_tick(block * BLOCK_FRAMES / rate, rate)
        player_ms = block * BLOCK_FRAMES * 1000 // rate
        before_ms = (block - 1) * BLOCK_FRAMES * 1000 // rate
        assert tick <= player_ms, block  # not late
        assert block == 0 or tick > before_ms, block  # not early


def test_a_call_between_blocks_takes_the_next_block():
    # The render pulls round(t * rate) frames, then the call is heard from the next block.
    assert event_tick(10.5 * BLOCK_FRAMES / RATE, RATE) == event_tick(
        11 * BLOCK_FRAMES / RATE, RATE
    )
    assert event_tick(-0.5, RATE) == 0  # calls made while the box was built


def test_rates_whose_blocks_are_shorter_than_a_millisecond_are_refused():
    assert MAX_EXACT_RATE == 64000
    with pytest.raises(ValueError, match="exact only up to 64000 Hz"):
        midi_record([], 96000)


def test_events_in_one_block_keep_the_box_order():
    events = [
        _event(0.0100, SoundKind.NOTE_ON, note=60, velocity=90),
        _event(0.0101, SoundKind.CC, control=11, value=40),
        _event(0.0102, SoundKind.NOTE_OFF, note=60),
    ]
    timed = _timed(events)
    assert [t for t, _ in timed] == [event_tick(0.0102, RATE)] * 3
    assert [m.type for _, m in timed] == ["note_on", "control_change", "note_off"]


def test_the_track_ends_where_the_render_did():
    record = midi_record([_event(0.1, SoundKind.NOTE_ON, note=60, velocity=90)], RATE, end_s=2.5)
    assert math.isclose(record.length, 2.5, abs_tol=0.002)


# -- each kind of call ------------------------------------------------------------------


def test_notes_controllers_and_bends_go_through_as_they_are():
    assert _messages(
        [
            _event(0.1, SoundKind.NOTE_ON, 3, note=64, velocity=101),
            _event(0.2, SoundKind.CC, 3, control=11, value=57),
            _event(0.3, SoundKind.PITCH_BEND, 3, value=-8192),
            _event(0.4, SoundKind.PITCH_BEND, 3, value=8191),
            _event(0.5, SoundKind.NOTE_OFF, 3, note=64),
            _event(0.6, SoundKind.NOTE_ON, 15, note=0, velocity=1),
        ]
    ) == [
        mido.Message("note_on", channel=3, note=64, velocity=101),
        _cc(3, 11, 57),
        mido.Message("pitchwheel", channel=3, pitch=-8192),
        mido.Message("pitchwheel", channel=3, pitch=8191),
        mido.Message("note_off", channel=3, note=64),
        mido.Message("note_on", channel=15, note=0, velocity=1),
    ]


def test_a_melodic_program_selects_its_bank_first():
    assert _messages([_event(0, SoundKind.PROGRAM, 2, bank=0, value=73, instrument="flute")]) == [
        _cc(2, 0, 0),
        _cc(2, 32, 0),
        mido.Message("program_change", channel=2, program=73),
    ]


def test_a_record_naming_only_the_instrument_selects_it_by_name():
    assert _messages([_event(0, SoundKind.PROGRAM, 1, instrument="ocarina")])[-1] == mido.Message(
        "program_change", channel=1, program=79
    )


def test_a_kit_on_the_drum_channel_is_a_program_change_alone():
    assert _messages([_event(0, SoundKind.PROGRAM, 9, bank=128, value=25)]) == [
        mido.Message("program_change", channel=9, program=25)
    ]


def test_gs_numbers_its_parts_from_one_with_channel_ten_as_part_zero():
    # F0 41 dev 42 12 40 1p 15 vv sum F7: the "use for rhythm part" parameter.
    assert gs_rhythm_part(0, drums=True) == (0x41, 0x7F, 0x42, 0x12, 0x40, 0x11, 0x15, 0x01, 0x19)
    assert gs_rhythm_part(9, drums=False)[4:7] == (0x40, 0x10, 0x15)
    assert gs_rhythm_part(10, drums=True)[4:7] == (0x40, 0x1A, 0x15)
    for channel in range(16):
        for drums in (False, True):
            body = gs_rhythm_part(channel, drums)[4:]
            assert sum(body) % 128 == 0  # Roland's checksum: address, data and sum add to 0


def test_a_kit_on_another_channel_makes_it_a_rhythm_part_and_back():
    assert _messages(
        [
            _event(0.0, SoundKind.PROGRAM, 5, bank=128, value=0),
            _event(0.5, SoundKind.PROGRAM, 5, bank=128, value=25),  # still a rhythm part
            _event(1.0, SoundKind.PROGRAM, 5, bank=0, value=12),
            _event(1.5, SoundKind.PROGRAM, 9, bank=0, value=40),  # a violin on channel 10
        ]
    ) == [
        mido.Message("sysex", data=gs_rhythm_part(5, drums=True)),
        mido.Message("program_change", channel=5, program=0),
        mido.Message("program_change", channel=5, program=25),
        mido.Message("sysex", data=gs_rhythm_part(5, drums=False)),
        _cc(5, 0, 0),
        _cc(5, 32, 0),
        mido.Message("program_change", channel=5, program=12),
        mido.Message("sysex", data=gs_rhythm_part(9, drums=False)),
        _cc(9, 0, 0),
        _cc(9, 32, 0),
        mido.Message("program_change", channel=9, program=40),
    ]


def test_all_notes_and_all_sounds_off_reach_one_channel_or_all_sixteen():
    messages = _messages(
        [
            _event(0.1, SoundKind.ALL_NOTES_OFF, 4),
            _event(0.2, SoundKind.ALL_NOTES_OFF, None),
            _event(0.3, SoundKind.ALL_SOUNDS_OFF, 7),
            _event(0.4, SoundKind.ALL_SOUNDS_OFF, None),
        ]
    )
    assert messages == [
        _cc(4, 123, 0),
        *[_cc(c, 123, 0) for c in range(16)],
        _cc(7, 120, 0),
        *[_cc(c, 120, 0) for c in range(16)],
    ]


def test_a_reset_is_the_gs_reset_and_forgets_the_rhythm_parts():
    assert GS_RESET == (0x41, 0x7F, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00, 0x41)
    messages = _messages(
        [
            _event(0.0, SoundKind.PROGRAM, 5, bank=128, value=0),
            _event(1.0, SoundKind.RESET, None),
            _event(1.0, SoundKind.PROGRAM, 5, bank=128, value=0),
        ]
    )
    rhythm = mido.Message("sysex", data=gs_rhythm_part(5, drums=True))
    kit = mido.Message("program_change", channel=5, program=0)
    assert messages == [rhythm, kit, mido.Message("sysex", data=GS_RESET), rhythm, kit]


def test_an_event_missing_what_its_kind_needs_is_refused():
    with pytest.raises(ValueError, match=r"note_on event at 0\.500 s has no velocity"):
        midi_record([_event(0.5, SoundKind.NOTE_ON, note=60)], RATE)
    with pytest.raises(ValueError, match=r"cc event at 0\.000 s has no channel"):
        midi_record([_event(0.0, SoundKind.CC, None, control=7, value=1)], RATE)


# -- the master gain --------------------------------------------------------------------


def _nrpn_attenuation(channel: int, cb: int) -> list[mido.Message]:
    data = 8192 + cb
    return [
        _cc(channel, 99, 120),
        _cc(channel, 98, 48),
        _cc(channel, 38, data & 127),
        _cc(channel, 6, data >> 7),
    ]


def _restore(channel: int) -> list[mido.Message]:
    # The engine's own selection, none: every parameter number back to 127, RPN last.
    return [_cc(channel, c, 127) for c in (99, 98, 101, 100)] + [_cc(channel, 38, 0)]


def test_fluidsynths_curve_is_40_log_of_the_value():
    assert curve_cb(127) == 0
    assert curve_cb(100) == pytest.approx(41.5, abs=0.05)  # 4.15 dB
    assert curve_cb(0) == 960


def test_the_gain_is_named_and_lifted_as_far_as_the_voices_allow():
    events = [
        _event(0.0, SoundKind.GAIN, None, gain=0.5),
        _event(0.0, SoundKind.CC, 0, control=7, value=90),
        _event(0.1, SoundKind.NOTE_ON, 0, note=60, velocity=100),
    ]
    # 0.5 is 80 cB above the command line's 0.2; the voice keeps 101 cB of its own.
    assert headroom_cb(events) == math.floor(curve_cb(100) + curve_cb(90)) - 1 == 100
    plan = plan_gain(events)
    assert (plan.loudest, plan.boost_cb) == (0.5, 80)
    messages = _messages(events)
    assert messages[0] == mido.MetaMessage("text", text="tonic synth.gain=0.5")
    for channel in range(16):
        at = 1 + channel * 9
        assert messages[at : at + 9] == _nrpn_attenuation(channel, -80) + _restore(channel)
    assert messages[1 + 16 * 9 :] == [_cc(0, 7, 90), mido.Message("note_on", note=60, velocity=100)]


def test_a_loud_voice_leaves_the_rest_of_the_gain_to_the_command_line(tmp_path):
    events = [
        _event(0.0, SoundKind.GAIN, None, gain=2.8),
        _event(0.0, SoundKind.CC, 2, control=7, value=127),
        _event(0.1, SoundKind.NOTE_ON, 2, note=60, velocity=100),
    ]
    plan = plan_gain(events)
    assert plan.boost_cb == 40  # velocity 100 leaves 41.5 cB, less the centibel spare
    assert plan.command_line_gain == pytest.approx(2.8 * 10 ** (-40 / 200))
    path = write_midi_record(tmp_path / "r.mid", events, RATE)
    assert playback_options(path) == ("-r", "48000", "-g", "1.767")
    assert midi_playback_hint(path) == (
        f"the MIDI record (fluidsynth -ni -r 48000 -g 1.767 -F OUT.wav SOUNDFONT {path})"
    )


def test_a_gain_below_the_command_lines_is_an_attenuation():
    events = [
        _event(0.0, SoundKind.GAIN, None, gain=0.1),
        _event(0.1, SoundKind.NOTE_ON, note=60, velocity=127),
    ]
    plan = plan_gain(events)
    assert plan.boost_cb == -60  # 0.1 is 6 dB under 0.2: no voice can clip
    assert plan.command_line_gain == pytest.approx(FLUIDSYNTH_DEFAULT_GAIN, rel=0.006)  # 0.05 dB
    assert _nrpn_attenuation(0, 60)[0] in _messages(events)


def test_a_later_gain_is_its_distance_from_the_loudest_in_tenths_of_a_db():
    events = [
        _event(0.0, SoundKind.GAIN, None, gain=0.5),
        _event(1.0, SoundKind.GAIN, None, gain=0.25),
        _event(2.0, SoundKind.GAIN, None, gain=0.25),  # no change: nothing sent
        _event(3.0, SoundKind.GAIN, None, gain=0.0),  # silence
    ]
    plan = plan_gain(events)
    assert (
        plan.boost_cb == 80
        and plan.offset_cb(0.25) == -80 + 60
        and plan.offset_cb(0.0) == 1440 - 80
    )
    timed = _timed(events)
    sent, lsb = set(), 0
    for t, m in timed:
        if m.type == "control_change" and m.control == 38:
            lsb = m.value
        elif m.type == "control_change" and m.control == 6:
            sent.add((t, (m.value << 7) + lsb - 8192))
    assert sorted(sent) == [(0, -80), (1000, -20), (3000, 1360)]
    texts = [m.text for _, m in timed if m.type == "text"]
    assert texts == [f"tonic synth.gain={g!r}" for g in (0.5, 0.25, 0.25, 0.0)]


def test_the_engines_rpn_survives_the_gains_nrpn_and_a_controller_reset_gets_the_gain_again():
    events = [
        _event(0.0, SoundKind.GAIN, None, gain=0.5),
        _event(0.1, SoundKind.CC, 1, control=101, value=0),  # the engine selects RPN 0
        _event(0.1, SoundKind.CC, 1, control=100, value=0),
        _event(0.2, SoundKind.GAIN, None, gain=0.25),
        _event(0.3, SoundKind.CC, 1, control=121, value=0),  # which a controller reset clears
    ]
    on_channel_1 = [m for t, m in _timed(events) if t >= 100 and getattr(m, "channel", 0) == 1]
    assert on_channel_1 == [
        _cc(1, 101, 0),
        _cc(1, 100, 0),
        *_nrpn_attenuation(1, -20),
        *[_cc(1, 99, 127), _cc(1, 98, 127), _cc(1, 101, 0), _cc(1, 100, 0), _cc(1, 38, 0)],
        _cc(1, 121, 0),
        *_nrpn_attenuation(1, -20),  # CC121 cleared FluidSynth's NRPN offsets
        *_restore(1),
    ]


def test_no_gain_events_no_gain_in_the_record(tmp_path):
    path = write_midi_record(
        tmp_path / "r.mid", [_event(0, SoundKind.NOTE_ON, note=60, velocity=9)], 44100
    )
    assert playback_options(path) == ("-r", "44100")
    assert not any(m.is_cc(99) for m in mido.MidiFile(path).tracks[0] if not m.is_meta)


# -- the file -----------------------------------------------------------------------------


def test_the_file_is_written_whole_and_replaces_an_old_one(tmp_path):
    path = tmp_path / "r.mid"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    stale_fd, _ = create_temp_file(path)
    os.close(stale_fd)  # an interrupted write's leftover, no longer locked
    events = [_event(0.25, SoundKind.NOTE_ON, note=60, velocity=90)]
    assert write_midi_record(path, events, RATE, end_s=1.0) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.mid"]
    assert os.stat(path).st_mode & 0o777 == 0o640
    record = mido.MidiFile(path)
    notes = [m for m in record if m.type == "note_on"]
    assert len(notes) == 1


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "r.mid"
    path.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_midi_record(path, [], RATE)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.mid"]
