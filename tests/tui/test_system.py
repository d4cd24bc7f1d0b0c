"""The System screen against a real box (``tonic run --simulate``), and its look."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button
from tui.harness import HANG_S, TONIC, FixedLink, screen_text, until
from tui.test_terminal import Terminal

from appliance.tui.app import SetupApp
from appliance.tui.link import NOT_RUNNING, Link
from appliance.tui.screens.sound import KEYS
from appliance.tui.screens.system import (
    MIDI,
    SOUNDFONT_UNKNOWN,
    Check,
    DoctorFailed,
    SystemScreen,
    Verdict,
    doctor_command,
    run_doctor,
)
from appliance.tui.widgets.dialogs import Confirm
from appliance.tui.widgets.words import Words


async def system_screen(pilot) -> SystemScreen:
    app = pilot.app
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f6")
    await until(pilot, lambda: isinstance(app.screen, SystemScreen), "the System screen")
    return app.screen


#: Longer than a Textual Button's 0.2 s guard against a double press.
BUTTON_REPEAT_S = 0.3


async def confirm(pilot) -> None:
    """Say yes to the question shown (the safe answer, Cancel, has the focus)."""
    await until(pilot, lambda: isinstance(pilot.app.screen, Confirm), "the question")
    await pilot.press("shift+tab", "enter")


# -- against a real box ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_checks_show_each_doctor_line_and_name_the_soundfont(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await system_screen(pilot)
        text = screen_text(app)
        assert SOUNDFONT_UNKNOWN in text and MIDI in text
        facts = screen.query_one("#system-facts", Words).text
        assert f"Data folder (profiles): {box.folder / 'data'}" in facts
        assert "Sound card: alsa default" in text
        assert screen.query_one("#doctor", Button).has_focus
        await pilot.press("enter")
        await until(pilot, lambda: screen.checks, "doctor's lines")
        assert {c.name for c in screen.checks} >= {"audio", "soundfont", "socket"}
        socket = next(c for c in screen.checks if c.name == "socket")
        assert socket.verdict is Verdict.OK and box.sock in socket.said  # the UI's own box
        first = screen.checks[0]
        # The lines are drawn a refresh after the checks arrive (later on a busy machine).
        line = f"{first.verdict:<5}{first.name}"
        await until(pilot, lambda: line in screen_text(app), "the doctor's first line drawn")
        text = screen_text(app)
        assert "tonic doctor:" in text  # a summary, then the lines (the list scrolls)
        assert SOUNDFONT_UNKNOWN not in text
        assert "Soundfont: " in text
    assert app.errors == 0


@pytest.mark.asyncio
async def test_shutting_down_a_simulated_box_shows_its_refusal(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await system_screen(pilot)
        await pilot.click("#shutdown")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "asked first")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SystemScreen), "back, nothing done")
        app.screen.query_one("#shutdown").focus()
        # A Textual Button ignores a second press within 0.2 s of the first (the
        # click above): let that pass, or the Enter is dropped.
        await pilot.pause(BUTTON_REPEAT_S)
        await pilot.press("enter")
        await confirm(pilot)
        await until(
            pilot, lambda: "this is a simulated box" in screen_text(app), "the box's refusal"
        )
        assert box.proc is not None and box.proc.poll() is None  # still running
        assert app.online


@pytest.mark.asyncio
async def test_restarting_the_service_stops_it_and_the_screen_reconnects(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await system_screen(pilot)
        screen.query_one("#restart").focus()
        await pilot.press("enter")
        await confirm(pilot)
        assert box.proc is not None
        await until(pilot, lambda: box.proc.poll() is not None, "the service stopped")
        assert box.proc.returncode == 75  # the unit (or tonic setup) starts it again
        await until(pilot, lambda: NOT_RUNNING in screen_text(app), "the banner says so")
        box.start()  # as systemd would
        await until(pilot, lambda: app.online, "reconnected by itself")
        assert "restarting" in screen_text(app)
    assert app.errors == 0


# -- tonic doctor's lines ------------------------------------------------------------------------


def test_a_doctor_line_is_read_as_its_verdict_name_and_words():
    check = Check.parse("WARN audio     no ALSA in this kernel: the box runs silent")
    assert check == Check(Verdict.WARN, "audio", "no ALSA in this kernel: the box runs silent")
    assert Check.parse("something else") == Check(None, "", "something else")
    coloured = [(s.start, s.end, s.style) for s in check.text().spans if s.style == "yellow"]
    assert coloured == [(0, 5, "yellow")]  # the verdict alone: the words stay plain


def test_a_doctor_that_cannot_run_or_says_nothing_is_one_line():
    with pytest.raises(DoctorFailed, match="could not start"):
        run_doctor(["/no/such/program"])
    with pytest.raises(DoctorFailed, match="said nothing: oops"):
        run_doctor([sys.executable, "-c", "import sys; sys.exit('oops')"])
    with pytest.raises(DoctorFailed, match="did not finish"):
        run_doctor([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.1)


def test_doctor_asks_about_the_box_this_ui_talks_to():
    command = doctor_command("/tmp/c.sock", "/data")
    assert command[:4] == [sys.executable, "-m", "appliance", "doctor"]
    assert command[4:] == ["--socket", "/tmp/c.sock", "--data-dir", "/data"]
    assert doctor_command(None, None)[4:] == []


# -- its look ---------------------------------------------------------------------------------

STATUS: dict[str, Any] = {
    "profile": "Sam, Tuesdays",
    "unsaved": False,
    "audio": {
        "state": "playing",
        "reason": "",
        "device": "hw:CARD=Headphones",
        "period_size": 64,
        "periods": 3,
        "latency_ms": 4.0,
    },
    "data_dir": "/var/lib/tonic",
    "inputs": [],
}


async def _shown(pilot) -> None:
    await pilot.press("f6")
    await until(pilot, lambda: "/var/lib/tonic" in screen_text(pilot.app), "the facts")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_system_screen(snap_compare, size):
    assert snap_compare(SetupApp(FixedLink(STATUS)), terminal_size=size, run_before=_shown)


# -- a real terminal: Sound, Profiles and System with the keyboard alone ---------------------


@pytest.fixture
def setup_terminal(tmp_path) -> Iterator[tuple[Terminal, Path]]:
    """``tonic setup --simulate`` in a private tmux server at 80x24; its temp folder."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    scratch = Path(tempfile.mkdtemp(prefix="tt-"))  # short: a socket path has 108 bytes
    term = Terminal(f"tonic-screens-{os.getpid()}")
    env = f"TERM=xterm-256color XDG_STATE_HOME={tmp_path / 'state'} TMPDIR={scratch}"
    command = " ".join([*TONIC, "setup", "--simulate"])
    term.tmux("new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", f"{env} {command}")
    yield term, scratch
    term.tmux("kill-server")
    shutil.rmtree(scratch, ignore_errors=True)


#: Tries at choosing from a list in the terminal test before it fails.
KEY_TRIES = 4


def ctl_status(scratch: Path) -> dict[str, Any]:
    """``tonic ctl --json status`` of the box ``tonic setup --simulate`` started."""
    sock = next(scratch.glob("tonic-setup-*/control.sock"))
    out = subprocess.run(
        [*TONIC, "ctl", "--socket", str(sock), "--json", "status"],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        check=True,
    )
    return json.loads(out.stdout)


def choose_key(terminal: Terminal, key: str) -> None:
    """Choose ``key`` from the Sound screen's list with the arrow keys, as a person
    would, looking again after each try: on a loaded machine a terminal may
    deliver an arrow's bytes far enough apart to read as Esc (closing the list)."""
    for _ in range(KEY_TRIES):
        shown = terminal.until(lambda s: "Notes in " in s, "the key shown")
        now = shown.split("Notes in ", 1)[1].split(" ", 1)[0]
        if now == key:
            return
        moves = KEYS.index(key) - KEYS.index(now)
        terminal.key_until("Enter", lambda s: "Ab" in s and "Eb" in s, "the key's list open")
        terminal.keys(*(["Down"] * moves if moves > 0 else ["Up"] * -moves), "Enter")
        terminal.until(lambda s: "Ab" not in s or "Eb" not in s, "the key's list closed")
    raise AssertionError(f"could not choose {key}")


def test_each_screen_does_its_main_task_with_the_keyboard_in_a_real_terminal(setup_terminal):
    terminal, scratch = setup_terminal
    terminal.until(lambda s: "Connected" in s and "F6 System" in s, "the dashboard")

    terminal.key_until("F4", lambda s: "Notes in C major pentatonic" in s, "the Sound screen")
    choose_key(terminal, "G")
    terminal.until(lambda s: "Notes in G major pentatonic: G A B D E" in s, "G chosen")
    assert ctl_status(scratch)["key"] == "G"

    terminal.key_until(
        "F5", lambda s: "▶ Default" in s and "Calm space" in s, "the Profiles screen"
    )
    terminal.keys("Up", "Enter")  # from the profile playing, one up: Calm space
    terminal.until(lambda s: "Load Calm space?" in s, "asked: the new key is not saved")
    terminal.keys("BTab", "Enter")
    terminal.until(lambda s: "Playing now: Calm space" in s, "Calm space loaded")
    status = ctl_status(scratch)
    assert status["profile"] == "Calm space" and status["unsaved"] is False

    terminal.key_until("F6", lambda s: "Run the checks" in s, "the System screen")
    terminal.keys("Enter")
    screen = terminal.until(lambda s: "tonic doctor:" in s, "doctor's results")
    assert any(line.lstrip().startswith(("OK ", "WARN ", "FAIL ")) for line in screen.splitlines())
    assert "Traceback" not in screen

    log = next(scratch.glob("tonic-setup-*/service.log"))
    assert log.read_text().count("ready: playing") == 1
    terminal.keys("Tab", "Enter")  # Restart the service…
    terminal.until(lambda s: "Restart the Tonic service?" in s, "asked first")
    terminal.keys("BTab", "Enter")
    terminal.until(lambda s: "The service is restarting" in s, "restarting")
    terminal.until(lambda s: log.read_text().count("ready: playing") == 2, "started again")
    terminal.until(lambda s: 'Connected to the simulated box: playing "Calm space"' in s, "back")
    assert ctl_status(scratch)["profile"] == "Calm space"
