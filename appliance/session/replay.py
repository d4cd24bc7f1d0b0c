"""Re-render a log of synth calls, for when the live audio could not be captured.

On a box with a sound card, FluidSynth's audio thread plays the demo live and
Python never sees the samples. The engine's sound events record every call it
made, with its time, so playing them back into an offline synth gives the
same music as a WAV.
"""

from __future__ import annotations

from collections.abc import Sequence

from appliance.events import SoundEvent, SoundKind
from appliance.sound.fluid import FluidSynth
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import Channel
from appliance.sound.wav import WavWriter

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
        case SoundKind.PROGRAM if ch is not None and event.instrument:
            synth.select_instrument(ch, instrument_for(event.instrument))
        case SoundKind.CC if ch is not None:
            synth.control_change(ch, event.control or 0, event.value or 0)
        case SoundKind.PITCH_BEND if ch is not None:
            synth.pitch_bend(ch, event.value or 0)
        case SoundKind.ALL_NOTES_OFF:
            synth.all_notes_off(ch)
