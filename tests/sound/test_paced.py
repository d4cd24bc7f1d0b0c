"""The stand-in audio driver: 64-frame blocks at real-time pace, into a WAV."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from audio_analysis import dominant_hz, read_wav, rms

from appliance.sound.fluid import BLOCK_FRAMES, SAMPLE_RATE
from appliance.sound.instruments import instrument_for
from appliance.sound.paced import PacedRenderer
from appliance.sound.synth import Channel, SynthState
from appliance.sound.wav import WavWriter


def _audio_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tonic-audio"]


def test_renders_at_real_time_pace_into_a_wav(new_synth, tmp_path):
    synth = new_synth()
    synth.select_instrument(Channel(0), instrument_for("ocarina"))
    synth.note_on(Channel(0), 69, 100)
    out = tmp_path / "paced.wav"
    with WavWriter(out, SAMPLE_RATE) as wav:
        renderer = PacedRenderer(synth, wav)
        started = time.perf_counter()
        renderer.start()
        assert synth.state is SynthState.SILENT
        assert "no audio device" in synth.state_reason
        time.sleep(0.3)  # the measuring window, not an assertion
        renderer.stop()
        elapsed = time.perf_counter() - started
        blocks = renderer.blocks
        expected = elapsed * SAMPLE_RATE / BLOCK_FRAMES
        assert blocks == pytest.approx(expected, rel=0.15), (blocks, expected, elapsed)
        assert wav.frames == blocks * BLOCK_FRAMES
        wav.commit()
    audio, rate = read_wav(out)
    assert len(audio) == blocks * BLOCK_FRAMES
    assert rms(audio) > 0.02
    assert dominant_hz(audio[4800:], rate) == pytest.approx(440.0, rel=0.01)


def test_stop_ends_the_thread_and_rendering(new_synth):
    synth = new_synth()
    renderer = PacedRenderer(synth)  # no WAV: render and throw away, as live
    renderer.start()
    assert len(_audio_threads()) == 1
    deadline = time.monotonic() + 2.0
    while renderer.blocks < 20 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert renderer.blocks >= 20
    renderer.stop()
    assert _audio_threads() == []
    after_stop = renderer.blocks
    renderer.stop()  # a second stop is harmless
    # The synth is free again for offline rendering by the caller.
    assert synth.render(BLOCK_FRAMES).shape == (2 * BLOCK_FRAMES,)
    assert renderer.blocks == after_stop


def _onset(audio: np.ndarray, threshold: float = 0.003) -> int:
    loud = np.flatnonzero(np.abs(audio).max(axis=1) > threshold)
    assert len(loud), "no note in the audio"
    return int(loud[0])


def test_a_note_sent_while_rendering_lands_in_the_next_block(new_synth, tmp_path):
    """Events sent to the synth from another thread reach the next block, as live."""
    reference = new_synth()
    reference.select_instrument(Channel(0), instrument_for("ocarina"))
    reference.note_on(Channel(0), 69, 100)
    attack = _onset(reference.render(4800).reshape(-1, 2) / 32768.0)  # note_on to threshold

    synth = new_synth()
    synth.select_instrument(Channel(0), instrument_for("ocarina"))
    with WavWriter(tmp_path / "onset.wav", SAMPLE_RATE) as wav:
        renderer = PacedRenderer(synth, wav)
        renderer.start()
        deadline = time.monotonic() + 2.0
        while renderer.blocks < 40 and time.monotonic() < deadline:
            time.sleep(0.005)
        synth.note_on(Channel(0), 69, 100)
        sent_at = wav.frames  # what had been rendered when the note was sent
        time.sleep(0.2)  # let it sound
        renderer.stop()
        path = wav.commit()
    audio, _ = read_wav(path)
    assert sent_at >= 40 * BLOCK_FRAMES
    # The note starts on the block boundary after it was sent. A block being
    # rendered, or written, while note_on and the read of wav.frames happened
    # moves that boundary by one block either way; never more.
    delay = _onset(audio) - attack - sent_at
    assert -BLOCK_FRAMES <= delay <= BLOCK_FRAMES, (sent_at, attack, delay)
    assert delay % BLOCK_FRAMES == 0
