"""``tonic setup --simulate`` in a real terminal: tmux at 80x24, keys sent, the screen read."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tui.harness import HANG_S, TONIC

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


#: How often, and how long apart, a function key is pressed before a test gives up.
KEY_PRESSES = 4
KEY_WAIT_S = 10.0


class Terminal:
    """A private tmux server (``-L``) running one command; only this server is ever killed."""

    def __init__(self, name: str) -> None:
        self.server = name

    def tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.server, *args], capture_output=True, text=True, timeout=HANG_S
        )
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "ui")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "ui", *keys)

    def until(self, want: Callable[[str], bool], what: str, limit: float = HANG_S) -> str:
        """The screen once ``want(screen)``; fails (naming ``what``) only on a hang."""
        deadline = time.monotonic() + limit
        while True:
            screen = self.screen()
            if want(screen):
                return screen
            assert "Traceback" not in screen, screen
            assert time.monotonic() < deadline, f"never happened: {what}\n{screen}"
            time.sleep(0.1)

    def key_until(self, key: str, want: Callable[[str], bool], what: str) -> str:
        """Press ``key`` until ``want(screen)``, as a person presses a key again.

        A function key is several bytes; on a loaded machine a terminal may deliver
        them far enough apart to read as Esc and letters, and the key is lost.
        """
        for _ in range(KEY_PRESSES):
            self.keys(key)
            try:
                return self.until(want, what, KEY_WAIT_S)
            except AssertionError:
                continue
        return self.until(want, what)

    def running(self) -> bool:
        return (
            subprocess.run(["tmux", "-L", self.server, "has-session", "-t", "ui"]).returncode == 0
        )


@pytest.fixture
def scratch() -> Iterator[Path]:
    """The UI's temp folder: short, as a socket path must be (108 bytes at most)."""
    folder = Path(tempfile.mkdtemp(prefix="tt-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def terminal(tmp_path, scratch) -> Iterator[Terminal]:
    term = Terminal(f"tonic-test-{os.getpid()}")
    command = " ".join([*TONIC, "setup", "--simulate"])
    env = f"TERM=xterm-256color XDG_STATE_HOME={tmp_path / 'state'} TMPDIR={scratch}"
    term.tmux("new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", f"{env} {command}")
    yield term
    term.tmux("kill-server")


def test_the_dashboard_in_a_real_terminal_answers_the_keyboard(terminal, tmp_path, scratch):
    screen = terminal.until(lambda s: "Switch 4" in s and "Connected" in s, "the dashboard")
    assert "Panic" in screen
    assert "Simulated: 1-4 switches" in screen
    terminal.keys("1")
    screen = terminal.until(lambda s: "Switch 1  ●" in s, "switch 1 lit")
    assert "Switch 2  ○" in screen
    terminal.until(lambda s: "Switch 1  ○" in s, "switch 1 released after the tap")
    terminal.keys("Up")
    terminal.until(lambda s: "Beam 1   50 cm" in s, "the hand in the beam")
    terminal.keys("Up")
    terminal.until(lambda s: "Beam 1   52 cm" in s or "Beam 1   53 cm" in s, "a step further")
    terminal.keys("0")
    terminal.until(lambda s: "Beam 1   no hand" in s, "the hand taken away")
    terminal.keys("F12")
    terminal.until(lambda s: "Every note is off" in s, "the panic notification")
    assert list(scratch.iterdir()) != []  # the simulated box's folder
    terminal.keys("C-q")
    deadline = time.monotonic() + HANG_S
    while terminal.running():  # the UI exits once it has stopped its box
        assert time.monotonic() < deadline, terminal.screen()
        time.sleep(0.1)
    assert list(scratch.iterdir()) == []  # the box stopped and its folder removed
    log = tmp_path / "state" / "tonic" / "setup.log"
    assert "Traceback" not in (log.read_text() if log.exists() else "")
