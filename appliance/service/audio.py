"""Where the service's sound goes: the sound card, a paced stand-in, or nowhere.

* A sound card: FluidSynth's own ALSA driver with small periods.
* No sound card, ``--simulate``: :class:`~appliance.sound.paced.PacedRenderer`
  renders in 64-frame blocks at real-time pace, so the synth behaves as it
  would live (a laptop, CI, the benchmarks).
* No sound card on a real box: one clear log line, and the box runs silent;
  the status says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from appliance.config import BoxConfig
from appliance.errors import AudioUnavailable
from appliance.sound.fluid import FluidSynth
from appliance.sound.paced import PacedRenderer

log = logging.getLogger(__name__)

#: With no sound card and nothing sounding, the paced renderer sleeps after
#: this long of silence: long enough for any reverb tail to finish.
IDLE_AFTER_S = 2.0


@dataclass
class AudioOutput:
    synth: FluidSynth
    renderer: PacedRenderer | None = None

    def stop(self) -> None:
        if self.renderer is not None:
            self.renderer.stop()
            self.renderer = None


def open_audio(synth: FluidSynth, config: BoxConfig, *, simulate: bool) -> AudioOutput:
    try:
        synth.start_audio(config.audio)
    except AudioUnavailable as e:
        if simulate:
            renderer = PacedRenderer(synth, idle_after_s=IDLE_AFTER_S)
            renderer.start()
            log.info("%s; simulating, so rendering at real-time pace", e)
            return AudioOutput(synth, renderer)
        log.warning("%s; the box runs silent until it is restarted with one", e)
        return AudioOutput(synth)
    log.info("sounding through %s", synth.state_reason)
    return AudioOutput(synth)
