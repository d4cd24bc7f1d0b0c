"""The real synth: FluidSynth through pyfluidsynth.

One :class:`FluidSynth` is either *live* (FluidSynth's own audio thread feeds
ALSA with small periods) or *offline* (the caller pulls audio with
:meth:`FluidSynth.render`, e.g. to write a WAV). Both play through the same
object, so ``tonic render`` hears exactly what the box would.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from appliance.audio_settings import BLOCK_FRAMES as BLOCK_FRAMES
from appliance.audio_settings import SAMPLE_RATE, AudioSettings
from appliance.errors import AudioUnavailable, SoundfontError
from appliance.sound import alsa_log, fluid_log
from appliance.sound.binding import fluidsynth
from appliance.sound.gs import GS_RESET
from appliance.sound.instruments import Instrument
from appliance.sound.level import PROVISIONAL, Level
from appliance.sound.leveller import Leveller
from appliance.sound.levels import LevelTrims
from appliance.sound.sequencer import BlockSequencer
from appliance.sound.soundfont import check_soundfont
from appliance.sound.synth import CHANNELS, Channel, Scheduled, Synth, SynthState

log = logging.getLogger(__name__)

#: The GS Reset (appliance/sound/gs.py), as bytes for fluid_synth_sysex: the
#: MIDI record carries the same message, so the command line does the same.
RESET_SYSEX = bytes(GS_RESET)

_sysex = fluidsynth._fl.fluid_synth_sysex
_sysex.argtypes = (
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_int,
)
_sysex.restype = ctypes.c_int


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
        # The master gain is the ceiling, for good: the volume and everything
        # else turn channels down from there (appliance/engine/mixer.py).
        self._fs = fluidsynth.Synth(
            gain=gain_ceiling,
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
        # Scheduled notes (loops, songs): FluidSynth's own sequencer, made
        # here, before any audio thread runs (appliance/sound/sequencer.py).
        self._sequencer = BlockSequencer(self._fs, sample_rate)
        self._frames = 0  # frames rendered by render(): the offline sample clock
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
        self._frames += frames
        return self._fs.get_samples(frames)

    # -- the sample clock and scheduled notes ---------------------------------

    def sample_clock(self) -> int:
        if self._driver is None:  # offline or paced: render() counts exactly
            return self._frames
        return self._sequencer.frames()  # live, the audio driver renders

    def schedule(self, events: Sequence[Scheduled]) -> None:
        self._sequencer.schedule(events, self._block_now())
        if events and not self.woken.is_set():  # a paced renderer asleep over silence
            self.woken.set()

    def cancel(self, groups: Iterable[int] | None = None) -> None:
        self._sequencer.cancel(groups)

    def has_scheduled(self) -> bool:
        """Whether scheduled notes are still to come (a paced renderer keeps going)."""
        return self._sequencer.pending(self.sample_clock() / BLOCK_FRAMES)

    def _block_now(self) -> int:
        # The block the synth renders next: it renders whole blocks, so a
        # render ending mid-block has already begun the next one.
        return -(-self.sample_clock() // BLOCK_FRAMES)

    # -- Synth --------------------------------------------------------------

    def select_instrument(self, channel: Channel, instrument: Instrument) -> tuple[int, int]:
        bank, program = instrument.bank, instrument.program
        if self._fs.program_select(channel, self._sfid, bank, program) < 0:
            # Small soundfonts lack some kits; bank 128 program 0 always exists.
            log.warning("soundfont has no %s; using the standard sound", instrument.title)
            program = 0
            self._fs.program_select(channel, self._sfid, bank, program)
        return bank, program

    def level_of(self, instrument: Instrument) -> Level:
        if self.leveller is None:  # offline: the caller's thread may measure
            return self.trims.level_for(instrument)
        level = self.trims.known(instrument)
        if level is None:
            self.leveller.request(instrument)
            return PROVISIONAL
        return level

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

    def all_sounds_off(self, channel: Channel | None = None) -> None:
        self._fs.all_sounds_off(-1 if channel is None else channel)

    def reset(self) -> None:
        _sysex(self._fs.synth, RESET_SYSEX, len(RESET_SYSEX), None, None, None, 0)

    def silence(self) -> None:
        """Every voice off now, release tails too (the service's last word on stop)."""
        self._fs.all_sounds_off(-1)

    def instruments_ready(self) -> None:
        # The level probe holds a second copy of the soundfont (148 MB for
        # FluidR3); a Pi should not carry it between profile changes. A
        # leveller frees it itself, on its own thread, when it falls idle.
        if self.leveller is None:
            self.trims.close()

    def close(self) -> None:
        if self.state is SynthState.CLOSED:
            return
        self._fs.all_sounds_off(-1)
        self._sequencer.delete()
        self._fs.delete()
        if self.leveller is None:
            self.trims.close()
        self._driver = None
        self.state = SynthState.CLOSED
