"""The loop's drum onsets, found in rendered audio and set against the ideal grid.

The engine announces every loop note it scheduled (source ``"loop"``), so
which drums strike on which step is known; *when* they sound is read from
the audio alone:

1. The audio and the templates are high-passed at :data:`HIGH_PASS_HZ`. A
   drum's attack (the shaker's noise, the side stick's click, the kick's
   beater) reaches far above it; the bass, the pad and the steel drums'
   body, which sound on the same steps, mostly do not.
2. Each step's drums (the set of notes and velocities struck together) are
   rendered alone, once, by a fresh FluidSynth with the same soundfont and
   kit: the template, :data:`TEMPLATE_S` from its onset.
3. The template is slid over the audio around where the step should be, and
   the onset is the lag of the best normalised cross-correlation: exact to
   the sample when the drums stand out, whatever else sounds.

On an offline render, where every onset is on its 64-frame block by
construction, this finds every drum step of ``calypso`` to the sample
(correlations 0.99 and up). Plain correlation without the high-pass, or a
2 ms template, finds some steps 16-32 frames early: the ringing of the
bar's other parts pulls the peak.

The grid is the first onset found plus a whole number of steps; each
onset's error is its distance from its grid line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from appliance.audio_settings import BLOCK_FRAMES
from appliance.events import SoundEvent, SoundKind
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import Instrument
from appliance.sound.synth import DRUM_CHANNEL

#: Drums' attacks reach well above this; the loop's pitched parts mostly do not.
HIGH_PASS_HZ = 5000.0
#: How much of a hit the template holds: its attack and the start of its body.
TEMPLATE_S = 0.01
#: A template is rendered after this many blocks of silence, so the filter's
#: edge is not in it; whole blocks, as a note played between renders starts
#: at the next block.
TEMPLATE_LEAD_BLOCKS = 40
#: Blocks rendered from the hit, so the filter sees its whole attack.
TEMPLATE_BLOCKS = 150
#: A step matched worse than this was not found: something else sounded there.
MIN_MATCH = 0.5
#: A step is looked for this far (in steps) either side of where it was
#: announced, counted from the first onset: short of half a step, so a
#: neighbouring step's drums stay out of reach, however late the first onset.
REACH_STEPS = 0.45
#: The first onset is looked for from where the audio first rises past this
#: (a fraction of full scale): the loop plays into silence.
FIRST_LEVEL = 0.01
FULL_SCALE = 32768.0

#: Drum notes struck together on one step: ((note, velocity), ...), sorted.
Strike = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """The drums the engine announced at one time."""

    t: float
    strike: Strike


@dataclass(frozen=True, slots=True)
class Onset:
    step: int  # steps after the first onset
    frame: int  # where it was found in the audio
    error_frames: float  # from its grid line: + late, - early
    match: float  # the normalised correlation at the best lag


@dataclass(frozen=True, slots=True)
class OnsetReport:
    onsets: tuple[Onset, ...]
    unmatched: int  # steps announced but not found in the audio
    sample_rate: int

    def errors_s(self) -> list[float]:
        """Each found onset's distance from its grid line, in seconds."""
        return [abs(o.error_frames) / self.sample_rate for o in self.onsets]

    @property
    def worst_match(self) -> float:
        return min((o.match for o in self.onsets), default=0.0)


def drum_hits(events: Iterable[SoundEvent], source: str = "loop") -> list[Hit]:
    """The loop's drum note-ons, grouped by the time the engine announced them."""
    by_time: dict[float, list[tuple[int, int]]] = {}
    for e in events:
        if e.source != source or e.type is not SoundKind.NOTE_ON or e.channel != DRUM_CHANNEL:
            continue
        assert e.note is not None and e.velocity is not None
        by_time.setdefault(e.t, []).append((e.note, e.velocity))
    return [Hit(t, tuple(sorted(notes))) for t, notes in sorted(by_time.items())]


def high_pass(audio: np.ndarray, rate: int, cutoff: float = HIGH_PASS_HZ) -> np.ndarray:
    """``audio`` (frames x channels) with everything under ``cutoff`` removed."""
    spectrum = np.fft.rfft(audio, axis=0)
    spectrum[np.fft.rfftfreq(len(audio), 1 / rate) < cutoff] = 0
    return np.fft.irfft(spectrum, n=len(audio), axis=0)


def frames_of(interleaved: np.ndarray) -> np.ndarray:
    """Interleaved int16 stereo as float frames x 2."""
    return interleaved.reshape(-1, 2).astype(np.float64)


class Templates:
    """Each strike rendered alone on a synth of its own, high-passed, kept once made."""

    def __init__(self, synth: FluidSynth, kit: Instrument) -> None:
        self.synth = synth
        self.rate = synth.sample_rate
        synth.select_instrument(DRUM_CHANNEL, kit)
        self._made: dict[Strike, np.ndarray] = {}

    def __call__(self, strike: Strike) -> np.ndarray:
        made = self._made.get(strike)
        if made is None:
            made = self._made[strike] = self._render(strike)
        return made

    def _render(self, strike: Strike) -> np.ndarray:
        synth, rate = self.synth, self.rate
        lead = TEMPLATE_LEAD_BLOCKS * BLOCK_FRAMES
        synth.render(lead)
        for note, velocity in strike:
            synth.note_on(DRUM_CHANNEL, note, velocity)
        hit = frames_of(synth.render(TEMPLATE_BLOCKS * BLOCK_FRAMES))
        synth.all_sounds_off()
        filtered = high_pass(np.concatenate([np.zeros((lead, 2)), hit]), rate)
        return filtered[lead : lead + round(TEMPLATE_S * rate)]


def best_match(filtered: np.ndarray, template: np.ndarray, lo: int, hi: int) -> tuple[int, float]:
    """The frame in ``lo..hi`` where ``template`` starts best, and its normalised correlation."""
    lo = max(lo, 0)
    hi = min(hi, len(filtered) - len(template))
    if hi < lo:
        return lo, 0.0
    segment = filtered[lo : hi + len(template)]
    score = sum(
        np.correlate(segment[:, c], template[:, c], mode="valid") for c in range(template.shape[1])
    )
    energy = np.concatenate([[0.0], np.cumsum((segment**2).sum(axis=1))])
    window = energy[len(template) :] - energy[: -len(template)]
    norm = np.sqrt(np.maximum(window, 1e-12) * float((template**2).sum()))
    ncc = score / norm
    best = int(np.argmax(ncc))
    return lo + best, float(ncc[best])


def find_onsets(
    audio: np.ndarray,
    hits: Sequence[Hit],
    step_s: float,
    rate: int,
    template_for: Callable[[Strike], np.ndarray],
) -> OnsetReport:
    """Find each hit's onset in ``audio`` (frames x 2) and its error from the grid.

    A hit is looked for within :data:`REACH_STEPS` either side of where the
    engine announced it, counted from the first onset found.
    """
    if not hits:
        return OnsetReport((), 0, rate)
    filtered = high_pass(audio, rate)
    step = step_s * rate
    reach = round(step * REACH_STEPS)
    loud = np.flatnonzero(np.abs(audio).max(axis=1) > FIRST_LEVEL * FULL_SCALE)
    if not len(loud):
        return OnsetReport((), len(hits), rate)
    first, match = best_match(
        filtered, template_for(hits[0].strike), int(loud[0]) - reach, int(loud[0]) + reach
    )
    onsets = [Onset(0, first, 0.0, match)] if match >= MIN_MATCH else []
    unmatched = 0 if onsets else 1
    for hit in hits[1:]:
        announced = first + (hit.t - hits[0].t) * rate
        n = round((announced - first) / step)
        centre = round(announced)
        frame, match = best_match(
            filtered, template_for(hit.strike), centre - reach, centre + reach
        )
        if match < MIN_MATCH:
            unmatched += 1
            continue
        onsets.append(Onset(n, frame, frame - (first + n * step), match))
    return OnsetReport(tuple(onsets), unmatched, rate)
