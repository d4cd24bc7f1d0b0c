"""Replaying a log of synth calls into an offline synth gives back the same music."""

from __future__ import annotations

import numpy as np
import pytest
from audio_analysis import dominant_hz, midi_hz, read_wav, rms

from appliance.box import open_synth
from appliance.config import BoxConfig
from appliance.events import SoundEvent, SoundKind
from appliance.profile import default_profile
from appliance.session.render import RELEASE_TAIL_S
from appliance.session.replay import replay
from appliance.sound.wav import WavWriter

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
CONFIG = BoxConfig(soundfont=TIMGM)
RATE = 48000


@pytest.fixture
def replayed(tmp_path):
    """Replay events into a fresh offline synth; return float stereo audio."""

    def play(events, tail_s: float) -> np.ndarray:
        synth = open_synth(CONFIG)
        try:
            with WavWriter(tmp_path / "replay.wav", synth.sample_rate) as wav:
                replay(events, synth, wav, tail_s=tail_s)
                path = wav.commit()
        finally:
            synth.close()
        audio, rate = read_wav(path)
        assert rate == RATE
        return audio

    return play


def _at(audio: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    return audio[int(start_s * RATE) : int(end_s * RATE)]


def test_replaying_a_rendered_script_sounds_the_same(render, replayed):
    profile = default_profile().with_setting("switch:1.instrument", "ocarina")
    rendered = render(
        "0.2 switch:1 press\n1.0 switch:1 release\n"
        "1.2 switch:4 press\n1.9 switch:4 release\n2.2 end\n",
        profile,
        CONFIG,
    )
    events = rendered.result.events
    assert [e.note for e in events if e.type is SoundKind.NOTE_ON] == [60, 72]
    audio = replayed(events, RELEASE_TAIL_S)

    for start, end, note in [(0.3, 0.95, 60), (1.3, 1.85, 72)]:
        original = dominant_hz(_at(rendered.audio, start, end), RATE)
        again = dominant_hz(_at(audio, start, end), RATE)
        assert original == pytest.approx(midi_hz(note), rel=0.01)
        assert again == pytest.approx(original, rel=0.005)
    # Same calls at the same frames into the same synth: the same samples. The
    # record holds the master gain and the mixer's channel volumes, so the
    # replay needs nothing else to sound as loud.
    assert [e.gain for e in events if e.type is SoundKind.GAIN] == [CONFIG.gain_ceiling]
    assert audio.shape == rendered.audio.shape
    assert np.array_equal(audio, rendered.audio)


def _event(t: float, kind: SoundKind, channel: int | None = 0, **fields: object) -> SoundEvent:
    return SoundEvent(t, kind, channel, "test", **fields)  # type: ignore[arg-type]


def test_replay_applies_program_bend_and_control_changes(replayed):
    events = [
        _event(-3.0, SoundKind.PROGRAM, value=79, instrument="ocarina"),  # before the start
        _event(0.1, SoundKind.NOTE_ON, note=69, velocity=100),
        _event(0.6, SoundKind.PITCH_BEND, value=4096),  # +1 semitone
        _event(1.1, SoundKind.CC, control=7, value=0),  # channel volume off
    ]
    audio = replayed(events, tail_s=0.6)
    assert len(audio) == round(1.1 * RATE) + round(0.6 * RATE)
    assert rms(_at(audio, 0.0, 0.1)) < 1e-4
    assert dominant_hz(_at(audio, 0.2, 0.6), RATE) == pytest.approx(440.0, rel=0.01)
    assert dominant_hz(_at(audio, 0.65, 1.1), RATE) == pytest.approx(midi_hz(70), rel=0.01)
    assert rms(_at(audio, 1.4, 1.7)) < rms(_at(audio, 0.65, 1.1)) * 0.02


def test_replay_note_off_and_all_notes_off(replayed):
    events = [
        _event(0.0, SoundKind.PROGRAM, 0, value=79, instrument="ocarina"),
        _event(0.0, SoundKind.PROGRAM, 1, value=79, instrument="ocarina"),
        _event(0.05, SoundKind.NOTE_ON, 0, note=69, velocity=100),
        _event(0.05, SoundKind.NOTE_ON, 1, note=76, velocity=100),
        _event(0.5, SoundKind.NOTE_OFF, 1, note=76),
        _event(1.0, SoundKind.ALL_NOTES_OFF, None),
    ]
    audio = replayed(events, tail_s=0.6)
    both = rms(_at(audio, 0.1, 0.5))
    assert rms(_at(audio, 0.7, 1.0)) > 0.01
    assert dominant_hz(_at(audio, 0.7, 1.0), RATE) == pytest.approx(440.0, rel=0.01)
    assert rms(_at(audio, 1.3, 1.6)) < both * 0.01


def test_a_rendered_panic_and_a_beams_kit_replay_to_the_same_samples(render, replayed):
    """A panic fades, resets the synth and cuts; a beam in expression mode
    plays its kit on a channel of its own. The replay must do each the same."""
    rendered = render(
        "0.0 set switch:1.mode=latch\n0.0 set beam:1.mode=expression\n"
        "0.0 set beam:1.instrument=drums\n0.1 switch:1 press\n0.2 switch:1 release\n"
        "0.3 beam:1 distance 0.3\n0.6 beam:1 distance 0.5\n0.9 panic\n"
        "1.1 switch:2 press\n1.3 beam:1 distance 0.4\n1.6 switch:2 release\n2.0 end\n",
        default_profile(),
        CONFIG,
    )
    events = rendered.result.events
    kinds = {e.type for e in events}
    assert {SoundKind.RESET, SoundKind.ALL_SOUNDS_OFF, SoundKind.GAIN} <= kinds
    kits = {e.channel for e in events if e.type is SoundKind.PROGRAM and e.bank == 128}
    assert kits - {9}  # a kit away from channel 10
    assert np.array_equal(replayed(events, RELEASE_TAIL_S), rendered.audio)


def test_replay_selects_a_kit_by_its_bank_on_any_channel(replayed):
    kit_then_note = [
        _event(0.05, SoundKind.NOTE_ON, 5, note=38, velocity=110),  # a snare on the kit
        _event(0.5, SoundKind.NOTE_OFF, 5, note=38),
    ]
    kit = replayed(
        [
            _event(0.0, SoundKind.PROGRAM, 5, bank=128, value=0, instrument="standard_kit"),
            *kit_then_note,
        ],
        tail_s=0.2,
    )
    by_bank_alone = replayed(
        [_event(0.0, SoundKind.PROGRAM, 5, bank=128, value=0), *kit_then_note], tail_s=0.2
    )
    piano = replayed(kit_then_note, tail_s=0.2)
    assert rms(kit) > 0.01
    assert np.array_equal(kit, by_bank_alone)
    assert not np.allclose(kit, piano, atol=0.01)


def test_replay_warns_when_the_record_was_played_at_another_gain(replayed, caplog):
    replayed([_event(0.0, SoundKind.GAIN, None, gain=CONFIG.gain_ceiling)], tail_s=0.1)
    assert caplog.records == []
    replayed([_event(0.0, SoundKind.GAIN, None, gain=CONFIG.gain_ceiling / 2)], tail_s=0.1)
    assert "its level will differ" in caplog.text
