"""MidiPorts through real python-rtmidi ports on a dummy JACK server.

A virtual output port the test opens is a device plugged in; closing it is
the device pulled out. Every message crosses JACK for real, on RtMidi's
threads, into the box's port callbacks. Waits have generous deadlines and
only say how long to wait before calling something lost: no test asserts on
wall-clock time.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path

import mido
import pytest
import rtmidi

from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    NoteOff,
    NoteOn,
    PitchBend,
)
from appliance.inputs.midi import MidiPorts
from appliance.inputs.midi_backend import NO_ALSA, NO_JACK, MidoBackend
from appliance.inputs.midi_watch import PollingWatcher

#: How long to wait for an event before calling it lost (JACK carries one in ~3 ms).
DEADLINE_S = 10.0
#: A flood's pace: 5 messages every millisecond is the issue's 5,000 a second.
#: JACK's output ring buffer drops what a burst overfills, so the test paces too.
FLOOD_PER_MS = 5
#: The flood's controllers: the mod wheel and expression.
KNOBS = (1, 11)


class EngineQueue:
    """Stands where ``EngineLoop.submit`` is: a queue, and one thread taking the
    events off it in order, recording them and telling the ports it took them
    (as the box's engine does through its event listener).

    ``hold()`` stops the taking, as a busy engine would, to see what queues up.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.events: list = []
        self._changed = threading.Condition()
        self._running = threading.Event()
        self._running.set()
        self.taken = lambda event: None
        self._thread = threading.Thread(target=self._run, name="test-engine", daemon=True)
        self._thread.start()

    def submit(self, event) -> None:
        self._queue.put(event)

    def queued(self) -> int:
        return self._queue.qsize()

    def hold(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def wait_for(self, predicate, what: str) -> list:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.events), DEADLINE_S):
                raise AssertionError(f"never saw {what}; events: {self.events[-20:]}")
            return list(self.events)

    def close(self) -> None:
        self._running.set()
        self._queue.put(None)
        self._thread.join(DEADLINE_S)

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            self._running.wait()
            with self._changed:
                self.events.append(event)
                self._changed.notify_all()
            self.taken(event)


def of_type(events, kind):
    return [e for e in events if type(e) is kind]


@pytest.fixture
def engine():
    q = EngineQueue()
    yield q
    q.close()


@pytest.fixture
def ports(jack, engine):
    """MidiPorts on JACK, scanned by hand (``rescan()``) unless a test starts it."""
    midi = MidiPorts(engine.submit, backend=MidoBackend(jack))
    engine.taken = midi.taken
    yield midi
    midi.close()


@pytest.fixture
def devices(jack):
    """Opens virtual output ports (plugged devices); closes what is left after the test."""
    opened: list = []

    def plug(name: str = "keys"):
        port = mido.open_output(name, virtual=True)
        opened.append(port)
        return port

    yield plug
    for port in opened:
        port.close()


def plugged_event(engine, name: str, count: int = 1) -> DevicePlugged:
    events = engine.wait_for(
        lambda es: len([e for e in of_type(es, DevicePlugged) if e.source == name]) >= count,
        f"{name} plugged",
    )
    return [e for e in of_type(events, DevicePlugged) if e.source == name][-1]


def test_a_plugged_device_plays_notes_with_velocity_and_channel(ports, devices, engine):
    assert ports.rescan() and ports.devices == ()
    keys = devices("keys")
    assert ports.rescan()
    plugged = plugged_event(engine, "midi:keys")
    assert plugged.port == "RtMidiOut Client:keys"
    assert [d.id for d in ports.devices] == ["midi:keys"]

    keys.send(mido.Message("note_on", note=60, velocity=100, channel=3))
    keys.send(mido.Message("note_off", note=60, velocity=40, channel=3))
    events = engine.wait_for(lambda es: of_type(es, NoteOff), "the note-off")
    assert events[0] is plugged  # nothing of the device before it is plugged
    (on,) = of_type(events, NoteOn)
    assert (on.source, on.note, on.velocity, on.channel) == ("midi:keys", 60, 100, 3)
    (off,) = of_type(events, NoteOff)
    assert (off.source, off.note, off.channel) == ("midi:keys", 60, 3)
    assert plugged.t <= on.t <= off.t


def test_a_note_on_with_velocity_0_is_a_note_off(ports, devices, engine):
    keys = devices("keys")
    ports.rescan()
    keys.send(mido.Message("note_on", note=64, velocity=90))
    keys.send(mido.Message("note_on", note=64, velocity=0))
    events = engine.wait_for(lambda es: of_type(es, NoteOff), "the note-off")
    assert [type(e) for e in events] == [DevicePlugged, NoteOn, NoteOff]
    assert events[2].note == 64


def test_sysex_clock_aftertouch_and_garbage_are_dropped_and_the_port_plays_on(
    ports, jack, engine, caplog
):
    device = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK)  # raw bytes, as a device sends
    device.open_virtual_port("keys")
    try:
        ports.rescan()
        plugged_event(engine, "midi:keys")
        caplog.set_level(logging.WARNING, logger="appliance.inputs.midi")
        for message in (
            [0xF0, 0x7E, 0x7F, 0x09, 0x01, 0xF7],  # SysEx: General MIDI on
            [0xF8],  # clock
            [0xFE],  # active sensing
            [0xFA],  # start
            [0xD0, 90],  # channel aftertouch
            [0xA0, 60, 90],  # polyphonic aftertouch
            [0xC0, 5],  # program change
            [0x45, 20],  # data bytes without a status
            [0x90, 200, 3],  # a data byte over 127
            [0x90, 61],  # a note-on a byte short
            [0x90, 62, 80],  # and a note after all of it
        ):
            device.send_message(message)
        events = engine.wait_for(lambda es: of_type(es, NoteOn), "the note after the noise")
    finally:
        device.close_port()
        device.delete()
    assert [type(e) for e in events] == [DevicePlugged, NoteOn]
    assert events[1].note == 62
    # RtMidi drops SysEx, clock and active sensing before Python sees them;
    # the box drops the rest of what it has no use for, by its first byte.
    assert ports.dropped() == {"system": 1, "aftertouch": 2, "program": 1, "malformed": 3}
    lines = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(lines) == 1, lines  # rate-limited: one line, not one per message
    assert "midi:keys" in lines[0]


def test_unplugged_then_replugged_it_plays_again_under_the_same_name(ports, devices, engine):
    keys = devices("keys")
    ports.rescan()
    keys.send(mido.Message("note_on", note=60, velocity=100))
    engine.wait_for(lambda es: of_type(es, NoteOn), "the held note")
    keys.close()
    ports.rescan()
    events = engine.wait_for(lambda es: of_type(es, DeviceUnplugged), "the unplug")
    assert events[-1] == DeviceUnplugged(events[-1].t, "midi:keys")
    assert ports.devices == ()

    keys = devices("keys")
    ports.rescan()
    again = plugged_event(engine, "midi:keys", count=2)
    keys.send(mido.Message("note_on", note=67, velocity=80))
    events = engine.wait_for(lambda es: len(of_type(es, NoteOn)) == 2, "a note after the replug")
    assert events.index(again) < events.index(of_type(events, NoteOn)[1])
    assert of_type(events, NoteOn)[1].source == "midi:keys"


def test_two_identical_devices_are_two_inputs(ports, devices, engine):
    first, second = devices("keys"), devices("keys")
    ports.rescan()
    plugged_event(engine, "midi:keys")
    plugged_event(engine, "midi:keys-2")
    by_port = {d.port: d.id for d in ports.devices}
    assert by_port == {
        "RtMidiOut Client:keys": "midi:keys",
        "RtMidiOut Client-01:keys": "midi:keys-2",
    }
    first.send(mido.Message("note_on", note=60, velocity=100))
    second.send(mido.Message("note_on", note=72, velocity=100))
    events = engine.wait_for(lambda es: len(of_type(es, NoteOn)) == 2, "both notes")
    assert {(e.source, e.note) for e in of_type(events, NoteOn)} == {
        ("midi:keys", 60),
        ("midi:keys-2", 72),
    }

    # The first is pulled out: the second keeps its name, and the first gets its own back.
    first.close()
    ports.rescan()
    assert [d.id for d in ports.devices] == ["midi:keys-2"]
    devices("keys")
    ports.rescan()
    assert sorted(d.id for d in ports.devices) == ["midi:keys", "midi:keys-2"]


def test_fifty_unplugs_with_notes_held_each_reported_after_its_notes(ports, devices, engine):
    cycles = 50
    for cycle in range(cycles):
        keys = devices("keys")
        ports.rescan()
        keys.send(mido.Message("note_on", note=48 + cycle % 24, velocity=100))
        keys.send(mido.Message("note_on", note=60 + cycle % 24, velocity=100))
        engine.wait_for(lambda es, n=cycle: len(of_type(es, NoteOn)) == 2 * (n + 1), "the notes")
        keys.close()  # pulled out with both notes held
        ports.rescan()
        engine.wait_for(
            lambda es, n=cycle: len(of_type(es, DeviceUnplugged)) == n + 1, "the unplug"
        )
    events = engine.events
    assert len(of_type(events, DevicePlugged)) == cycles
    # Plug, two notes, unplug, in that order, every time: the engine releases
    # the held notes when it takes the unplug, so none is left sounding.
    kinds = [type(e) for e in events]
    assert kinds == [DevicePlugged, NoteOn, NoteOn, DeviceUnplugged] * cycles
    assert {e.source for e in events} == {"midi:keys"}
    assert ports.devices == ()


def test_the_thread_sees_a_device_come_and_go_without_being_asked(jack, engine, devices):
    midi = MidiPorts(engine.submit, backend=MidoBackend(jack), watcher=PollingWatcher(0.02))
    engine.taken = midi.taken
    midi.start()
    try:
        keys = devices("keys")
        plugged_event(engine, "midi:keys")
        keys.send(mido.Message("note_on", note=60, velocity=100))
        engine.wait_for(lambda es: of_type(es, NoteOn), "the note")
        keys.close()
        events = engine.wait_for(lambda es: of_type(es, DeviceUnplugged), "the unplug")
        assert [type(e) for e in events] == [DevicePlugged, NoteOn, DeviceUnplugged]
        assert midi.available and midi.reason == ""
    finally:
        midi.close()
    assert midi.devices == () and not midi.available


def test_controllers_and_bends_arrive_and_the_last_value_always_does(ports, devices, engine):
    keys = devices("keys")
    ports.rescan()
    for value in range(128):
        keys.send(mido.Message("control_change", control=74, value=value, channel=1))
        keys.send(mido.Message("pitchwheel", pitch=value * 64, channel=1))
        if value % FLOOD_PER_MS == 0:
            time.sleep(0.001)
    events = engine.wait_for(
        lambda es: (
            any(type(e) is ControlChange and e.value == 127 for e in es)
            and any(type(e) is PitchBend and e.value == 127 * 64 for e in es)
        ),
        "the last controller value and bend",
    )
    ccs = of_type(events, ControlChange)
    assert [(e.control, e.channel) for e in ccs] == [(74, 1)] * len(ccs)
    assert [e.value for e in ccs] == sorted(e.value for e in ccs)  # in order, some skipped
    assert ccs[-1].value == 127


def test_a_flood_keeps_every_note_and_queues_no_more_than_one_value_per_controller(
    ports, devices, engine
):
    """5,000 messages a second, mostly aftertouch and controllers, while the engine is
    too busy to take any: the queue grows by the notes alone; then every note-off."""
    keys = devices("keys")
    ports.rescan()
    plugged_event(engine, "midi:keys")
    engine.hold()  # the engine is busy: nothing is taken until resume()
    sent_notes: list[tuple[str, int]] = []
    last_cc: dict[int, int] = {}
    aftertouch = 0
    messages = 5000  # a second's flood, ending on aftertouch
    for i in range(messages):
        note = 36 + (i // 100) % 48
        if i % 100 == 0:  # a note every 100 messages (50 a second), released 50 later
            keys.send(mido.Message("note_on", note=note, velocity=100))
            sent_notes.append(("on", note))
        elif i % 100 == 50:
            keys.send(mido.Message("note_off", note=note))
            sent_notes.append(("off", note))
        elif i % 5 == 1:
            control = KNOBS[i % 2]  # the mod wheel and expression, turning
            last_cc[control] = i % 128
            keys.send(mido.Message("control_change", control=control, value=i % 128))
        else:
            keys.send(mido.Message("polytouch", note=60, value=i % 128))
            aftertouch += 1
        if i % FLOOD_PER_MS == FLOOD_PER_MS - 1:
            time.sleep(0.001)
    # The port's thread handles messages in order, and the last one is
    # aftertouch: once all of it is counted, the whole flood has been handled.
    deadline = time.monotonic() + DEADLINE_S
    while ports.dropped().get("aftertouch", 0) < aftertouch and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ports.dropped().get("aftertouch", 0) == aftertouch
    notes = len(sent_notes)
    controllers = messages - aftertouch - notes
    # The queue holds every note, and per note at most one value of each knob
    # (a note lets the values waiting before it go first): never the flood.
    queued = engine.queued() + 1  # the held engine has taken one off already
    assert queued - notes <= len(KNOBS) * (notes + 1)
    assert controllers > 4 * (queued - notes)
    assert ports.coalesced > 0

    engine.resume()
    events = engine.wait_for(
        lambda es: len([e for e in es if type(e) in (NoteOn, NoteOff)]) == notes,
        "every note",
    )
    played = [
        ("on" if type(e) is NoteOn else "off", e.note)
        for e in events
        if type(e) in (NoteOn, NoteOff)
    ]
    assert played == sent_notes  # every note-on and every note-off, in order
    assert not [e for e in events if type(e) not in (DevicePlugged, NoteOn, NoteOff, ControlChange)]
    final = {}
    for e in of_type(events, ControlChange):
        final[e.control] = e.value
    assert final == last_cc  # the latest value of every knob reached the engine


def test_with_no_alsa_sequencer_midi_is_unavailable_and_nothing_raises(engine):
    if Path("/dev/snd/seq").exists():
        pytest.skip("this machine has an ALSA sequencer")
    midi = MidiPorts(engine.submit, backend=MidoBackend("mido.backends.rtmidi/LINUX_ALSA"))
    assert not midi.available and midi.reason == "not started"
    assert midi.rescan() is False
    assert not midi.available
    assert midi.reason == NO_ALSA == "no MIDI: the ALSA sequencer is not available"
    assert midi.status() == {"available": False, "reason": NO_ALSA, "devices": []}
    midi.start()
    midi.close()
    assert engine.events == []


def test_rtmidi_s_own_error_reads_the_same(engine):
    # /dev/null stands in for a sequencer device that exists but does not
    # answer, so RtMidi is asked and raises its SystemError.
    if Path("/dev/snd/seq").exists():
        pytest.skip("this machine has an ALSA sequencer")
    backend = MidoBackend("mido.backends.rtmidi/LINUX_ALSA", alsa_sequencer=Path("/dev/null"))
    with pytest.raises(OSError, match="ALSA sequencer"):
        mido.Backend("mido.backends.rtmidi/LINUX_ALSA").get_input_names()
    midi = MidiPorts(engine.submit, backend=backend)
    assert midi.rescan() is False and midi.reason == NO_ALSA


def test_midi_that_appears_later_is_found_without_a_restart(jack, engine, devices, monkeypatch):
    server = os.environ["JACK_DEFAULT_SERVER"]
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "tonic-no-such-server")
    midi = MidiPorts(engine.submit, backend=MidoBackend(jack), retry_delays=(0.02,))
    engine.taken = midi.taken
    try:
        assert midi.rescan() is False
        assert midi.reason == NO_JACK
        midi.start()  # retrying, every 0.02 s here
        monkeypatch.setenv("JACK_DEFAULT_SERVER", server)  # the server "starts"
        devices("keys")
        plugged_event(engine, "midi:keys")
        assert midi.available and midi.reason == ""
    finally:
        midi.close()
