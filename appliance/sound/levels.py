"""Evening out the soundfont's instruments, so no patch is suddenly loud.

General MIDI soundfonts are not level-matched: in TimGM6mb one String
Ensemble note is five times louder than a piano note, and a four-note string
chord clips at a gain where a piano chord is quiet. Before an instrument
first sounds, a private offline synth plays a probe (a four-note chord at
full velocity) and measures its peak. Instruments louder than
:data:`TARGET_PEAK` are turned down with channel volume (CC7); quieter ones
are left alone. Results are cached per instrument, so this costs a few
milliseconds once per instrument, never per note.

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

#: The peak a four-note chord at full velocity may reach at :data:`REFERENCE_GAIN`
#: (the default gain ceiling), as a fraction of full scale: the loudest thing one
#: switch can do, with headroom left for the other inputs sounding at once.
#: Trims do not depend on a box's own ceiling, so the ceiling scales every
#: instrument alike.
TARGET_PEAK = 0.6
REFERENCE_GAIN = 0.5
_PROBE_GAIN = 0.1  # low enough that no patch clips while being measured
_PROBE_FRAMES = 120000  # 2.5 s at 48 kHz: strings and pads keep swelling past 1 s
# Measurements are deterministic, so every synth in the process shares them:
# (soundfont path, mtime, size, bank, program, sample rate) -> CC7.
_cache: dict[tuple[object, ...], int] = {}
_cache_lock = threading.Lock()
_MELODIC_PROBE = (60, 64, 67, 72)  # a chord struck at once: attacks add up in phase
_DRUM_PROBE = (36, 38, 42, 49)  # kick, snare, closed hi-hat, crash together
#: The most trims a store file may hold: every GM program and kit of a few soundfonts.
_STORE_LIMIT = 4096

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

    def known(self, instrument: Instrument) -> int | None:
        """The trim if it has been measured, without measuring: safe on any thread."""
        with _cache_lock:
            return _cache.get(self._key(instrument))

    def cc7_for(self, instrument: Instrument) -> int:
        """Channel volume (0..127) that brings ``instrument`` down to the target peak.

        Measures it the first time (milliseconds of rendering): call it from a
        worker or offline, never from the live engine's thread.
        """
        cached = self.known(instrument)
        if cached is None:
            cached = self._measure(instrument)
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
            entries = data["trims"] if data.get("soundfont") == list(self._identity) else []
            loaded: dict[tuple[object, ...], int] = {
                (*self._identity, int(bank), int(program), int(rate)): int(cc7)
                for bank, program, rate, cc7 in entries[:_STORE_LIMIT]
                if 1 <= int(cc7) <= 127
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
            entries = [[*k[n:], v] for k, v in _cache.items() if k[:n] == self._identity]
        text = json.dumps({"soundfont": list(self._identity), "trims": sorted(entries)})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text + "\n")

    def _measure(self, instrument: Instrument) -> int:
        peak = self._probe_peak(instrument) / _PROBE_GAIN * REFERENCE_GAIN
        if peak <= TARGET_PEAK:
            return 127
        # FluidSynth's default CC7 curve is a gain of (cc / 127) ** 2.
        return max(1, math.floor(127 * math.sqrt(TARGET_PEAK / peak)))

    def _probe_peak(self, instrument: Instrument) -> float:
        synth = self._synth()
        channel = 9 if instrument.is_drums else 0
        if synth.program_select(channel, self._sfid, instrument.bank, instrument.program) < 0:
            return 0.0
        synth.cc(channel, 7, 127)  # MIDI's default channel volume is 100, not full
        for note in _DRUM_PROBE if instrument.is_drums else _MELODIC_PROBE:
            synth.noteon(channel, note, 127)
        peak = int(np.abs(synth.get_samples(_PROBE_FRAMES).astype(np.int32)).max())
        synth.all_sounds_off(channel)
        synth.get_samples(1024)  # let the reverb tail go before the next probe
        return peak / 32768

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
