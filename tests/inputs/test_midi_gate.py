"""The gate between MIDI ports and the engine: order, notes always, controllers at the
engine's pace."""

from __future__ import annotations

from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    InputId,
    NoteOff,
    NoteOn,
    PitchBend,
    Pressed,
)
from appliance.inputs.midi_gate import EventGate

KEYS = InputId("midi:keys")
PADS = InputId("midi:pads")


class Engine:
    """Stands where ``EngineLoop.submit`` is: what was submitted, in order, and what
    the engine has taken so far (each taken event goes back to the gate)."""

    def __init__(self) -> None:
        self.queue: list = []
        self.handled: list = []
        self.gate = EventGate(self.queue.append)

    def take_all(self) -> None:
        while self.queue:
            event = self.queue.pop(0)
            self.handled.append(event)
            self.gate.taken(event)


def cc(t, value, control=1, source=KEYS, channel=0):
    return ControlChange(t, source, control, value, channel)


def plugged(engine, *sources):
    for source in sources:
        engine.gate.plug(DevicePlugged(0.0, source, f"port of {source}"))
    engine.take_all()
    engine.handled.clear()


def test_a_device_s_events_pass_only_between_its_plug_and_its_unplug():
    engine = Engine()
    engine.gate.send(NoteOn(0.1, KEYS, 60, 100))  # the port opened, not yet playable
    engine.gate.plug(DevicePlugged(0.2, KEYS, "port"))
    engine.gate.send(NoteOn(0.3, KEYS, 60, 100))
    engine.gate.unplug(DeviceUnplugged(0.4, KEYS))
    engine.gate.send(NoteOff(0.5, KEYS, 60))  # a callback still running as the port closed
    engine.gate.unplug(DeviceUnplugged(0.6, KEYS))  # once is enough
    assert engine.queue == [
        DevicePlugged(0.2, KEYS, "port"),
        NoteOn(0.3, KEYS, 60, 100),
        DeviceUnplugged(0.4, KEYS),
    ]


def test_controllers_wait_for_the_engine_and_only_the_latest_goes():
    engine = Engine()
    plugged(engine, KEYS)
    for i in range(100):
        engine.gate.send(cc(i, i))
    # The first went at once; 1..98 were replaced while it waited; 99 waits.
    assert engine.queue == [cc(0, 0)]
    assert engine.gate.waiting() == 1
    assert engine.gate.coalesced == 98
    engine.take_all()
    assert engine.handled == [cc(0, 0), cc(99, 99)]
    assert engine.gate.waiting() == 0
    # Nothing in flight any more: the next value goes at once.
    engine.gate.send(cc(100, 5))
    assert engine.queue == [cc(100, 5)]


def test_notes_are_never_held_back_and_never_overtake_a_controller():
    engine = Engine()
    plugged(engine, KEYS)
    bend = PitchBend
    sent = [
        bend(1, KEYS, 4000),
        bend(2, KEYS, 2000),
        bend(3, KEYS, 0),  # the bend is back to centre before the next note...
        NoteOn(4, KEYS, 60, 90),
        bend(5, KEYS, 100),
        NoteOff(6, KEYS, 60),
    ]
    for event in sent:
        engine.gate.send(event)
    # ...so the engine gets the centre before the note, not after it.
    assert engine.queue == [
        bend(1, KEYS, 4000),
        bend(3, KEYS, 0),
        NoteOn(4, KEYS, 60, 90),
        bend(5, KEYS, 100),
        NoteOff(6, KEYS, 60),
    ]
    engine.take_all()
    # Each bend the engine took had nothing newer waiting: nothing more goes.
    assert engine.handled == [e for e in sent if e.t != 2]


def test_each_controller_channel_and_device_waits_on_its_own():
    engine = Engine()
    plugged(engine, KEYS, PADS)
    firsts = [
        cc(1, 10, control=1),
        cc(2, 10, control=7),
        cc(3, 10, control=1, channel=9),
        cc(4, 10, control=1, source=PADS),
        PitchBend(5, KEYS, 10),
        PitchBend(6, KEYS, 10, channel=1),
    ]
    for event in firsts:
        engine.gate.send(event)
    assert engine.queue == firsts


def test_an_unplug_drops_what_waits_and_a_replug_starts_afresh():
    engine = Engine()
    plugged(engine, KEYS)
    engine.gate.send(cc(1, 1))
    engine.gate.send(cc(2, 2))  # waits behind 1
    engine.gate.unplug(DeviceUnplugged(3, KEYS))
    engine.gate.plug(DevicePlugged(4, KEYS, "port"))
    engine.gate.send(cc(5, 5))  # nothing of the old plug is in flight for it
    engine.take_all()
    assert engine.handled == [
        cc(1, 1),
        DeviceUnplugged(3, KEYS),
        DevicePlugged(4, KEYS, "port"),
        cc(5, 5),
    ]


def test_other_events_the_engine_takes_change_nothing():
    engine = Engine()
    plugged(engine, KEYS)
    engine.gate.send(cc(1, 1))
    engine.gate.send(cc(2, 2))
    engine.gate.taken(Pressed(2.5, InputId("switch:1")))
    engine.gate.taken(cc(1, 1))  # equal, but not the event the gate sent
    assert engine.queue == [cc(1, 1)]
    assert engine.gate.waiting() == 1
