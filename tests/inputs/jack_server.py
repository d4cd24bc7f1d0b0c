"""A JACK server with the dummy driver, so MIDI tests use real python-rtmidi ports.

No sound card and no ALSA sequencer are needed: ``jackd -d dummy`` runs a
JACK graph on a timer, and RtMidi's JACK API opens real MIDI ports on it.
A virtual output port created by the test (``mido.open_output('keys',
virtual=True)``) is, to the box, a device plugged in; closing it, the device
pulled out.

Each test session runs its own server under its own name, so two test runs
on one machine never share one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

#: The command from the issue (48 kHz, 128-frame periods of 2.7 ms), in JACK's
#: synchronous mode (-S): the server waits for every client to finish a cycle
#: before it starts the next. Measured here in JACK2's default asynchronous
#: mode, a python-rtmidi input given 25,000 paced messages got one as a copy
#: of the message before it (at the same point, run after run), and a
#: callback slower than a period lost messages; with -S, all 25,000 came
#: through intact, run after run.
JACKD_ARGS = ("-S", "-d", "dummy", "-r", "48000", "-p", "128")
#: How long jackd may take to come up before the tests skip (it takes ~0.2 s).
START_TIMEOUT_S = 10
STOP_TIMEOUT_S = 5
#: mido's backend for python-rtmidi on JACK.
JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"


class JackUnavailable(Exception):
    """jackd is missing or would not start here; the message says why."""


@contextmanager
def jack_server() -> Iterator[str]:
    """Run a dummy JACK server; yields its name, with ``JACK_DEFAULT_SERVER`` set to it."""
    jackd, jack_wait = shutil.which("jackd"), shutil.which("jack_wait")
    if jackd is None or jack_wait is None:
        raise JackUnavailable("jackd is not installed (the Makefile's TEST_APT_PACKAGES: jackd2)")
    name = f"tonic-test-{os.getpid()}"
    # A file, not a pipe: a pipe nobody reads would fill and stall the server.
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [jackd, "-n", name, *JACKD_ARGS], stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            _wait_until_ready(process, name, jack_wait, log)
            with _environ("JACK_DEFAULT_SERVER", name):
                yield name
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_ready(process: subprocess.Popen, name: str, jack_wait: str, log: IO[str]) -> None:
    ready = subprocess.run(
        [jack_wait, "-s", name, "-w", "-t", str(START_TIMEOUT_S)],
        capture_output=True,
        text=True,
        check=False,
    )
    if process.poll() is None and ready.returncode == 0:
        return
    process.kill()
    process.wait()
    log.seek(0)
    raise JackUnavailable(f"jackd -d dummy did not start: {log.read().strip()[-300:]}")


@contextmanager
def _environ(key: str, value: str) -> Iterator[None]:
    previous = os.environ.get(key)
    os.environ[key] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous
