"""Listening to rendered audio: reading WAVs, finding pitch and level."""

from __future__ import annotations

import math
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


# ITU-R BS.1770-4 K-weighting at 48 kHz: a high shelf for the head, then a
# high-pass (the "RLB" curve), as (numerator, denominator) coefficients.
_K_WEIGHTING_48K = (
    (
        (1.53512485958697, -2.69169618940638, 1.19839281085285),
        (1.0, -1.69065929318241, 0.73248077421585),
    ),
    ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)),
)
_GATE_BLOCK_S, _GATE_HOP_S = 0.4, 0.1
_ABSOLUTE_GATE_LUFS, _RELATIVE_GATE_LU = -70.0, -10.0
_LOUDNESS_OFFSET = -0.691


def _filtered(
    x: np.ndarray, stages: tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]
) -> np.ndarray:
    """``x`` through the IIR ``stages``, applied in the frequency domain (zero-padded)."""
    n = 1 << int(np.ceil(np.log2(len(x) + 48000)))
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(n))
    response = np.ones_like(z)
    for b, a in stages:
        response *= np.polyval(b[::-1], z) / np.polyval(a[::-1], z)
    return np.fft.irfft(np.fft.rfft(x, n) * response, n)[: len(x)]


def loudness_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness (BS.1770-4, gated) of a stereo signal at 48 kHz."""
    assert rate == 48000, "the K-weighting coefficients here are for 48 kHz"
    weighted = np.stack(
        [_filtered(audio[:, c], _K_WEIGHTING_48K) for c in range(audio.shape[1])], axis=1
    )
    block, hop = int(_GATE_BLOCK_S * rate), int(_GATE_HOP_S * rate)
    power = np.array(
        [
            np.mean(weighted[i : i + block] ** 2, axis=0).sum()
            for i in range(0, len(weighted) - block + 1, hop)
        ]
    )
    loud = _LOUDNESS_OFFSET + 10 * np.log10(np.maximum(power, 1e-20))
    above = power[loud > _ABSOLUTE_GATE_LUFS]
    if not len(above):
        return -math.inf
    relative = _LOUDNESS_OFFSET + 10 * np.log10(above.mean()) + _RELATIVE_GATE_LU
    gated = power[(loud > _ABSOLUTE_GATE_LUFS) & (loud > relative)]
    return float(_LOUDNESS_OFFSET + 10 * np.log10(gated.mean()))


def true_peak_dbtp(audio: np.ndarray) -> float:
    """The highest peak of a stereo signal oversampled four times, in dB of full scale."""
    peaks = [
        np.max(np.abs(np.fft.irfft(np.fft.rfft(audio[:, c]), 4 * len(audio)) * 4))
        for c in range(audio.shape[1])
    ]
    return float(20 * np.log10(max(peaks) + 1e-12))


def band_levels_db(
    audio: np.ndarray, rate: int, lo: float, hi: float, window_s: float
) -> np.ndarray:
    """The level in dB of the ``lo``..``hi`` Hz band of a mono mix, window by window."""
    mono = audio.mean(axis=1)
    spectrum = np.fft.rfft(mono)
    freqs = np.fft.rfftfreq(len(mono), 1 / rate)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    band = np.fft.irfft(spectrum, len(mono))
    n = int(window_s * rate)
    windows = band[: len(band) // n * n].reshape(-1, n)
    return 20 * np.log10(np.sqrt(np.mean(windows**2, axis=1)) + 1e-12)


#: Onsets are found in 16-frame windows: a third of a millisecond at 48 kHz,
#: a quarter of FluidSynth's 64-frame block, so a block's first window holds
#: a note's first samples.
ONSET_WINDOW_FRAMES = 16
#: A sound's start is traced back at most this many windows (one FluidSynth
#: block) from where it is found, through windows each this much louder than
#: the one before: a slow attack is found late, but began where it climbed.
_ONSET_CLIMB_WINDOWS = 4
_ONSET_CLIMB_DB = 1.0


def onsets_s(
    audio: np.ndarray,
    rate: int,
    *,
    rise_db: float = 10.0,
    emphasis: int = 2,
    look_back_s: float = 0.02,
    min_gap_s: float = 0.03,
    range_db: float = 70.0,
) -> list[float]:
    """Where new sounds start in a stereo signal, in seconds, to a window's start.

    The mono mix is high-passed with an ``emphasis``-th difference (causal, so
    nothing rings ahead of a note's start; the second, the default, lifts a
    drum's click over the low notes still sounding; 0 keeps every note, for
    a part rendered alone); a window whose energy is
    ``rise_db`` over the loudest of the ``look_back_s`` before it starts a
    sound, unless it is within ``min_gap_s`` of the last start or more than
    ``range_db`` under the loudest window (dither and reverb tails).
    """
    mono = audio.mean(axis=1)
    high = np.diff(mono, n=emphasis, prepend=[0.0] * emphasis) if emphasis else mono
    n = len(high) // ONSET_WINDOW_FRAMES
    energy = np.sum(high[: n * ONSET_WINDOW_FRAMES].reshape(n, -1) ** 2, axis=1)
    level = 10 * np.log10(energy + 1e-20)
    look = max(1, round(look_back_s * rate / ONSET_WINDOW_FRAMES))
    if n <= look:
        return []
    before = np.lib.stride_tricks.sliding_window_view(level[:-1], look).max(axis=1)
    rising = (level[look:] > before + rise_db) & (level[look:] > level.max() - range_db)
    starts: list[float] = []
    for i in (int(k) + look for k in np.nonzero(rising)[0]):
        # Back to where the climb began: a sound's first windows each rise
        # over the one before, its very first over the quiet (or the older
        # sound) under it.
        first = i
        while (
            first > max(i - _ONSET_CLIMB_WINDOWS, 2)
            and level[first - 1] > level[first - 2] + _ONSET_CLIMB_DB
        ):
            first -= 1
        t = first * ONSET_WINDOW_FRAMES / rate
        if not starts or t - starts[-1] >= min_gap_s:
            starts.append(t)
    return starts
