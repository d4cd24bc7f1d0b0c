"""How the box opens its audio device: plain data, no synth.

These live apart from :mod:`appliance.sound.fluid` so that the box config
(:mod:`appliance.config`) can hold them without importing FluidSynth or numpy:
``tonic scales`` and ``tonic config`` must not pay for loading the synth.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The box renders at 48 kHz: the native rate of USB audio and the Pi's HDMI,
#: so ALSA never resamples.
SAMPLE_RATE = 48000
#: FluidSynth renders in fixed blocks of this many frames; events land on them.
BLOCK_FRAMES = 64


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """How to open the live audio device.

    Period 64 frames x 3 periods at 48 kHz is about 4 ms of buffering, against
    about 23 ms with the Linux defaults (16 x 64): the difference between a
    switch that feels instant and one that feels late.
    """

    driver: str = "alsa"
    device: str = "default"
    period_size: int = BLOCK_FRAMES
    periods: int = 3
