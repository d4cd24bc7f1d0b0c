"""``tonic setup`` in the plain terminals a therapist may SSH from: 16 colours, or none."""

from __future__ import annotations

import os

import pytest
from tui.harness import TONIC
from tui.test_terminal import Terminal, scratch  # noqa: F401  # scratch is a fixture

# xterm-256color is tests/tui/test_terminal.py's; these are the plainer ones.
PLAIN_TERMINALS = ["screen", "linux", "vt100"]


@pytest.mark.parametrize("term", PLAIN_TERMINALS)
def test_the_dashboard_draws_and_answers_in_a_plain_terminal(term, tmp_path, scratch):  # noqa: F811
    terminal = Terminal(f"tonic-term-{term}-{os.getpid()}")
    command = " ".join([*TONIC, "setup", "--simulate"])
    env = f"TERM={term} XDG_STATE_HOME={tmp_path / 'state'} TMPDIR={scratch}"
    terminal.tmux("new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", f"{env} {command}")
    log = tmp_path / "state" / "tonic" / "setup.log"
    try:
        screen = terminal.until(lambda s: "Switch 4" in s and "Connected" in s, "the dashboard")
        assert "Panic" in screen
        terminal.keys("1")
        terminal.until(lambda s: "C4" in s, "switch 1's note")
        terminal.key_until("F2", lambda s: "accept" in s.lower(), "the Inputs screen")
    except AssertionError as e:
        # Say whether the UI was still running, and what it logged, so a
        # failure on a loaded machine tells its own story.
        told = log.read_text()[-2000:] if log.exists() else "(no setup.log)"
        raise AssertionError(f"{e}\nUI still running: {terminal.running()}\n{told}") from None
    finally:
        terminal.tmux("kill-server")
    assert "Traceback" not in (log.read_text() if log.exists() else "")
