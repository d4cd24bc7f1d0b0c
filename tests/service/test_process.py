"""``tonic run --simulate`` as systemd runs it: its own process, a notify socket, signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from service.harness import HANG_S, Stream

from appliance.control.client import ControlClient


@pytest.fixture
def run(tmp_path):
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(HANG_S)
    sock = str(tmp_path / "c.sock")
    procs = []

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "appliance",
                "run",
                "--simulate",
                "--data-dir",
                str(tmp_path / "data"),
                "--socket",
                sock,
            ],
            env=dict(os.environ, NOTIFY_SOCKET=notify_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        procs.append(proc)
        while not notify.recv(4096).startswith(b"READY=1"):
            pass
        return proc

    start.notify = notify
    start.sock = sock
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    notify.close()


def test_sigterm_releases_every_held_note_and_exits_0(run):
    proc = run()
    stream = Stream(run.sock)
    with ControlClient(run.sock) as c:
        c.call("set", {"switch:1.mode": "latch", "switch:2.mode": "chord"})
        c.call("simulate.press", {"input": "switch:1"})
        c.call("simulate.release", {"input": "switch:1"})
        c.call("simulate.press", {"input": "switch:2"})  # held down
        stream.until(lambda e: e["event"] == "note_on" and e["input"] == "switch:2")
        assert c.call("status")["notes_sounding"] == 4  # one latched note and a chord
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(HANG_S) == 0
    sounding: set[tuple[int, int]] = set()
    for e in stream.ended():
        if e["event"] == "note_on":
            sounding.add((e["channel"], e["note"]))
        elif e["event"] == "note_off":
            sounding.discard((e["channel"], e["note"]))
    assert sounding == set()
    assert "Traceback" not in proc.stdout.read()


def test_ready_once_then_status_lines_and_a_clean_hup(run):
    proc = run()
    with ControlClient(run.sock) as c:
        c.call("profile.load", {"name": "First steps"})
    messages = []
    run.notify.settimeout(HANG_S)
    while not any("First steps" in m for m in messages):
        messages.append(run.notify.recv(4096).decode())
    proc.send_signal(signal.SIGHUP)
    while "READY=1" not in messages[-1]:
        messages.append(run.notify.recv(4096).decode())
    assert "RELOADING=1" in messages
    assert sum(m.startswith("READY=1\nSTATUS=") for m in messages) == 0  # READY came once, before
    proc.send_signal(signal.SIGUSR1)  # stacks to the log
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(HANG_S) == 0
    log = proc.stdout.read()
    assert "tonic-engine" in log and "Traceback" not in log


def test_ctl_drives_the_service_and_a_saved_change_survives_a_restart(run):
    proc = run()

    def ctl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "appliance", "ctl", "--socket", run.sock, *args],
            capture_output=True,
            text=True,
            timeout=HANG_S * 3,
        )

    assert ctl("profile.load", "name=Pentatonic pads").returncode == 0
    assert ctl("set", "key=D", "pad:1.instrument=koto").returncode == 0
    bad = ctl("set", "key=H#")
    assert bad.returncode != 0 and "H#" in bad.stderr and "Traceback" not in bad.stderr
    assert ctl("profile.save").returncode == 0
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(HANG_S) == 0

    run()
    status = json.loads(ctl("--json", "status").stdout)
    assert (status["profile"], status["key"]) == ("Pentatonic pads", "D")
    assert next(i for i in status["inputs"] if i["id"] == "pad:1")["instrument"] == "Koto"


def test_service_restart_exits_for_systemd_to_start_it_again(run):
    proc = run()
    with ControlClient(run.sock) as c:
        assert c.call("service.restart") == {"restarting": True}
    assert proc.wait(HANG_S) == 75  # RestartForceExitStatus=75 in services/tonic.service


def test_a_box_started_by_the_setup_ui_stops_when_the_ui_dies(tmp_path):
    # tonic setup --simulate names itself in TONIC_STOP_WITH_PARENT; here a
    # stand-in parent starts the box, says its pid once it is ready, and is
    # then killed outright, as a crash or a lost terminal would end it.
    sock = tmp_path / "c.sock"
    parent_code = f"""
import os, subprocess, sys
from appliance.control.client import ControlClient
env = dict(os.environ, TONIC_STOP_WITH_PARENT=str(os.getpid()))
box = subprocess.Popen(
    [sys.executable, "-m", "appliance", "run", "--simulate",
     "--data-dir", {str(tmp_path / "data")!r}, "--socket", {str(sock)!r}],
    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        with ControlClient({str(sock)!r}) as c:
            c.call("status")
        break
    except OSError:
        if box.poll() is not None:
            sys.exit("the box did not start")
print(box.pid, flush=True)
box.wait()
"""
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    box_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    # The kernel sends the box SIGTERM, and it stops as on any SIGTERM.
    stopped = threading.Event()
    for _ in range(int(HANG_S / 0.05)):
        if not _running(box_pid):
            break
        stopped.wait(0.05)
    assert not _running(box_pid), "the box outlived the setup UI that started it"


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited child nobody reaped is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
