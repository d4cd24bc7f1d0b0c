"""Re-render a log of synth calls, for when the live audio could not be captured.

On a box with a sound card, FluidSynth's audio thread plays the demo live and
Python never sees the samples. The engine's sound events record every call it
made, with its time, so playing them back into an offline synth gives the
same music as a WAV.

The synth's master gain is set once, from the box's config, when it is made
(appliance/sound/synth.py); a synth opened from the same config already has
the gain the record names, so a gain event only checks it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from appliance.events import SoundEvent, SoundKind
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import DRUM_BANK, Instrument, instrument_for
from appliance.sound.synth import Channel
from appliance.sound.wav import WavWriter

log = logging.getLogger(__name__)

_CHUNK = 4096


def replay(events: Sequence[SoundEvent], synth: FluidSynth, wav: WavWriter, tail_s: float) -> None:
    """Play ``events`` (times relative to 0) into ``synth``, writing audio to ``wav``."""
    rate = synth.sample_rate
    position = 0
    for event in events:
        target = round(max(event.t, 0.0) * rate)
        while position < target:
            n = min(_CHUNK, target - position)
            wav.write(synth.render(n))
            position += n
        _apply(event, synth)
    end = position + round(tail_s * rate)
    while position < end:
        n = min(_CHUNK, end - position)
        wav.write(synth.render(n))
        position += n


def _apply(event: SoundEvent, synth: FluidSynth) -> None:
    ch = Channel(event.channel) if event.channel is not None else None
    match event.type:
        case SoundKind.NOTE_ON if ch is not None:
            synth.note_on(ch, event.note or 0, event.velocity or 0)
        case SoundKind.NOTE_OFF if ch is not None:
            synth.note_off(ch, event.note or 0)
        case SoundKind.PROGRAM if ch is not None and (
            event.instrument or (event.bank is not None and event.value is not None)
        ):
            synth.select_instrument(ch, _preset(event))
        case SoundKind.CC if ch is not None:
            synth.control_change(ch, event.control or 0, event.value or 0)
        case SoundKind.PITCH_BEND if ch is not None:
            synth.pitch_bend(ch, event.value or 0)
        case SoundKind.ALL_NOTES_OFF:
            synth.all_notes_off(ch)
        case SoundKind.ALL_SOUNDS_OFF:
            synth.all_sounds_off(ch)
        case SoundKind.RESET:
            synth.reset()
        case SoundKind.GAIN if event.gain is not None:
            if not math.isclose(event.gain, synth.gain_ceiling):
                log.warning(
                    "the record's gain %g is not this synth's %g; its level will differ",
                    event.gain,
                    synth.gain_ceiling,
                )


def _preset(event: SoundEvent) -> Instrument:
    """The preset the box selected: its bank and program when the event has them
    (the standard sound, when the soundfont lacked the instrument), else by name."""
    if event.bank is None or event.value is None:
        return instrument_for(event.instrument or "")
    if event.bank == DRUM_BANK:
        return instrument_for(f"drums:{event.value}")
    return instrument_for(event.value + 1)  # GM numbers count from 1
