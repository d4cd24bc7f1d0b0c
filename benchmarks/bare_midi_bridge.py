"""``bench bare_midi_bridge``: the least a MIDI-to-synth bridge can cost here.

A mido input port on python-rtmidi whose callback calls FluidSynth's note-on
straight away, on the port's own thread: no events, no engine thread, no
profile. Everything else is ``midi_to_synth``'s: the same JACK server and
period, the same device and notes, the same :class:`~benchmarks.presser.TimedSynth`
around the same FluidSynth, drained by the same paced renderer. The
difference between the two lines is what the box adds.
"""

from __future__ import annotations

import mido

from appliance.config import BoxConfig
from appliance.sound.instruments import instrument_for
from appliance.sound.synth import Channel
from benchmarks.midi_jack import Device, jack_midi, play_notes
from benchmarks.presser import PRESSES, WARMUP, VoiceCounter, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "bare_midi_bridge"
#: The instrument a device never seen before plays (the profile's default).
INSTRUMENT = "acoustic_grand_piano"


def run(notes: int = PRESSES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    with jack_midi(), rendering_synth(config, NAME) as (real, synth, _):
        channel = Channel(0)
        synth.select_instrument(channel, instrument_for(INSTRUMENT))
        note_on, note_off = synth.note_on, synth.note_off

        def bridge(message: mido.Message) -> None:
            if message.type == "note_on" and message.velocity:
                note_on(channel, message.note, message.velocity)
            elif message.type in ("note_on", "note_off"):
                note_off(channel, message.note)

        device = Device()
        voices = VoiceCounter(real)
        port = mido.open_input(device.port, callback=bridge)
        try:
            progress(f"{NAME}: {warmup} warm-up + {notes} notes from {device.port}")
            samples, _ = play_notes(
                device, synth.note_ons, synth.note_offs, notes, warmup, label=NAME, observe=voices
            )
        finally:
            port.close()
            device.close()
            real.all_notes_off()
    progress(f"  {NAME}: {voices.report()}")
    return summarize(NAME, samples)
