"""How the MIDI record carries the box's master gain, which MIDI has no message for.

FluidSynth's master gain multiplies every voice. The nearest thing a MIDI
file can reach is a voice's attenuation: FluidSynth 2.3 takes an offset to it
per channel as the SoundFont NRPN 120/48 (generator 48, initial attenuation),
in whole centibels of amplitude ``10^(-cB/200)``, so in steps of 0.1 dB.

The record is made to sound at the box's level at FluidSynth's default gain
(0.2, what ``fluidsynth`` uses without ``-g``), so a therapist who opens it in
any FluidSynth hears what the box played, and the command line renders it as
loud as the box did (a quieter render would carry more of its 16-bit
rounding noise)::

    box gain  0.5 ─────────────── 0.25 ───────────
    offset   -80 cB (boost)  ──── -20 cB ─────────   at fluidsynth -g 0.2

Each gain the box set becomes the offset ``200·log10(0.2 / gain)``, within
0.05 dB of it. Louder than 0.2 is a negative offset, and FluidSynth clips a
voice's whole attenuation at 0 dB: a boost is exact only while every voice
keeps at least that much attenuation of its own. A soundfont's own is never
negative (SF2.01 §8.1.3, generator 48: 0..1440 cB), and FluidSynth's default
modulators add ``400·log10(127/v)`` cB for a note's velocity, its channel's
volume (CC7) and expression (CC11). So the record boosts only as far as the
quietest-attenuated channel allows, and names what it could not boost as the
``-g`` of its playback options.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from appliance.events import SoundEvent, SoundKind
from appliance.sound.synth import CHANNELS

#: ``synth.gain`` when ``fluidsynth`` is given no ``-g`` (FluidSynth 2.3).
FLUIDSYNTH_DEFAULT_GAIN = 0.2
#: Centibels per decade of amplitude: FluidSynth's amplitude is 10^(-cB/200).
CB_PER_DECADE = 200
#: FluidSynth clips a voice's attenuation here (144 dB): silence.
MAX_ATTENUATION_CB = 1440
#: FluidSynth's default modulators map a 7-bit value v to 400·log10(127/v) cB
#: (the SF2 concave curve over 960 cB); 0 is the curve's end, 960 cB.
_CURVE_CB_PER_DECADE = 400
_CURVE_FLOOR_CB = 960
_MIDI_MAX = 127
#: What a reset leaves in CC7 and CC11 (MIDI RP-015 and FluidSynth).
_CC_VOLUME, _CC_EXPRESSION, _RESET_ALL_CONTROLLERS = 7, 11, 121
_DEFAULT_VOLUME, _DEFAULT_EXPRESSION = 100, 127
#: FluidSynth interpolates its curve from a float index: keep a centibel
#: spare, so a value that lands a hair under the curve never clips.
_CURVE_MARGIN_CB = 1


def curve_cb(value: int) -> float:
    """Attenuation FluidSynth's default modulators give a 7-bit value (velocity, CC7, CC11)."""
    if value <= 0:
        return float(_CURVE_FLOOR_CB)
    return _CURVE_CB_PER_DECADE * math.log10(_MIDI_MAX / min(value, _MIDI_MAX))


def attenuation_cb(gain: float, reference: float) -> int:
    """``gain`` as whole centibels of attenuation below ``reference`` (negative: louder)."""
    if gain <= 0:
        return MAX_ATTENUATION_CB
    return min(round(CB_PER_DECADE * math.log10(reference / gain)), MAX_ATTENUATION_CB)


@dataclass(frozen=True, slots=True)
class GainPlan:
    """The attenuation each of the box's gains becomes, and the ``-g`` that goes with it."""

    #: The loudest gain the box set, or None when it set none.
    loudest: float | None = None
    #: How far the record lifts the loudest gain above FluidSynth's default, in cB.
    boost_cb: int = 0

    def offset_cb(self, gain: float) -> int:
        """The attenuation offset (negative: a boost) that stands for the box's ``gain``."""
        if self.loudest is None:
            return 0
        return attenuation_cb(gain, self.loudest) - self.boost_cb

    @property
    def command_line_gain(self) -> float | None:
        """The ``-g`` at which the record sounds as loud as the box (None: no gain was set)."""
        if self.loudest is None or self.loudest <= 0:
            return None
        return self.loudest * 10 ** (-self.boost_cb / CB_PER_DECADE)


def plan_gain(events: Iterable[SoundEvent]) -> GainPlan:
    """Plan the record's gain for ``events``: as much of it in the file as is exact."""
    events = list(events)
    gains = [e.gain for e in events if e.type is SoundKind.GAIN and e.gain is not None]
    loudest = max(gains, default=None)
    if loudest is None or loudest <= 0:
        return GainPlan(loudest)
    wanted = -attenuation_cb(loudest, FLUIDSYNTH_DEFAULT_GAIN)
    if wanted <= 0:  # as quiet as the default or quieter: an attenuation, always exact
        return GainPlan(loudest, wanted)
    return GainPlan(loudest, max(0, min(wanted, headroom_cb(events))))


def headroom_cb(events: Iterable[SoundEvent]) -> int:
    """The least attenuation any voice of ``events`` has from its note and channel.

    Per channel, from its first note on: the loudest velocity, volume (CC7) and
    expression (CC11) it holds at any time, a bound that holds for every
    voice it sounds, release tails included.
    """
    volume = [_DEFAULT_VOLUME] * CHANNELS
    expression = [_DEFAULT_EXPRESSION] * CHANNELS
    loudest: dict[int, list[int]] = {}  # channel -> [velocity, volume, expression]

    def hold(channel: int) -> None:
        if channel in loudest:
            held = loudest[channel]
            held[1] = max(held[1], volume[channel])
            held[2] = max(held[2], expression[channel])

    for e in events:
        channel = e.channel
        if e.type is SoundKind.RESET:
            volume = [_DEFAULT_VOLUME] * CHANNELS
            expression = [_DEFAULT_EXPRESSION] * CHANNELS
        elif channel is None:
            continue
        elif e.type is SoundKind.NOTE_ON and e.velocity:
            held = loudest.setdefault(channel, [0, 0, 0])
            held[0] = max(held[0], e.velocity)
            hold(channel)
        elif e.type is SoundKind.CC and e.value is not None:
            if e.control == _CC_VOLUME:
                volume[channel] = e.value
            elif e.control == _CC_EXPRESSION:
                expression[channel] = e.value
            elif e.control == _RESET_ALL_CONTROLLERS:
                expression[channel] = _DEFAULT_EXPRESSION
            hold(channel)
    if not loudest:
        return MAX_ATTENUATION_CB
    least = min(sum(curve_cb(v) for v in held) for held in loudest.values())
    return max(0, math.floor(least) - _CURVE_MARGIN_CB)
