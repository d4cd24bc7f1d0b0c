"""FluidSynth's command line as the MIDI record's peer, and how far apart two renders are."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from audio_analysis import read_wav

from appliance.audio_settings import BLOCK_FRAMES
from appliance.session.midi_record import playback_options

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
#: How far either way the renders are aligned, in whole blocks (as the acceptance check does).
MAX_SHIFT_BLOCKS = 4
#: A residual this far under the box's audio is the same sound (the acceptance check's bound).
SAME_SOUND_DB = -50.0


def fluidsynth_command_line() -> str:
    path = shutil.which("fluidsynth")
    assert path, "the fluidsynth command line is not installed (make setup installs it)"
    return path


def peer_render(midi: Path, out: Path, *options: str, soundfont: str = TIMGM) -> np.ndarray:
    """Render ``midi`` with ``fluidsynth -ni``, with the record's own options and ``options``."""
    command = [fluidsynth_command_line(), "-ni", "-q", *playback_options(midi), *options]
    subprocess.run(
        [*command, "-F", str(out), soundfont, str(midi)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    audio, _ = read_wav(out)
    return audio


@dataclass(frozen=True)
class Match:
    residual_db: float  # what is left of the box's audio after the best alignment and gain
    shift_blocks: int  # how many blocks later the peer sounds
    gain: float  # the peer's audio times this is the box's


def best_match(ours: np.ndarray, theirs: np.ndarray) -> Match:
    """The acceptance check's measure: both renders in mono, aligned by whole
    blocks, one gain fitted, the residual's energy against ours."""
    a_all, b_all = ours.mean(axis=1), theirs.mean(axis=1)
    best = Match(0.0, 0, 0.0)
    for shift in range(-MAX_SHIFT_BLOCKS, MAX_SHIFT_BLOCKS + 1):
        a = a_all[max(0, -shift * BLOCK_FRAMES) :]
        b = b_all[max(0, shift * BLOCK_FRAMES) :]
        n = min(len(a), len(b))
        a, b = a[:n], b[:n]
        g = float(np.dot(a, b) / (np.dot(b, b) + 1e-20))
        residual = 10 * np.log10(np.sum((a - g * b) ** 2) / (np.sum(a**2) + 1e-20) + 1e-20)
        if residual < best.residual_db:
            best = Match(float(residual), shift, g)
    return best


def worst_window_db(ours: np.ndarray, theirs: np.ndarray, match: Match, rate: int) -> float:
    """The worst residual in any 50 ms stretch where the box is well above its
    16-bit noise, so one event a block out of place cannot hide in the total."""
    a = ours.mean(axis=1)
    b = theirs.mean(axis=1)[match.shift_blocks * BLOCK_FRAMES :]
    n = min(len(a), len(b))
    error = a[:n] - match.gain * b[:n]
    window = rate // 20
    worst = -np.inf
    for start in range(0, n - window, window):
        signal = np.sum(a[start : start + window] ** 2)
        if signal / window > 10 ** (-50 / 10):  # louder than -50 dBFS
            worst = max(worst, 10 * np.log10(np.sum(error[start : start + window] ** 2) / signal))
    return float(worst)
