"""The real synth: FluidSynth through pyfluidsynth.

One :class:`FluidSynth` is either *live* (FluidSynth's own audio thread feeds
ALSA with small periods) or *offline* (the caller pulls audio with
:meth:`FluidSynth.render`, e.g. to write a WAV). Both play through the same
object, so ``tonic render`` hears exactly what the box would.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from appliance.audio_settings import BLOCK_FRAMES as BLOCK_FRAMES
from appliance.audio_settings import SAMPLE_RATE, AudioSettings
from appliance.errors import AudioUnavailable, SoundfontError
from appliance.sound import alsa_log, fluid_log
from appliance.sound.binding import fluidsynth
from appliance.sound.instruments import Instrument
from appliance.sound.leveller import PROVISIONAL_CC7, Leveller
from appliance.sound.levels import LevelTrims
from appliance.sound.soundfont import check_soundfont
from appliance.sound.synth import CHANNELS, Channel, Synth, SynthState

log = logging.getLogger(__name__)


class FluidSynth(Synth):
    """A FluidSynth instance with one soundfont loaded."""

    def __init__(
        self,
        soundfont: Path,
        *,
        sample_rate: int = SAMPLE_RATE,
        gain_ceiling: float = 0.5,
        polyphony: int = 128,
        cpu_cores: int = 1,
    ) -> None:
        fluid_log.install()
        check_soundfont(soundfont)
        self.gain_ceiling = gain_ceiling
        self.sample_rate = sample_rate
        # Gain starts at zero: nothing may sound until a volume is chosen.
        self._fs = fluidsynth.Synth(
            gain=0.0,
            samplerate=sample_rate,
            channels=CHANNELS,
            **{"synth.polyphony": polyphony, "synth.cpu-cores": cpu_cores},
        )
        self.soundfont = soundfont
        with fluid_log.capture():
            self._sfid = self._fs.sfload(str(soundfont))
        if self._sfid < 0:
            reason = fluid_log.take_last_error() or "FluidSynth could not load it"
            self._fs.delete()
            raise SoundfontError(f"corrupt soundfont {soundfont}: {reason}")
        self._driver: object | None = None
        self.trims = LevelTrims(soundfont, sample_rate)
        #: Set on the live box: trims are then measured there, never on the engine's thread.
        self.leveller: Leveller | None = None
        #: Set by every note-on, so a paced renderer that went to sleep over
        #: silence (appliance/sound/paced.py) wakes for the next note.
        self.woken = threading.Event()
        self.state = SynthState.OFFLINE

    # -- audio output -------------------------------------------------------

    def start_audio(self, settings: AudioSettings) -> None:
        """Open the audio device, or raise :class:`AudioUnavailable`.

        FluidSynth's own ``start()`` also opens a MIDI driver, which the box
        does not want (MIDI comes in through mido), and may return 0 even
        when ALSA failed; so the driver is created directly and checked.
        """
        alsa_log.quieten()
        fs = self._fs
        fs.setting("audio.driver", settings.driver)
        fs.setting(f"audio.{settings.driver}.device", settings.device)
        fs.setting("audio.period-size", settings.period_size)
        fs.setting("audio.periods", settings.periods)
        with fluid_log.capture():
            driver = fluidsynth.new_fluid_audio_driver(fs.settings, fs.synth)
        if not driver:
            reason = fluid_log.take_last_error() or "the driver did not start"
            reason = reason.rstrip(".")
            self.state = SynthState.SILENT
            self.state_reason = f"no audio device ({settings.driver} {settings.device}): {reason}"
            raise AudioUnavailable(self.state_reason)
        self._driver = driver
        fs.audio_driver = driver  # so pyfluidsynth's delete() frees it
        self.state = SynthState.LIVE
        self.state_reason = f"{settings.driver} {settings.device}"

    def render(self, frames: int) -> np.ndarray:
        """Render ``frames`` frames of interleaved int16 stereo (shape ``(2*frames,)``)."""
        return self._fs.get_samples(frames)

    # -- Synth --------------------------------------------------------------

    def select_instrument(self, channel: Channel, instrument: Instrument) -> None:
        if self._fs.program_select(channel, self._sfid, instrument.bank, instrument.program) < 0:
            # Small soundfonts lack some kits; bank 128 program 0 always exists.
            log.warning("soundfont has no %s; using the standard sound", instrument.title)
            bank = 128 if instrument.is_drums else 0
            self._fs.program_select(channel, self._sfid, bank, 0)
        self._fs.cc(channel, 7, self._trim(instrument))

    def relevel(self, channel: Channel, instrument: Instrument) -> None:
        self._fs.cc(channel, 7, self._trim(instrument))

    def _trim(self, instrument: Instrument) -> int:
        if self.leveller is None:  # offline: the caller's thread may measure
            return self.trims.cc7_for(instrument)
        cc7 = self.trims.known(instrument)
        if cc7 is None:
            self.leveller.request(instrument)
            return PROVISIONAL_CC7
        return cc7

    def note_on(self, channel: Channel, note: int, velocity: int) -> None:
        self._fs.noteon(channel, note, velocity)
        if not self.woken.is_set():  # cheap when nobody sleeps: no lock, no syscall
            self.woken.set()

    def active_voices(self) -> int:
        """Voices sounding now, release tails included."""
        return int(self._fs.get_active_voice_count())

    def note_off(self, channel: Channel, note: int) -> None:
        self._fs.noteoff(channel, note)

    def control_change(self, channel: Channel, control: int, value: int) -> None:
        self._fs.cc(channel, control, value)

    def pitch_bend(self, channel: Channel, value: int) -> None:
        # pyfluidsynth takes a signed bend and adds the 8192 centre itself.
        self._fs.pitch_bend(channel, value)

    def all_notes_off(self, channel: Channel | None = None) -> None:
        # -1 is FluidSynth's "every channel".
        self._fs.all_notes_off(-1 if channel is None else channel)

    def silence(self) -> None:
        """Every voice off now, release tails too (stop and panic's last word)."""
        self._fs.all_sounds_off(-1)

    def instruments_ready(self) -> None:
        # The level probe holds a second copy of the soundfont (148 MB for
        # FluidR3); a Pi should not carry it between profile changes. A
        # leveller frees it itself, on its own thread, when it falls idle.
        if self.leveller is None:
            self.trims.close()

    def _apply_gain(self, gain: float) -> None:
        # At a gain of exactly 0 FluidSynth kills voices as inaudible, and a
        # latched note would not come back with the volume; -100 dB keeps it alive.
        self._fs.setting("synth.gain", max(float(gain), self.gain_ceiling * 1e-5))

    def close(self) -> None:
        if self.state is SynthState.CLOSED:
            return
        self._fs.all_sounds_off(-1)
        self._fs.delete()
        if self.leveller is None:
            self.trims.close()
        self._driver = None
        self.state = SynthState.CLOSED
