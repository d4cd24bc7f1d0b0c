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

import contextlib
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
    _forget_dead_servers()
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


#: JACK keeps its servers in a registry in shared memory, and a server that did
#: not stop cleanly (killed, or the machine's tests cut short) stays in it: JACK
#: 1.9.21 never takes the place back, and after a few the next server refuses
#: to start ("Too many servers already active").
SHM = "/dev/shm"
REGISTRY = "jack-shm-registry"


_registry_checked = False


def _forget_dead_servers() -> None:
    """With no jackd running on this machine, JACK's registry holds only the dead:
    remove it (and their semaphores), and the new server starts a fresh one.

    Once per test run, before this process's JACK library has attached to the
    registry: removed under it, the library would no longer find any server.
    """
    global _registry_checked
    if _registry_checked:
        return
    _registry_checked = True
    if _jackd_running():
        return
    for entry in os.listdir(SHM) if os.path.isdir(SHM) else []:
        if entry == REGISTRY or entry.startswith(("jack_sem.", "jack-")):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(SHM, entry))


def _jackd_running() -> bool:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as comm:
                    if comm.read().strip() in ("jackd", "jackdmp"):
                        return True
            except OSError:
                continue
    return False


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
