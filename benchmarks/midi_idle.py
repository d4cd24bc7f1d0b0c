"""The idle box with two MIDI devices plugged in and silent (``idle midi_cpu_percent``).

The devices are two virtual JACK ports in a process of their own, so their
threads are not counted against the box. The box opens both, and then
nothing happens: what it spends is its port watcher (one look at the port
list a second) and RtMidi's JACK clients.

A JACK client is woken every period whether MIDI comes or not, and RtMidi
opens one per port (the box lists ports through them while one is open). At
the tests' 128 frames that is 375 wake-ups a second per client, about 0.4 %
CPU each on the build machine with no box at all: JACK's cost, which the
Pi's ALSA sequencer does not have (an RtMidi input there sleeps until an
event comes). So the judged figure is taken with :data:`JUDGED_PERIOD_FRAMES`
(21 ms periods), and the 128-frame figure is shown beside it; each comes
with :func:`jack_clients_percent`, the same two clients alone, with no box.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import rtmidi

from benchmarks.midi_jack import TEST_PERIOD_FRAMES, jack_midi
from benchmarks.presser import progress

DEVICES = ("keys", "pads")
#: JACK's period for the judged figure: 1024 frames, 21 ms, 47 wake-ups a second.
JUDGED_PERIOD_FRAMES = 1024
#: Both periods measured, the judged one first.
PERIODS = (JUDGED_PERIOD_FRAMES, TEST_PERIOD_FRAMES)
#: The devices' process: opens the ports, says so, and waits to be ended.
_DEVICES_SCRIPT = f"""
import sys, rtmidi
ports = []
for name in {DEVICES!r}:
    out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK)
    out.open_virtual_port(name)
    ports.append(out)
print("ready", flush=True)
sys.stdin.read()
"""
READY_TIMEOUT_S = 10.0


@contextmanager
def silent_devices(period: int) -> Iterator[None]:
    """A JACK server with ``period`` frames, with :data:`DEVICES` plugged in and silent."""
    with jack_midi(period):
        process = subprocess.Popen(
            [sys.executable, "-c", _DEVICES_SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("the devices' process did not open its ports")
            yield
        finally:
            process.kill()
            process.wait(READY_TIMEOUT_S)


def jack_clients_percent(seconds: float) -> float:
    """The CPU of RtMidi's JACK clients alone, one per device, with no box."""
    inputs = []
    try:
        for name in DEVICES:
            midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK)
            midi_in.open_port(midi_in.get_ports().index(_port(name)))
            midi_in.set_callback(lambda message, data: None)
            inputs.append(midi_in)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(seconds)
        cpu1, wall1 = time.process_time(), time.perf_counter()
    finally:
        for midi_in in inputs:
            midi_in.close_port()
            midi_in.delete()
    percent = 100.0 * (cpu1 - cpu0) / (wall1 - wall0)
    progress(f"  idle_cpu: RtMidi's JACK clients alone, no box: {percent:.3f} % CPU")
    return percent


def _port(name: str) -> str:
    """The name the box sees each device's port by (JACK numbers the second client)."""
    index = DEVICES.index(name)
    return f"RtMidiOut Client{f'-{index:02d}' if index else ''}:{name}"
