"""An instrument's level: its trim, and how loud one of its notes can be.

The level plan (docs/sound.md) starts here. Each instrument gets a trim, a
channel volume (CC7) at which a full-velocity four-note chord peaks at
:data:`TARGET_PEAK` at the synth's :data:`REFERENCE_GAIN`; the box's own gain
(its ceiling) and the volume then scale every instrument alike. The level's
:attr:`Level.note_peak` bounds one note, which the mixer adds up to keep the
whole box under full scale (appliance/engine/mixer.py).

Measuring is in :mod:`appliance.sound.levels`; this module is only the value,
so the synth interface and the mixer do not import FluidSynth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The peak a four-note chord at full velocity may reach at :data:`REFERENCE_GAIN`
#: (the default gain ceiling), as a fraction of full scale: the loudest thing one
#: switch can do, with headroom left for the other inputs sounding at once.
#: Trims do not depend on a box's own ceiling, so the ceiling scales every
#: instrument alike.
TARGET_PEAK = 0.6
REFERENCE_GAIN = 0.5
#: A full-velocity chord of the probe's four notes peaks at least this many times
#: higher than any one of its notes alone (TimGM6mb, every program and kit:
#: the median is about 2.2, the least 1.3): what an unmeasured instrument's
#: single note is taken to be.
NOTE_SHARE = 1.25
#: The single notes are measured at four pitches an octave apart (four drums
#: for a kit); a note between them, or a slow swell past the measuring
#: window, may peak this much higher.
PITCH_MARGIN = 1.25
#: Full channel volume, where an instrument quieter than the target is left.
FULL_CC7 = 127


@dataclass(frozen=True, slots=True)
class Level:
    """How an instrument is levelled, and how loud one of its notes can be."""

    #: The channel volume (CC7, 1..127) that brings it to :data:`TARGET_PEAK`.
    trim: int
    #: The peak of the probe chord (four notes at full velocity) at ``trim`` and
    #: :data:`REFERENCE_GAIN`, as a fraction of full scale: :data:`TARGET_PEAK`
    #: or less.
    chord_peak: float
    #: The loudest of the probe's single notes at full velocity, likewise.
    single_peak: float

    @property
    def note_peak(self) -> float:
        """An upper bound on one note's peak at full velocity, at ``trim``."""
        return self.single_peak * PITCH_MARGIN

    @classmethod
    def from_probe(cls, chord_peak: float, single_peak: float) -> Level:
        """The level for a probe that peaked at these at full channel volume."""
        if chord_peak <= TARGET_PEAK:
            trim = FULL_CC7
        else:
            # FluidSynth's default CC7 curve is a gain of (cc / 127) ** 2.
            trim = max(1, math.floor(FULL_CC7 * math.sqrt(TARGET_PEAK / chord_peak)))
        scale = (trim / FULL_CC7) ** 2
        return cls(trim, chord_peak * scale, single_peak * scale)


#: What an instrument not yet measured plays at: no TimGM6mb instrument needs a
#: trim below this (String Ensemble 1 measures 55), so at this channel volume
#: any chord is at most :data:`TARGET_PEAK`, and an instrument never sounds
#: louder than its levelled self.
PROVISIONAL = Level(55, TARGET_PEAK, TARGET_PEAK / NOTE_SHARE)
