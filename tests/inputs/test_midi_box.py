"""MIDI in the whole box: devices plugged while it runs reach its engine, controllers
flow at the engine's pace, and a box with no MIDI system says why and plays on."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import mido
import pytest

from appliance.box import Box, open_synth
from appliance.config import BoxConfig
from appliance.control.client import ControlClient
from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    NoteOff,
    NoteOn,
    SoundKind,
)
from appliance.inputs.midi import MidiPorts
from appliance.inputs.midi_backend import NO_ALSA, MidoBackend
from appliance.inputs.midi_watch import PollingWatcher
from appliance.profile import default_profile
from appliance.service.run import Service, ServiceOptions
from appliance.service.systemd import Notifier

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
#: Bounds a hang, never a measurement.
DEADLINE_S = 10.0
#: Messages sent per millisecond in a fast run (5,000 a second, the issue's flood).
PACE = 5

no_alsa_sequencer = pytest.mark.skipif(
    Path("/dev/snd/seq").exists(), reason="this machine has an ALSA sequencer"
)


class Handled:
    """Every event the box's engine has acted on, as its event listener sees them."""

    def __init__(self) -> None:
        self.events: list = []
        self._changed = threading.Condition()

    def __call__(self, event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, predicate, what: str) -> list:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.events), DEADLINE_S):
                raise AssertionError(f"the engine never took {what}: {self.events[-20:]}")
            return list(self.events)


@pytest.fixture
def synth():
    s = open_synth(BoxConfig(soundfont=TIMGM))
    yield s
    s.close()


def test_a_device_plugged_into_a_running_box_reaches_its_engine(jack, synth, mock_factory):
    config = BoxConfig(soundfont=TIMGM, pads=None, beams=(), switch_pins=(5,))
    box = Box(
        config,
        default_profile(),
        synth,
        pin_factory=mock_factory,
        midi_ports=lambda submit: MidiPorts(
            submit, backend=MidoBackend(jack), watcher=PollingWatcher(0.02)
        ),
    )
    handled = Handled()
    box.engine.event_listeners.append(handled)
    keys = None
    try:
        box.start()
        assert box.midi_status() == {"available": True, "reason": "", "devices": []}
        keys = mido.open_output("keys", virtual=True)
        handled.wait_for(lambda es: any(type(e) is DevicePlugged for e in es), "the plug")
        assert box.midi_status()["devices"] == [
            {"id": "midi:keys", "port": "RtMidiOut Client:keys"}
        ]

        keys.send(mido.Message("note_on", note=60, velocity=100))
        for value in range(40):  # a knob turned fast, its values queued behind each other
            keys.send(mido.Message("control_change", control=1, value=value))
            if value % PACE == PACE - 1:
                # JACK loses what arrives while the port's callback is still busy
                # with an earlier period (waiting for Python's lock): pace, as a hand does.
                time.sleep(0.001)
        keys.send(mido.Message("note_off", note=60))
        events = handled.wait_for(lambda es: any(type(e) is NoteOff for e in es), "the note-off")
        # The engine's listener tells the ports each controller was taken, so
        # the last value of the knob always comes, before the note-off.
        values = [e.value for e in events if type(e) is ControlChange]
        assert values[-1] == 39
        assert [type(e) for e in events if type(e) is not ControlChange] == [
            DevicePlugged,
            NoteOn,
            NoteOff,
        ]

        keys.close()
        keys = None
        handled.wait_for(lambda es: any(type(e) is DeviceUnplugged for e in es), "the unplug")
        assert box.midi_status()["devices"] == []
    finally:
        box.stop()
        if keys is not None:
            keys.close()
    assert not [t for t in threading.enumerate() if t.name == "tonic-midi" and t.is_alive()]


def test_fifty_unplugs_with_notes_held_leave_no_note_sounding(jack, synth, mock_factory):
    """The issue's hotplug acceptance: pulled out with keys held, 50 times, 0 stuck notes."""
    config = BoxConfig(soundfont=TIMGM, pads=None, beams=(), switch_pins=(5,))
    heard = []
    box = Box(
        config,
        default_profile(),
        synth,
        pin_factory=mock_factory,
        listeners=[heard.append],
        midi_ports=lambda submit: MidiPorts(submit, backend=MidoBackend(jack)),
    )
    handled = Handled()
    box.engine.event_listeners.append(handled)
    cycles = 50
    with box:
        assert box.midi is not None
        for cycle in range(cycles):
            keys = mido.open_output("keys", virtual=True)
            box.midi.rescan()  # the watcher's look, now
            for note in (60 + cycle % 12, 67 + cycle % 12):
                keys.send(mido.Message("note_on", note=note, velocity=90))
            handled.wait_for(
                lambda es, n=cycle: len([e for e in es if type(e) is NoteOn]) == 2 * (n + 1),
                "the held notes",
            )
            keys.close()  # pulled out with both keys down
            box.midi.rescan()
            handled.wait_for(
                lambda es, n=cycle: len([e for e in es if type(e) is DeviceUnplugged]) == n + 1,
                "the unplug",
            )
            assert box.status().notes_sounding == 0, f"cycle {cycle}"
        told = list(heard)  # before the box's stop, which silences everything anyway
    # And in what the synth was told: every note started on a channel was ended.
    sounding: set[tuple[int | None, int | None]] = set()
    for event in told:
        if event.type is SoundKind.NOTE_ON:
            sounding.add((event.channel, event.note))
        elif event.type is SoundKind.NOTE_OFF:
            sounding.discard((event.channel, event.note))
        elif event.type in (SoundKind.ALL_NOTES_OFF, SoundKind.ALL_SOUNDS_OFF):
            sounding = {n for n in sounding if event.channel not in (None, n[0])}
    assert len([e for e in told if e.type is SoundKind.NOTE_ON]) >= cycles
    assert sounding == set()


@no_alsa_sequencer
def test_a_box_with_no_midi_system_says_why_and_plays_on(synth, mock_factory):
    config = BoxConfig(soundfont=TIMGM, pads=None, beams=(), switch_pins=(5,))
    heard = []
    box = Box(config, default_profile(), synth, pin_factory=mock_factory, listeners=[heard.append])
    handled = Handled()
    box.engine.event_listeners.append(handled)
    with box:
        assert box.midi_status() == {"available": False, "reason": NO_ALSA, "devices": []}
        mock_factory.pin(5).drive_low()
        handled.wait_for(lambda es: es, "the press")
        box.loop.call(lambda: None)  # the press is handled: its note is out
        assert [e.type for e in heard if e.source == "switch:1"] == ["note_on"]


@no_alsa_sequencer
def test_the_services_status_has_midi(tmp_path):
    service = Service(
        ServiceOptions(simulate=True, data_dir=tmp_path / "data", socket=str(tmp_path / "c.sock")),
        Notifier(),
    )
    service.start()
    try:
        with ControlClient(tmp_path / "c.sock") as client:
            status = client.call("status")
    finally:
        service.stop()
    assert status["midi"] == {"available": False, "reason": NO_ALSA, "devices": []}
