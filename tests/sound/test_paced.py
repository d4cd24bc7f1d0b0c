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

WAIT_S = 5.0  # generous: only a hang ever waits this long


def _audio_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tonic-audio"]


class SimulatedTime:
    """A clock that moves only when the renderer waits, so pacing is checked in
    simulated time: a busy machine cannot change what the renderer does.

    After ``run_for`` seconds the next wait blocks for real until stop() sets
    the stop event; ``done`` says the renderer got there."""

    def __init__(self, run_for: float, late_at: int | None = None, late_by: float = 0.0) -> None:
        self.now = 0.0
        self.run_for = run_for
        self.waits: list[float] = []
        self.done = threading.Event()
        self.blocks_when_done = 0
        self.renderer: PacedRenderer | None = None
        self._late_at, self._late_by = late_at, late_by

    def clock(self) -> float:
        return self.now

    def wait(self, event: threading.Event, timeout: float) -> bool:
        self.waits.append(timeout)
        self.now += timeout
        if self._late_at is not None and len(self.waits) == self._late_at:
            self.now += self._late_by  # the thread was not scheduled for a while
        if self.now >= self.run_for and not self.done.is_set():
            assert self.renderer is not None
            self.blocks_when_done = self.renderer.blocks
            self.done.set()
        if self.done.is_set():
            return event.wait(WAIT_S)
        return event.is_set()


def _paced(synth, wav, time_: SimulatedTime, catch_up: bool = False) -> PacedRenderer:
    renderer = PacedRenderer(synth, wav, clock=time_.clock, wait=time_.wait, catch_up=catch_up)
    time_.renderer = renderer
    return renderer


def test_renders_at_real_time_pace_into_a_wav(new_synth, tmp_path):
    synth = new_synth()
    synth.select_instrument(Channel(0), instrument_for("ocarina"))
    synth.note_on(Channel(0), 69, 100)
    out = tmp_path / "paced.wav"
    period = BLOCK_FRAMES / SAMPLE_RATE
    time_ = SimulatedTime(run_for=0.3)
    with WavWriter(out, SAMPLE_RATE) as wav:
        renderer = _paced(synth, wav, time_)
        renderer.start()
        assert synth.state is SynthState.SILENT
        assert "no audio device" in synth.state_reason
        assert time_.done.wait(WAIT_S)
        renderer.stop()
        # One block, then one period's wait, block after block: 0.3 s is 225 blocks.
        blocks = time_.blocks_when_done
        assert blocks == round(0.3 / period)
        assert time_.waits[: blocks - 1] == pytest.approx([period] * (blocks - 1))
        assert renderer.late_blocks == 0
        assert wav.frames == renderer.blocks * BLOCK_FRAMES
        wav.commit()
    audio, rate = read_wav(out)
    assert len(audio) == renderer.blocks * BLOCK_FRAMES
    assert rms(audio) > 0.02
    assert dominant_hz(audio[4800:], rate) == pytest.approx(440.0, rel=0.01)


def test_a_renderer_that_falls_behind_resynchronises_instead_of_bursting(new_synth):
    period = BLOCK_FRAMES / SAMPLE_RATE
    # After the 10th wait the thread is not scheduled for 10 periods.
    time_ = SimulatedTime(run_for=0.1, late_at=10, late_by=10 * period)
    renderer = _paced(new_synth(), None, time_)
    renderer.start()
    assert time_.done.wait(WAIT_S)
    renderer.stop()
    assert renderer.late_blocks == 1
    # No catching up: every wait after the stall is a whole period again. Of
    # the 10 periods lost, only the block due when the thread woke is rendered
    # (with the late one, back to back); the other 9 never are.
    assert time_.waits[10:-1] == pytest.approx([period] * (len(time_.waits) - 11))
    assert time_.blocks_when_done == round(0.1 / period) - 9


def test_a_renderer_keeping_the_sessions_wav_catches_up_and_renders_to_the_stop(new_synth):
    period = BLOCK_FRAMES / SAMPLE_RATE
    time_ = SimulatedTime(run_for=0.1, late_at=10, late_by=10 * period)
    renderer = _paced(new_synth(), None, time_, catch_up=True)
    renderer.start()
    assert time_.done.wait(WAIT_S)
    # Every block of the 0.1 s is rendered: the 10 late ones back to back.
    assert time_.blocks_when_done == round(0.1 / period)
    assert renderer.late_blocks >= 1
    assert time_.waits[10:20] == pytest.approx([period] * 10)  # after the stall: caught up
    # stop() comes 5 blocks after the renderer last woke: those 5 are rendered too.
    time_.now += 5 * period
    renderer.stop()
    assert renderer.blocks == time_.blocks_when_done + 5


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
        before = wav.frames  # rendered before the note was sent
        synth.note_on(Channel(0), 69, 100)
        after = wav.frames  # and after: more than a block apart only on a busy machine
        while wav.frames < after + 10 * BLOCK_FRAMES and time.monotonic() < deadline + WAIT_S:
            time.sleep(0.005)  # let it sound
        renderer.stop()
        path = wav.commit()
    audio, _ = read_wav(path)
    assert before >= 40 * BLOCK_FRAMES
    # The note starts on a block boundary after it was sent: at the earliest
    # the block being rendered while note_on ran, at the latest the one after
    # the last read of wav.frames.
    start = _onset(audio) - attack
    assert before - BLOCK_FRAMES <= start <= after + BLOCK_FRAMES, (before, after, start)
    assert start % BLOCK_FRAMES == 0
