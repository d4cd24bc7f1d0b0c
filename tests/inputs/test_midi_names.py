"""Device names from port names: short, stable across plugs, distinct for twins."""

from __future__ import annotations

import pytest

from appliance.events import MAX_MIDI_NAME, is_midi, midi_input_id
from appliance.inputs.midi_names import assign_names, device_name, is_device_port


@pytest.mark.parametrize(
    ("port", "name"),
    [
        # ALSA (the Pi): "client:port client-number:port-number".
        ("Arturia KeyStep 32:Arturia KeyStep 32 MIDI 1 20:0", "keystep-32"),
        ("CH345:CH345 MIDI 1 24:0", "ch345"),
        ("MPK mini 3:MPK mini 3 MIDI 1 28:0", "mpk-mini-3"),
        ("Digital Piano:Digital Piano MIDI 1 20:0", "digital-piano"),
        # A device's other ports say what they are beyond its name.
        ("Launchkey Mini:Launchkey Mini MIDI 2 28:1", "launchkey-mini-midi-2"),
        ("nanoKEY Studio:nanoKEY Studio _ CTRL 24:1", "nanokey-studio-ctrl"),
        # A maker's name alone is kept: nothing else would be left.
        ("Roland:Roland MIDI 1 20:0", "roland"),
        # JACK: RtMidi's default client name, numbered when it is taken.
        ("RtMidiOut Client:keys", "keys"),
        ("RtMidiOut Client-01:keys", "keys"),
        ("RtMidiOut Client-02:Arturia KeyStep 32", "keystep-32"),
        # An ALSA device carried into JACK by a2j.
        ("a2j:Arturia KeyStep 32 [20] (capture): Arturia KeyStep 32 MIDI 1", "keystep-32"),
        ("system:midi_capture_1", "midi-capture-1"),
        # Nothing usable: still a valid name.
        ("???:!!! 20:0", "midi"),
    ],
)
def test_a_port_gives_a_short_name(port, name):
    assert device_name(port) == name
    assert is_midi(midi_input_id(name))


def test_the_numbers_a_plug_changes_do_not_change_the_name():
    plugs = [
        "Arturia KeyStep 32:Arturia KeyStep 32 MIDI 1 20:0",
        "Arturia KeyStep 32:Arturia KeyStep 32 MIDI 1 24:0",
        "Arturia KeyStep 32:Arturia KeyStep 32 MIDI 1 128:0",
    ]
    assert {device_name(p) for p in plugs} == {"keystep-32"}


def test_a_long_name_leaves_room_for_a_number():
    port = "A Very Long Keyboard Name From A Maker Who Likes Words:x MIDI 1 20:0"
    name = device_name(port)
    assert len(name) <= MAX_MIDI_NAME - 3
    twins = assign_names([port, port.replace("20:0", "24:0")], {})
    assert all(is_midi(midi_input_id(n)) for n in twins.values())
    assert len(set(twins.values())) == 2


@pytest.mark.parametrize(
    "port",
    ["Midi Through:Midi Through Port-0 14:0", "a2j:Midi Through [14] (capture): Midi Through"],
)
def test_loop_back_ports_are_not_devices(port):
    assert not is_device_port(port)


def test_the_boxs_own_inputs_are_not_devices():
    assert not is_device_port("RtMidiIn Client:RtMidi input")
    assert is_device_port("RtMidiOut Client:keys")


def test_two_identical_keyboards_get_distinct_names():
    a, b = "Keys:Keys MIDI 1 20:0", "Keys:Keys MIDI 1 24:0"
    assert assign_names([a, b], {}) == {a: "keys", b: "keys-2"}


def test_a_plugged_device_keeps_its_name_while_its_twin_comes_and_goes():
    a, b = "Keys:Keys MIDI 1 20:0", "Keys:Keys MIDI 1 24:0"
    names = assign_names([a, b], {})
    # a is pulled out: b stays keys-2 rather than taking the freed name.
    assert assign_names([b], {b: names[b]}) == {b: "keys-2"}
    # a comes back (ALSA may give it another number): it gets keys again.
    again = "Keys:Keys MIDI 1 28:0"
    assert assign_names([b, again], {b: "keys-2"}) == {b: "keys-2", again: "keys"}


def test_a_replugged_port_gets_its_old_name_back_when_free():
    a, b = "Keys:Keys MIDI 1 20:0", "Keys:Keys MIDI 1 24:0"
    remembered = {a: "keys", b: "keys-2"}
    # Both pulled out; b comes back first, on the same port: still keys-2.
    assert assign_names([b], {}, remembered) == {b: "keys-2"}
    # Its name is taken by a device that stayed: the next free one instead.
    c = "Keys:Keys MIDI 1 28:0"
    assert assign_names([c, b], {c: "keys-2"}, remembered) == {c: "keys-2", b: "keys"}


def test_a_remembered_name_never_passes_to_another_kind_of_device():
    # JACK reuses a port string for whatever is plugged next.
    port = "RtMidiOut Client:keys"
    assert assign_names(["RtMidiOut Client:pads"], {}, {port: "keys"}) == {
        "RtMidiOut Client:pads": "pads"
    }
    assert assign_names([port], {}, {port: "keys-3"}) == {port: "keys-3"}
    assert assign_names([port], {}, {port: "drums"}) == {port: "keys"}


def test_names_come_in_the_order_the_ports_are_listed():
    ports = ["RtMidiOut Client:keys", "RtMidiOut Client-01:keys", "RtMidiOut Client-02:keys"]
    assert list(assign_names(ports, {}).values()) == ["keys", "keys-2", "keys-3"]
