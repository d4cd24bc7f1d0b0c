"""``tonic demo``: a short simulated session through the real box.

The demo builds the box exactly as the service does, but on gpiozero's mock
pins: each scripted press drives a pin low, gpiozero fires the switch's
callback on its own thread, and the event crosses to the engine's owner
thread and on to FluidSynth, which is rendering all the while. It plays
through the sound card when there is one, and always leaves a WAV behind,
with the MIDI record of the same synth calls beside it (``demo.mid``).

The session tours the box: switches in each mode, pads, the beam, a key
change, a therapist's keyboard, then the band: a loop the clients play over,
a switch stepping through a familiar song, and a song the box plays by
itself. What it prints is :mod:`appliance.session.demo_account`'s account.
"""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.errors import AudioUnavailable
from appliance.events import (
    BandCommand,
    BeamReading,
    DevicePlugged,
    DeviceUnplugged,
    InputKind,
    NoteOff,
    NoteOn,
    Pressed,
    Released,
    SetSetting,
    SoundEvent,
    parse_input_id,
)
from appliance.inputs.beam_noise import BeamNoise
from appliance.inputs.midi import MidiPorts
from appliance.inputs.simulated import SimulatedHardware
from appliance.inputs.simulated_midi import SimulatedMidi
from appliance.profile import Profile
from appliance.session.demo_account import GATHER_S, DemoAccount
from appliance.session.midi_record import write_midi_record
from appliance.session.render import check_script
from appliance.session.replay import replay
from appliance.session.script import Script, parse_script
from appliance.sound.fluid import FluidSynth
from appliance.sound.paced import PacedRenderer
from appliance.sound.wav import WavWriter

DEMO_SCRIPT = """\
# Four switches in C major pentatonic, one instrument each.
0.5   switch:1 press
0.9   switch:1 release
1.2   switch:2 press
1.6   switch:2 release
1.9   switch:3 press
2.3   switch:3 release
2.6   switch:4 press
3.4   switch:4 release
# Switch 2 becomes a latch: one press starts its note, the next one stops it.
3.8   set switch:2.mode=latch
4.0   switch:2 press
4.2   switch:2 release
4.6   switch:1 press
4.9   switch:1 release
5.8   switch:2 press
6.0   switch:2 release
# Switch 3 plays the chord on its degree.
6.3   set switch:3.mode=chord
6.5   switch:3 press
7.5   switch:3 release
# The pads climb the scale like a keyboard.
7.8   pad:1 touch
8.0   pad:1 release
8.1   pad:3 touch
8.3   pad:3 release
8.4   pad:5 touch
8.6   pad:5 release
8.7   pad:8 touch
9.3   pad:8 release
# A hand moves slowly away through the beam, then leaves it.
9.6   beam:1 distance 0.20
10.1  beam:1 distance 0.32
10.6  beam:1 distance 0.45
11.1  beam:1 distance 0.62
11.6  beam:1 distance 0.72
12.1  beam:1 distance 0.85
12.6  beam:1 distance none
# The key moves to G while switch 1 is held: its C still stops on release.
13.0  switch:1 press
13.4  set key=G
13.9  switch:1 release
14.2  switch:1 press
14.5  switch:1 release
14.8  pad:1 touch
15.0  pad:1 release
15.1  pad:3 touch
15.3  pad:3 release
15.4  pad:5 touch
16.0  pad:5 release
16.3  switch:3 press
17.2  switch:3 release
# A minor colour to finish, then back home to C.
17.5  set scale=minor_pentatonic
17.7  beam:1 distance 0.30
18.3  beam:1 distance 0.60
18.9  beam:1 distance none
19.2  set key=C
19.2  set scale=major_pentatonic
19.4  switch:3 press
19.5  switch:1 press
20.8  switch:1 release
20.8  switch:3 release
# The therapist plugs in a keyboard and plays chords: every client input
# follows the chord held, and keeps the last one when the keys are let go.
21.2  set harmony=therapist
21.2  midi:keys plug therapist
21.5  midi:keys note 60 64
21.5  midi:keys note 64 64
21.5  midi:keys note 67 64
22.6  switch:1 press
22.9  switch:1 release
23.1  switch:2 press
23.4  switch:2 release
23.6  pad:5 touch
23.9  pad:5 release
24.3  midi:keys off 60
24.3  midi:keys off 64
24.3  midi:keys off 67
24.3  midi:keys note 57 64
24.3  midi:keys note 60 64
24.3  midi:keys note 64 64
24.7  switch:1 press
25.0  switch:1 release
25.2  switch:4 press
25.5  switch:4 release
25.7  pad:2 touch
26.0  pad:2 release
26.4  midi:keys off 57
26.4  midi:keys off 60
26.4  midi:keys off 64
26.4  switch:2 press      # its latched note, held since 23.1, is let go
26.6  switch:2 release
26.8  switch:3 press
27.4  switch:3 release
27.8  midi:keys unplug
# A gentle loop starts (72 beats a minute, a bar of C, then F, then C again):
# the clients play over it, and every note fits the loop's chord of the bar.
27.9  set harmony=loop
27.9  set switch:2.mode=note
27.9  loop start gentle_pulse
28.5  switch:1 press
28.9  switch:1 release
29.3  pad:3 touch
29.6  pad:3 release
30.0  pad:5 touch
30.3  pad:5 release
30.7  switch:2 press
31.2  switch:2 release
31.6  switch:1 press
32.0  switch:1 release
32.4  pad:4 touch
32.7  pad:4 release
33.1  switch:3 press
34.0  switch:3 release
# Over the loop's last bar, switch 4 steps through Twinkle Twinkle, a note a
# press; the loop's chord is its harmony. The loop ends at that bar's end.
34.3  set switch:4.mode=sequence
34.3  set switch:4.song=twinkle_twinkle
34.3  set switch:4.accompany=false
34.8  switch:4 press
35.1  switch:4 release
35.2  loop stop
35.3  switch:4 press
35.6  switch:4 release
35.8  switch:4 press
36.1  switch:4 release
36.3  switch:4 press
36.6  switch:4 release
36.8  switch:4 press
37.1  switch:4 release
37.3  switch:4 press
37.6  switch:4 release
37.8  switch:4 press
# Then the box plays a familiar song by itself, and the clients join in on
# its chords; the therapist stops it after two bars, at the end of a line.
38.1  song start hot_cross_buns
38.2  switch:4 release
38.6  switch:1 press
38.9  switch:1 release
39.6  pad:5 touch
39.9  pad:5 release
41.0  song stop
42.0  switch:3 press
42.7  switch:3 release
44.0  end
"""


@dataclass(frozen=True, slots=True)
class DemoResult:
    wav: Path
    midi: Path  # the MIDI record, beside the WAV
    seconds: float
    peak: float
    rms: float
    notes_by_input: dict[str, int]
    live: bool
    late_blocks: int
    #: Every synth call, timed from the session's start: what demo.mid records.
    events: tuple[SoundEvent, ...] = ()


def run_demo(
    config: BoxConfig,
    profile: Profile,
    out: Path,
    *,
    soundfont: str | None = None,
    live: bool = True,
    stream: TextIO,
    script: Script | None = None,
) -> DemoResult:
    script = script or parse_script(DEMO_SCRIPT, "demo")
    instruments = check_script(script, profile, config, "demo")
    synth = open_synth(config, soundfont)
    try:
        # Levelled now, before the session's clock and the WAV start: measuring
        # takes tens of milliseconds an instrument, which would otherwise fall
        # on the engine's thread mid-session (the service has a worker for it).
        for instrument in sorted(instruments, key=lambda i: i.name):
            synth.level_of(instrument)
        playing_live = live and _open_audio(synth, config, out, stream)
        with WavWriter(out, synth.sample_rate) as wav:
            # The WAV is the session's record: a late block is caught up, never lost.
            renderer = None if playing_live else PacedRenderer(synth, wav, catch_up=True)
            try:
                if renderer is not None:
                    renderer.start()
                account = DemoAccount(stream, profile)
                _run_session(script, config, profile, synth, account)
            finally:
                # The audio thread must stop writing before the WAV is kept or discarded.
                if renderer is not None:
                    renderer.stop()
            record = account.record()
            if playing_live:
                _replay_into(wav, record, config, soundfont)
            midi = write_midi_record(midi_path(out), record, synth.sample_rate, end_s=wav.seconds)
            path = wav.commit()
        return DemoResult(
            path,
            midi,
            wav.seconds,
            wav.peak_level,
            wav.rms_level,
            dict(account.notes_by_input),
            playing_live,
            renderer.late_blocks if renderer else 0,
            tuple(record),
        )
    finally:
        synth.close()


def _open_audio(synth: FluidSynth, config: BoxConfig, out: Path, stream: TextIO) -> bool:
    try:
        synth.start_audio(config.audio)
    except AudioUnavailable as e:
        stream.write(f"{e}\nNo sound card, so the demo is heard only in {out}.\n")
        return False
    stream.write(f"Playing live through {synth.state_reason}.\n")
    return True


def _run_session(
    script: Script, config: BoxConfig, profile: Profile, synth: FluidSynth, account: DemoAccount
) -> None:
    # The simulated beam pings with a real sensor's noise, seeded, so the demo
    # plays what a rendered run of the same readings plays.
    hardware = SimulatedHardware(config, beam_noise=BeamNoise())
    # The therapist's keyboard is a virtual MIDI device: its bytes take the
    # real ports' path (appliance/inputs/midi.py) into the engine.
    midi = SimulatedMidi()
    sound_events: queue.SimpleQueue[SoundEvent] = queue.SimpleQueue()
    box = Box(
        config,
        profile,
        synth,
        pin_factory=hardware.factory,
        i2c=hardware.i2c,
        listeners=[sound_events.put],
        midi_ports=lambda submit: MidiPorts(submit, backend=midi),
    )
    try:
        with box:
            account.start = time.monotonic()
            stage = _Stage(box, hardware, midi)
            _perform(script, stage, account.start, sound_events, account)
            time.sleep(0.3)
    finally:
        hardware.close()
    account.drain(sound_events)  # the stop's note-offs


def midi_path(out: Path) -> Path:
    """Where the demo's MIDI record goes: beside ``out``, as ``.mid``."""
    midi = out.with_suffix(".mid")
    return midi if midi != out else out.with_name(out.name + ".mid")


def _replay_into(
    wav: WavWriter, record: list[SoundEvent], config: BoxConfig, soundfont: str | None
) -> None:
    """Live audio went to the speakers; render the same synth calls again for the WAV.

    The record holds every call, the mixer's channel volumes and the master
    gain included, so a fresh synth from the same config sounds the same.
    """
    offline = open_synth(config, soundfont)
    try:
        replay(record, offline, wav, tail_s=1.0)
    finally:
        offline.close()


NOTE_ON_STATUS, NOTE_OFF_STATUS = 0x90, 0x80


@dataclass(frozen=True, slots=True)
class _Stage:
    """What the demo's people act on: the box, its simulated sensors, the keyboard."""

    box: Box
    hardware: SimulatedHardware
    midi: SimulatedMidi


def _perform(
    script: Script,
    stage: _Stage,
    start: float,
    sound_events: queue.SimpleQueue[SoundEvent],
    account: DemoAccount,
) -> None:
    """Act out the script in real time, as a client and a therapist would:
    closing switch contacts, touching pads, moving a hand in the beam and
    playing a keyboard."""
    end = script.end if script.end is not None else script.last_time + 1.0
    for line in script.lines:
        _wait_until(start + line.event.t, sound_events, account)
        event = line.event
        if isinstance(event, Pressed | Released):
            _act(stage.hardware, event)
        elif isinstance(event, BeamReading):
            _, number = parse_input_id(event.source)
            stage.hardware.hand_at(number, event.distance)
        elif isinstance(event, SetSetting):
            account.therapist_sets(event)
            stage.box.loop.submit(replace(event, t=time.monotonic(), source="therapist"))
        elif isinstance(event, BandCommand):
            account.therapist_asks(event)
            stage.box.loop.submit(replace(event, t=time.monotonic(), source="therapist"))
        elif isinstance(event, DevicePlugged | DeviceUnplugged | NoteOn | NoteOff):
            _play_device(stage, event, account)
    _wait_until(start + end, sound_events, account)


def _play_device(
    stage: _Stage, event: DevicePlugged | DeviceUnplugged | NoteOn | NoteOff, account: DemoAccount
) -> None:
    """The therapist plugs the keyboard in, plays it, and unplugs it."""
    port = event.source.partition(":")[2]  # the port's name gives the device its name
    if isinstance(event, DevicePlugged):
        if event.role is not None:
            role = SetSetting(time.monotonic(), f"{event.source}.role", event.role, "therapist")
            account.therapist_sets(role)
            stage.box.loop.submit(role)
        stage.midi.plug(port)
        _rescan(stage)
    elif isinstance(event, DeviceUnplugged):
        stage.midi.unplug(port)
        _rescan(stage)
    elif isinstance(event, NoteOn):
        stage.midi.send(port, (NOTE_ON_STATUS | event.channel, event.note, event.velocity))
    else:
        stage.midi.send(port, (NOTE_OFF_STATUS | event.channel, event.note, 0))


def _rescan(stage: _Stage) -> None:
    # The ports' own thread looks once a second; the demo does not wait for it.
    if stage.box.midi is not None:
        stage.box.midi.rescan()


def _act(hardware: SimulatedHardware, event: Pressed | Released) -> None:
    kind, number = parse_input_id(event.source)
    down = isinstance(event, Pressed)
    if kind is InputKind.SWITCH:
        (hardware.press if down else hardware.release)(number)
    elif kind is InputKind.PAD:
        (hardware.touch if down else hardware.untouch)(number)


def _wait_until(
    when: float, sound_events: queue.SimpleQueue[SoundEvent], account: DemoAccount
) -> None:
    while (left := when - time.monotonic()) > 0:
        try:
            # A short wait, so the band's news is told as it happens.
            account.report(sound_events.get(timeout=min(left, GATHER_S)))
        except queue.Empty:
            account.settle(time.monotonic())
