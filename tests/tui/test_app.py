"""The app's guard: a bug is one line and a traceback in the log, never Textual's crash dump."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui.harness import HANG_S

from appliance.tui.app import BrokenScreen, _factory
from appliance.tui.screens import ScreenEntry


def test_a_bug_closes_the_ui_with_one_line_and_logs_the_traceback(tmp_path):
    """In a real terminal: Textual's crash dump never shows; the log has the traceback."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    log = tmp_path / "setup.log"
    server = f"tonic-bug-{os.getpid()}"
    script = Path(__file__).with_name("buggy_setup.py")
    command = f"TERM=xterm-256color {sys.executable} {script} {log}; echo EXIT=$?; sleep {HANG_S}"
    tmux = ["tmux", "-L", server]
    subprocess.run([*tmux, "new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", command])
    try:
        screen = ""
        deadline = time.monotonic() + HANG_S
        while "Switch 4" not in screen:
            assert time.monotonic() < deadline, screen
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
        subprocess.run([*tmux, "send-keys", "-t", "ui", "x"])
        while "EXIT=" not in screen:
            assert time.monotonic() < deadline, screen
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p"], capture_output=True, text=True
            ).stdout
    finally:
        subprocess.run([*tmux, "kill-server"])
    said = " ".join(screen.split())
    assert f"tonic setup stopped: ZeroDivisionError: a bug in a screen (details in {log})" in said
    assert "EXIT=1" in said
    assert "Traceback" not in screen
    assert "Traceback" in log.read_text() and "a bug in a screen" in log.read_text()


def test_a_screen_that_cannot_load_is_one_line_not_a_crash():
    entry = ScreenEntry("inputs", "f2", "Inputs", "appliance.tui.screens.no_such_screen", "X")
    screen = _factory(entry)()
    assert isinstance(screen, BrokenScreen)
    assert screen.line.startswith("The Inputs screen could not open: ModuleNotFoundError")
    assert "\n" not in screen.line
