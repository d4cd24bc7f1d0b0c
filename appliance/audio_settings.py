"""How the box opens its audio device: plain data, no synth.

These live apart from :mod:`appliance.sound.fluid` so that the box config
(:mod:`appliance.config`) can hold them without importing FluidSynth or numpy:
``tonic scales`` and ``tonic config`` must not pay for loading the synth.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.config_fields import INT, TEXT, in_range, one_of, power_of_two, setting

#: The box renders at 48 kHz: the native rate of USB audio and the Pi's HDMI,
#: so ALSA never resamples.
SAMPLE_RATE = 48000
#: The rates a box may use. 44.1 kHz is for devices that cannot do 48; 96 kHz
#: is not offered: a General MIDI soundfont holds nothing above 22 kHz, and it
#: would double the synth's work on a Pi.
SAMPLE_RATES = (44100, SAMPLE_RATE)
#: FluidSynth renders in fixed blocks of this many frames; events land on them.
BLOCK_FRAMES = 64
#: ALSA periods: below 16 frames the Pi cannot keep up; above 1024 (21 ms at
#: 48 kHz) a press feels late.
PERIOD_SIZE_RANGE = (16, 1024)
#: Fewer than 2 periods cannot double-buffer; more than 16 only adds delay.
PERIODS_RANGE = (2, 16)
#: FluidSynth's audio drivers on Linux (``fluidsynth -a help``).
AUDIO_DRIVERS = ("alsa", "pulseaudio", "pipewire", "jack", "sdl2", "oss", "file")
#: A device name is short ("hw:1,0", "plughw:CARD=Device"); this only bounds junk.
MAX_DEVICE_CHARS = 200


def device_name(value: str) -> str:
    if not value or not value.isprintable() or len(value) > MAX_DEVICE_CHARS:
        raise ValueError(
            f'must be an ALSA device name like "default" or "hw:1,0" '
            f"(printable, 1..{MAX_DEVICE_CHARS} characters)"
        )
    return value


@dataclass(frozen=True, slots=True)
class AudioSettings:
    """How to open the live audio device.

    Period 64 frames x 3 periods at 48 kHz is about 4 ms of buffering, against
    about 23 ms with the Linux defaults (16 x 64): the difference between a
    switch that feels instant and one that feels late.
    """

    driver: str = setting(
        "alsa", kind=TEXT, help="FluidSynth audio driver", check=one_of(*AUDIO_DRIVERS)
    )
    device: str = setting(
        "default", kind=TEXT, help='audio device ("default", "hw:1,0")', check=device_name
    )
    period_size: int = setting(
        BLOCK_FRAMES,
        kind=INT,
        help="frames per audio period: smaller is quicker to sound, but needs more CPU",
        check=power_of_two(*PERIOD_SIZE_RANGE),
    )
    periods: int = setting(
        3, kind=INT, help="audio periods in the buffer", check=in_range(*PERIODS_RANGE)
    )
