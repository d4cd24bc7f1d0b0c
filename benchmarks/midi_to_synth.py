"""``bench midi_to_synth``: a note sent into a JACK port, to FluidSynth's note-on, through the box.

The box is the real one, run as the service runs it (:class:`appliance.box.Box`
with the default profile and ``realtime=True``: the engine's thread at
SCHED_FIFO, above JACK's client threads as it is above RtMidi's ALSA thread
on the Pi; FluidSynth with the box's soundfont, :class:`PacedRenderer`
pulling 64-frame blocks as ALSA would); its MIDI ports are the real
:class:`~appliance.inputs.midi.MidiPorts` on python-rtmidi, on a dummy JACK
server (see :mod:`benchmarks.midi_jack` for its period). The device is a
virtual port in this process; the box sees it as ``midi:bench``, a client
keyboard (the role of a device never seen before) with its lock-out off, as
the switch bench has. The measured path::

    rtmidi send_message -> JACK (next cycle) -> RtMidi's callback on the port's thread
    -> midi_messages.to_event (NoteOn) -> EventGate -> EngineLoop.submit
    -> tonic-engine thread wakes -> Engine.handle -> the device router and voicing
    -> FluidSynth.note_on returns

Two more stamps of the same notes split the time (printed, not judged): when
JACK hands the note to the port's callback, and when the engine's loop hands
it to ``Engine.handle``.
"""

from __future__ import annotations

import gc
from queue import SimpleQueue
from time import perf_counter

from gpiozero.pins.mock import MockFactory

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.events import NoteOn, midi_input_id
from appliance.inputs.midi import MidiPorts
from appliance.inputs.midi_backend import MidoBackend
from appliance.profile import Profile, default_profile
from benchmarks.midi_jack import (
    DEVICE,
    ArrivalStamps,
    Device,
    jack_midi,
    play_notes,
    since,
)
from benchmarks.presser import PRESSES, WARMUP, VoiceCounter, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "midi_to_synth"
#: The issue's budget, and its bound against the bare bridge in the same run.
P99_BUDGET_MS = 1.0
BARE_FACTOR = 2.0


def bench_profile() -> Profile:
    """The default profile with the bench device's lock-out off (30 ms by default),
    so notes can follow each other every couple of milliseconds."""
    return default_profile().with_setting(f"{midi_input_id(DEVICE)}.lockout_ms", "0")


def run(notes: int = PRESSES, warmup: int = WARMUP) -> Summary:
    config = BoxConfig()
    factory = MockFactory()
    try:
        with jack_midi() as backend_name, rendering_synth(config, NAME) as (real, synth, _):
            arrivals = ArrivalStamps(MidoBackend(backend_name))
            box = Box(
                config,
                bench_profile(),
                synth,
                pin_factory=factory,
                midi_ports=lambda submit: MidiPorts(submit, backend=arrivals),
                realtime=True,
            )
            at_engine: SimpleQueue[float] = SimpleQueue()
            handle = box.engine.handle

            def stamped_handle(event, handle=handle, put=at_engine.put):
                if type(event) is NoteOn:
                    put(perf_counter())
                handle(event)

            # The loop calls engine.handle each time: this stamps the hand-over.
            box.engine.handle = stamped_handle  # type: ignore[method-assign]
            device = Device()
            voices = VoiceCounter(real)
            try:
                with box:
                    assert box.midi is not None and box.midi.rescan()
                    if [d.port for d in box.midi.devices] != [device.port]:
                        raise RuntimeError(f"{NAME}: the box did not open {device.port}")
                    progress(f"{NAME}: {warmup} warm-up + {notes} notes from {device.port}")
                    for stamps in (arrivals.note_ons, at_engine):
                        while not stamps.empty():
                            stamps.get()
                    samples, starts = play_notes(
                        device,
                        synth.note_ons,
                        synth.note_offs,
                        notes,
                        warmup,
                        label=NAME,
                        observe=voices,
                    )
            finally:
                device.close()
                gc.unfreeze()  # the box froze its objects for its session; that is over
            _split(
                samples,
                since(arrivals.note_ons, starts, warmup),
                since(at_engine, starts, warmup),
            )
    finally:
        factory.reset()
    progress(f"  {NAME}: {voices.report()}")
    return summarize(NAME, samples)


def _split(total: list[float], to_port: list[float], to_engine: list[float]) -> None:
    """Where each note's time went: JACK, the box's MIDI code and the hop to the
    engine's thread, then the engine and FluidSynth."""
    parts = {
        "JACK to the port's callback": to_port,
        "the port's code and the hop to Engine.handle": [
            e - p for e, p in zip(to_engine, to_port, strict=True)
        ],
        "Engine.handle to FluidSynth's note-on returning": [
            t - e for t, e in zip(total, to_engine, strict=True)
        ],
    }
    for what, seconds in parts.items():
        s = summarize(what, seconds)
        progress(f"  {NAME}: {what}: p50 {s.p50_ms:.3f} ms, p99 {s.p99_ms:.3f} ms")
