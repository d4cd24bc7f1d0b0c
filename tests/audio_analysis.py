"""Listening to rendered audio: reading WAVs, finding pitch and level."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2
        assert w.getnchannels() == 2
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        rate = w.getframerate()
    return data.reshape(-1, 2).astype(np.float64) / 32768.0, rate


def dominant_hz(audio: np.ndarray, rate: int, lo: float = 60.0, hi: float = 4000.0) -> float:
    """The strongest frequency in a stereo segment, zero-padded for resolution."""
    mono = audio.mean(axis=1)
    n = len(mono) * 4
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono)), n=n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    band = (freqs > lo) & (freqs < hi)
    return float(freqs[band][np.argmax(spectrum[band])])


def midi_hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
