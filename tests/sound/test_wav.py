"""WAV files that appear whole, or not at all."""

from __future__ import annotations

import os
import wave

import numpy as np
import pytest
from audio_analysis import read_wav

from appliance.sound.wav import WavWriter

RATE = 48000


def stereo_sine(seconds: float, amplitude: float, hz: float = 440.0) -> np.ndarray:
    """Interleaved int16 stereo: a sine on the left, its negation on the right."""
    t = np.arange(round(seconds * RATE)) / RATE
    left = np.round(amplitude * 32767 * np.sin(2 * np.pi * hz * t))
    return np.column_stack([left, -left]).astype(np.int16).reshape(-1)


def test_commit_writes_a_48k_stereo_16_bit_wav_with_every_frame(tmp_path):
    out = tmp_path / "take.wav"
    chunks = [stereo_sine(0.25, 0.5), stereo_sine(0.1, 0.5), stereo_sine(0.0, 0.5)]
    writer = WavWriter(out, RATE)
    for chunk in chunks:
        writer.write(chunk)
    assert not out.exists()  # nothing at the final path until commit
    assert writer.commit() == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]  # no temp file left
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, RATE)
        assert w.getnframes() == 12000 + 4800
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(raw, np.concatenate(chunks))
    assert writer.frames == 16800
    assert writer.seconds == pytest.approx(0.35)


def test_a_writer_closed_without_commit_leaves_nothing(tmp_path):
    out = tmp_path / "take.wav"
    with WavWriter(out, RATE) as writer:
        writer.write(stereo_sine(0.2, 0.5))
    assert list(tmp_path.iterdir()) == []


def test_a_failure_while_writing_leaves_nothing(tmp_path):
    out = tmp_path / "take.wav"
    with pytest.raises(RuntimeError, match="render failed"), WavWriter(out, RATE) as writer:
        writer.write(stereo_sine(0.2, 0.5))
        raise RuntimeError("render failed")
    assert list(tmp_path.iterdir()) == []


def test_a_discarded_writer_leaves_the_previous_file_untouched(tmp_path):
    out = tmp_path / "take.wav"
    with WavWriter(out, RATE) as first:
        first.write(stereo_sine(0.1, 0.25))
        first.commit()
    before = out.read_bytes()
    with WavWriter(out, RATE) as second:
        second.write(stereo_sine(0.3, 0.9))
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["take.wav"]


def test_commit_inside_a_with_block_keeps_the_file(tmp_path):
    out = tmp_path / "take.wav"
    with WavWriter(out, RATE) as writer:
        writer.write(stereo_sine(0.1, 0.5))
        writer.commit()
    audio, rate = read_wav(out)
    assert rate == RATE and audio.shape == (4800, 2)


def test_peak_and_rms_figures(tmp_path):
    writer = WavWriter(tmp_path / "take.wav", RATE)
    assert (writer.peak_level, writer.rms_level, writer.seconds) == (0.0, 0.0, 0.0)
    writer.write(stereo_sine(1.0, 0.5))
    assert writer.peak_level == pytest.approx(0.5, abs=1e-4)
    assert writer.rms_level == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)
    writer.write(np.zeros(2 * RATE, dtype=np.int16))  # a second of silence halves the power
    assert writer.peak_level == pytest.approx(0.5, abs=1e-4)
    assert writer.rms_level == pytest.approx(0.5 / 2, rel=1e-3)
    writer.write(np.array([-32768, 32767], dtype=np.int16))
    assert writer.peak_level == 1.0  # full scale negative counts as clipping
    writer.commit()
    audio, _ = read_wav(writer.path)
    assert float(np.abs(audio).max()) == 1.0


def test_commit_flushes_the_data_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    out = tmp_path / "take.wav"
    steps: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst) -> None:
        steps.append(("replace", str(dst)))
        real_replace(src, dst)

    writer = WavWriter(out, RATE)
    writer.write(stereo_sine(0.1, 0.5))
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    writer.commit()
    renamed = steps.index(("replace", str(out)))
    flushed_before = [path for op, path in steps[:renamed] if op == "fsync"]
    flushed_after = [path for op, path in steps[renamed:] if op == "fsync"]
    assert any(os.path.basename(p).startswith(".take.wav.") for p in flushed_before), steps
    assert str(tmp_path) in flushed_after, steps


def test_a_new_wav_gets_the_usual_permissions_not_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        with WavWriter(tmp_path / "new.wav", 48000) as wav:
            wav.write(np.zeros(128, dtype=np.int16))
            path = wav.commit()
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
