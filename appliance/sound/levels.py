"""Evening out the soundfont's instruments, so no patch is suddenly loud.

General MIDI soundfonts are not level-matched: in TimGM6mb one String
Ensemble note is five times louder than a piano note, and a four-note string
chord clips at a gain where a piano chord is quiet. Before an instrument
first sounds, a private offline synth plays a probe (a four-note chord at
full velocity) and measures its peak. Instruments louder than
:data:`TARGET_PEAK` are given a trim, a lower channel volume (CC7); quieter
ones are left at full. Results are cached per instrument, so this costs a few
milliseconds once per instrument, never per note.

The measured peak also tells the mixer (:mod:`appliance.engine.mixer`) how
loud one note of the instrument can be: :attr:`Level.note_peak`, the peak of
the probe chord divided by :data:`NOTE_SHARE`, the smallest ratio of a chord's
peak to its loudest single note measured over every General MIDI program and
kit (docs/sound.md). Adding those up for every note sounding bounds the
box's output, which is how the mixer keeps it from ever reaching full scale.

On the live box the measuring happens on a worker (:mod:`appliance.sound.leveller`),
never on the engine's thread: :meth:`LevelTrims.known` only looks a trim up, and
measured trims are kept in a small JSON file in the data directory, so a box
levels its soundfont once, not at every start.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from pathlib import Path

import numpy as np

from appliance.atomic import write_text_atomic
from appliance.sound import fluid_log
from appliance.sound.binding import fluidsynth
from appliance.sound.instruments import Instrument
from appliance.sound.level import FULL_CC7, REFERENCE_GAIN, Level

_PROBE_GAIN = 0.1  # low enough that no patch clips while being measured
_PROBE_FRAMES = 120000  # 2.5 s at 48 kHz: strings and pads keep swelling past 1 s
# Measurements are deterministic, so every synth in the process shares them:
# (soundfont path, mtime, size, bank, program, sample rate) -> level.
_cache: dict[tuple[object, ...], Level] = {}
_cache_lock = threading.Lock()
_MELODIC_PROBE = (60, 64, 67, 72)  # a chord struck at once: attacks add up in phase
_DRUM_PROBE = (36, 38, 42, 49)  # kick, snare, closed hi-hat, crash together
_MELODIC_SINGLES = (48, 60, 72, 84)  # one at a time, an octave apart
#: Each single note is measured for 1.5 s at 48 kHz: nearly every patch peaks in
#: its first second (PITCH_MARGIN covers the few that swell on).
_SINGLE_FRAMES = 72000
_BETWEEN_FRAMES = 1024  # lets the reverb tail go before the next probe
_FULL_VELOCITY = 127
_FULL_SCALE = 32768  # of the int16 samples FluidSynth renders
#: The most trims a store file may hold: every GM program and kit of a few soundfonts.
_STORE_LIMIT = 4096
#: The store's layout; a store written in another one is measured again.
_STORE_FORMAT = 2

log = logging.getLogger(__name__)


class LevelTrims:
    def __init__(self, soundfont: Path, sample_rate: int) -> None:
        self._soundfont = soundfont
        self._sample_rate = sample_rate
        self._probe: fluidsynth.Synth | None = None
        self._sfid = -1
        # The soundfont's identity, read once: stat() is file I/O, and known()
        # runs on the engine's thread.
        stat = soundfont.stat()
        self._identity = (str(soundfont), stat.st_mtime_ns, stat.st_size)

    def _key(self, instrument: Instrument) -> tuple[object, ...]:
        return (*self._identity, instrument.bank, instrument.program, self._sample_rate)

    def known(self, instrument: Instrument) -> Level | None:
        """The level if it has been measured, without measuring: safe on any thread."""
        with _cache_lock:
            return _cache.get(self._key(instrument))

    def level_for(self, instrument: Instrument) -> Level:
        """``instrument``'s trim and note peak.

        Measures it the first time (milliseconds of rendering): call it from a
        worker or offline, never from the live engine's thread.
        """
        cached = self.known(instrument)
        if cached is None:
            chord, single = self._probe_peaks(instrument)
            to_reference = REFERENCE_GAIN / _PROBE_GAIN
            cached = Level.from_probe(chord * to_reference, single * to_reference)
            with _cache_lock:
                _cache[self._key(instrument)] = cached
        return cached

    # -- the store in the data directory ------------------------------------------

    def load_store(self, path: Path) -> int:
        """Take trims measured earlier for this soundfont; returns how many.

        A missing, broken or foreign file is ignored: trims are measured again.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            ours = data.get("soundfont") == list(self._identity)
            entries = data["levels"] if ours and data.get("format") == _STORE_FORMAT else []
            loaded: dict[tuple[object, ...], Level] = {
                (*self._identity, int(bank), int(program), int(rate)): Level(
                    int(trim), float(chord_peak), float(single_peak)
                )
                for bank, program, rate, trim, chord_peak, single_peak in entries[:_STORE_LIMIT]
                if 1 <= int(trim) <= FULL_CC7
                and 0.0 <= float(chord_peak) < math.inf
                and 0.0 <= float(single_peak) < math.inf
            }
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
            log.info("level store %s not used: %s", path, e)
            return 0
        with _cache_lock:
            _cache.update(loaded)
        return len(loaded)

    def save_store(self, path: Path) -> None:
        """Keep every trim measured for this soundfont, atomically."""
        n = len(self._identity)
        with _cache_lock:
            entries = [
                [*k[n:], v.trim, v.chord_peak, v.single_peak]
                for k, v in _cache.items()
                if k[:n] == self._identity
            ]
        text = json.dumps(
            {"format": _STORE_FORMAT, "soundfont": list(self._identity), "levels": sorted(entries)}
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text + "\n")

    def _probe_peaks(self, instrument: Instrument) -> tuple[float, float]:
        """The probe chord's peak and the loudest single note's, at the probe's gain."""
        synth = self._synth()
        channel = 9 if instrument.is_drums else 0
        if synth.program_select(channel, self._sfid, instrument.bank, instrument.program) < 0:
            # The synth plays the standard sound instead (FluidSynth.select_instrument):
            # level that, so the trim and the note peak are true of what is heard.
            synth.program_select(channel, self._sfid, instrument.bank, 0)
        synth.cc(channel, 7, FULL_CC7)  # MIDI's default channel volume is 100, not full
        single = max(
            self._peak_of(synth, channel, (note,), _SINGLE_FRAMES)
            for note in (_DRUM_PROBE if instrument.is_drums else _MELODIC_SINGLES)
        )
        chord = _DRUM_PROBE if instrument.is_drums else _MELODIC_PROBE
        return self._peak_of(synth, channel, chord, _PROBE_FRAMES), single

    @staticmethod
    def _peak_of(
        synth: fluidsynth.Synth, channel: int, notes: tuple[int, ...], frames: int
    ) -> float:
        for note in notes:
            synth.noteon(channel, note, _FULL_VELOCITY)
        peak = int(np.abs(synth.get_samples(frames).astype(np.int32)).max())
        synth.all_sounds_off(channel)
        synth.get_samples(_BETWEEN_FRAMES)
        return peak / _FULL_SCALE

    def _synth(self) -> fluidsynth.Synth:
        if self._probe is None:
            # Same effects as the box's synth: reverb and chorus add to the peak.
            probe = fluidsynth.Synth(gain=_PROBE_GAIN, samplerate=self._sample_rate)
            with fluid_log.capture():
                self._sfid = probe.sfload(str(self._soundfont))
            self._probe = probe
        return self._probe

    def close(self) -> bool:
        """Free the probe synth; True if there was one."""
        if self._probe is None:
            return False
        self._probe.delete()
        self._probe = None
        return True
