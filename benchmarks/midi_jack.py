"""What the MIDI benchmarks share: a JACK server, a device that sends, the timed notes.

The benchmarks send real MIDI through a dummy JACK server (no sound card, no
ALSA sequencer on the build machine): the "device" is a python-rtmidi
virtual output port, which the box opens as it would a USB keyboard.

JACK delivers MIDI once per period: a message sent between two cycles waits
for the next. That wait is JACK's, not the box's (on the Pi the ALSA
sequencer hands an event over as it arrives), so the latency benches run
JACK with :data:`LATENCY_PERIOD_FRAMES` (0.33 ms at 48 kHz), and both lines
of a comparison (box and bare bridge) cross the same JACK. With the tests'
128-frame period, every sample would carry 1-2.7 ms of JACK.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from queue import Empty, SimpleQueue
from time import perf_counter

import mido
import rtmidi

from appliance.inputs.midi_backend import MidoBackend, OnBytes, OpenPort
from benchmarks.presser import GAP_S, STUCK_S, progress

#: JACK's period for the latency benches: 16 frames, 0.33 ms at 48 kHz.
LATENCY_PERIOD_FRAMES = 16
#: For the flood: 32 frames (0.67 ms). At 16, this machine's JACK itself
#: mangles a sustained 5,000 messages a second (46 of 25,000 copied or lost
#: in one run, with late cycles); at 32 and 64, none in 25,000, run after run.
FLOOD_PERIOD_FRAMES = 32
#: The tests' period (2.7 ms): what the idle bench runs with, as the tests do.
TEST_PERIOD_FRAMES = 128
SAMPLE_RATE = 48_000
JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"
START_TIMEOUT_S = 10
#: The device's port; the box names it midi:bench.
DEVICE = "bench"
NOTE_ON, NOTE_OFF = 0x90, 0x80


class NoJack(RuntimeError):
    """jackd is not installed or would not start."""


_registry_checked = False


def _forget_dead_servers() -> None:
    """JACK 1.9.21 never takes back the registry place of a server that did not
    stop cleanly, and after a few no server starts ("Too many servers already
    active"). With no jackd running, the registry holds only the dead: remove
    it, once, before this process's JACK library attaches to it (the tests do
    the same: tests/inputs/jack_server.py)."""
    global _registry_checked
    if _registry_checked:
        return
    _registry_checked = True
    running = subprocess.run(["pgrep", "-x", "jackd"], capture_output=True, check=False)
    if running.returncode == 0:
        return
    shm = Path("/dev/shm")
    for entry in shm.glob("jack[-_]*") if shm.is_dir() else []:
        if entry.is_file():
            entry.unlink(missing_ok=True)


@contextmanager
def jack_midi(period: int = LATENCY_PERIOD_FRAMES) -> Iterator[str]:
    """A dummy JACK server of its own, and mido on it; yields mido's backend name."""
    jackd, jack_wait = shutil.which("jackd"), shutil.which("jack_wait")
    if jackd is None or jack_wait is None:
        raise NoJack("jackd is not installed (make test installs jackd2)")
    name = f"tonic-bench-{os.getpid()}"
    _forget_dead_servers()
    # -S, JACK's synchronous mode: see tests/inputs/jack_server.py for what the
    # default asynchronous mode does to a busy client's MIDI.
    args = [jackd, "-n", name, "-S", "-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(period)]
    previous_server, previous_backend = os.environ.get("JACK_DEFAULT_SERVER"), mido.backend
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        try:
            ready = subprocess.run(
                [jack_wait, "-s", name, "-w", "-t", str(START_TIMEOUT_S)],
                capture_output=True,
                check=False,
            )
            if ready.returncode != 0 or process.poll() is not None:
                log.seek(0)
                raise NoJack(f"jackd did not start: {log.read()[-300:]}")
            os.environ["JACK_DEFAULT_SERVER"] = name
            mido.set_backend(JACK_BACKEND)
            progress(f"  JACK: dummy driver, {period} frames at {SAMPLE_RATE} Hz")
            yield JACK_BACKEND
        finally:
            mido.set_backend(previous_backend)
            if previous_server is None:
                os.environ.pop("JACK_DEFAULT_SERVER", None)
            else:
                os.environ["JACK_DEFAULT_SERVER"] = previous_server
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.seek(0)
            xruns = log.read().count("was not finished")
            progress(f"  JACK: {xruns} late client cycles reported")


class Device:
    """A MIDI device on JACK: a virtual output port that sends raw bytes."""

    def __init__(self, name: str = DEVICE) -> None:
        self._out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK)
        self._out.open_virtual_port(name)
        self.send = self._out.send_message
        self.port = f"RtMidiOut Client:{name}"

    def close(self) -> None:
        self._out.close_port()
        self._out.delete()


class ArrivalStamps:
    """A :class:`PortBackend` around the real one that stamps each note-on as the
    port's callback is entered: where JACK hands it to the box. One extra call
    frame in the measured window, as :class:`~benchmarks.presser.TimedSynth` adds."""

    def __init__(self, inner: MidoBackend) -> None:
        self.inner = inner
        self.name = inner.name
        self.note_ons: SimpleQueue[float] = SimpleQueue()

    def input_names(self) -> list[str]:
        return self.inner.input_names()

    def open_input(self, name: str, on_bytes: OnBytes) -> OpenPort:
        put = self.note_ons.put

        def stamped(data: list[int]) -> None:
            if len(data) == 3 and data[0] & 0xF0 == NOTE_ON and data[2]:
                put(perf_counter())
            on_bytes(data)

        return self.inner.open_input(name, stamped)

    def close(self) -> None:
        self.inner.close()


def play_notes(
    device: Device,
    note_ons: SimpleQueue[float],
    note_offs: SimpleQueue[float],
    notes: int,
    warmup: int,
    *,
    label: str,
    observe: Callable[[], None] = lambda: None,
) -> tuple[list[float], list[float]]:
    """Play ``warmup + notes`` notes one at a time; the latency of each kept one.

    ``t0`` is taken just before the note-on is sent into JACK, ``t1`` comes
    from ``note_ons`` (the timed synth's note-on). Returns the latencies and
    the ``t0`` of each, so other stamps of the same notes can be lined up.
    """
    pitches = (60, 62, 64, 65, 67, 69, 71, 72)
    latencies: list[float] = []
    starts: list[float] = []
    for i in range(warmup + notes):
        note = pitches[i % len(pitches)]
        t0 = perf_counter()
        device.send([NOTE_ON, note, 100])
        try:
            t1 = note_ons.get(timeout=STUCK_S)
        except Empty:
            raise RuntimeError(f"{label}: note {i} never reached the synth") from None
        device.send([NOTE_OFF, note, 0])
        try:
            note_offs.get(timeout=STUCK_S)
        except Empty:
            raise RuntimeError(f"{label}: the note-off of note {i} never came") from None
        if i >= warmup:
            latencies.append(t1 - t0)
            starts.append(t0)
        if i % 100 == 0:
            observe()
        if i and i % 2000 == 0:
            progress(f"  {label}: {i} notes")
        time.sleep(random.uniform(*GAP_S))
    return latencies, starts


def since(stamps: SimpleQueue[float], starts: list[float], warmup: int) -> list[float]:
    """Each kept note's stamp from ``stamps`` less its ``t0`` (the warm-up's are skipped)."""
    values = []
    while True:
        try:
            values.append(stamps.get_nowait())
        except Empty:
            break
    kept = values[warmup : warmup + len(starts)]
    return [t - t0 for t, t0 in zip(kept, starts, strict=True)]
