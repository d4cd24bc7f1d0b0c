"""System: the box itself. Sound card, soundfont, MIDI, the checks; restart; shut down.

The facts come from ``status`` (audio device and buffer, the data folder).
``tonic doctor`` is run here, in a subprocess of this UI on a thread worker,
against the same socket the UI uses: each of its OK / WARN / FAIL lines is
shown in its colour, and its soundfont line names the soundfont, which the
status does not carry.

Restarting the service stops the music for a moment; the link reconnects by
itself when the service is back. Shutting down asks the box to power off; a
simulated box refuses, and its words are shown here.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Static

from appliance.errors import TonicError
from appliance.tui.link import BoxEvent, Connected, Disconnected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.screens.calls import call, in_thread
from appliance.tui.view import audio_line
from appliance.tui.widgets.dialogs import Confirm
from appliance.tui.widgets.words import Words

#: Bounds a doctor that hangs; its checks take well under a second.
DOCTOR_TIMEOUT_S = 60.0
INTRO = "The box itself: its sound, its checks. Restart or shut down safely from here."
MIDI = "MIDI: no MIDI devices yet (USB-MIDI comes with a later issue)"
SOUNDFONT_UNKNOWN = "Soundfont: see tonic doctor (Run the checks)"
DOCTOR_WAITING = "Run the checks to see what tonic doctor finds: sound card, sensors, space."
DOCTOR_RUNNING = "Running tonic doctor…"


class Verdict(StrEnum):
    """The first word of a ``tonic doctor`` line."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


#: Colours that exist on 16-colour terminals.
COLOURS = {Verdict.OK: "green", Verdict.WARN: "yellow", Verdict.FAIL: "bold red"}


class DoctorFailed(TonicError, RuntimeError):
    """``tonic doctor`` could not be run, or did not finish."""


@dataclass(frozen=True)
class Check:
    """One line of ``tonic doctor``: its verdict, what it checked, and what it said."""

    verdict: Verdict | None
    name: str
    said: str

    @classmethod
    def parse(cls, line: str) -> Check:
        first, _, rest = line.partition(" ")
        try:
            verdict = Verdict(first)
        except ValueError:
            return cls(None, "", line)
        name, _, said = rest.strip().partition(" ")
        return cls(verdict, name, said.strip())

    def text(self) -> Text:
        if self.verdict is None:
            return Text(self.said)
        line = Text()
        line.append(f"{self.verdict:<5}", style=COLOURS[self.verdict])
        line.append(f"{self.name:<10}", style="bold")
        line.append(self.said)
        return line


def doctor_command(socket: object, data_dir: object) -> list[str]:
    """``tonic doctor`` from the Python running this UI, for the box this UI talks to."""
    command = [sys.executable, "-m", "appliance", "doctor"]
    if socket is not None:
        command += ["--socket", str(socket)]
    if isinstance(data_dir, str) and data_dir:
        command += ["--data-dir", data_dir]
    return command


def run_doctor(command: list[str], timeout: float = DOCTOR_TIMEOUT_S) -> list[Check]:
    """Its lines (it exits 1 when a check FAILs, which is still an answer)."""
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise DoctorFailed(f"tonic doctor did not finish in {timeout:.0f} s") from None
    except OSError as e:
        raise DoctorFailed(f"tonic doctor could not start: {e.strerror or e}") from None
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise DoctorFailed(f"tonic doctor said nothing: {why}")
    return [Check.parse(line) for line in lines]


def soundfont_line(checks: Iterable[Check]) -> str | None:
    for check in checks:
        if check.name == "soundfont":
            return f"Soundfont: {check.said}"
    return None


def device_line(status: Mapping[str, Any]) -> str:
    audio = status.get("audio")
    device = audio.get("device") if isinstance(audio, dict) else None
    return f"Sound card: {device or '?'}"


class SystemScreen(SetupScreen):
    """Audio device and buffer, soundfont and data folder, MIDI, doctor, restart, shut down."""

    NAME = "system"
    AUTO_FOCUS = "#doctor"  # its main task first, for the keyboard

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self.checks: list[Check] = []
        self.doctoring = False

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="system"):
            yield Words(INTRO, id="system-intro")
            yield Words(id="system-facts")
            with Horizontal(classes="system-buttons"):
                yield Button("Run the checks", id="doctor", variant="primary")
                yield Button("Restart the service…", id="restart", variant="warning")
                yield Button("Shut the box down safely…", id="shutdown", variant="error")
            yield Words(id="system-message")
            with VerticalScroll(id="doctor-lines"):
                yield Static(Text(DOCTOR_WAITING), id="doctor-text")

    def on_mount(self) -> None:
        if self.setup.last_status is not None:
            self._take(self.setup.last_status)

    def on_screen_resume(self) -> None:
        if self.setup.online:
            self.request("status", then=self._take_result, quiet=True)

    # -- from the link ----------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self._take(message.status)

    def on_disconnected(self, message: Disconnected) -> None:
        self._show()

    def on_box_event(self, message: BoxEvent) -> None:
        pass  # nothing here changes with the music

    def _take_result(self, status: Any) -> None:
        if isinstance(status, dict):
            self._take(status)

    def _take(self, status: dict[str, Any]) -> None:
        self.status = status
        self._show()

    def _show(self) -> None:
        status = self.status
        data = status.get("data_dir") or "?"
        lines = [
            f"{device_line(status)}   {audio_line(status)}",
            soundfont_line(self.checks) or SOUNDFONT_UNKNOWN,
            f"Data folder (profiles): {data}",
            MIDI,
        ]
        self.query_one("#system-facts", Words).show("\n".join(lines))

    # -- tonic doctor -------------------------------------------------------------------------

    @on(Button.Pressed, "#doctor")
    def doctor(self) -> None:
        if self.doctoring:
            return
        self.doctoring = True
        self.query_one("#doctor-text", Static).update(Text(DOCTOR_RUNNING))
        command = doctor_command(
            getattr(self.setup.link, "path", None), self.status.get("data_dir")
        )
        in_thread(self, lambda: run_doctor(command), self._doctored, self._doctor_failed)

    def _doctored(self, checks: list[Check]) -> None:
        self.doctoring = False
        self.checks = checks
        counts = {v: sum(c.verdict is v for c in checks) for v in Verdict}
        summary = Text(
            f"tonic doctor: {counts[Verdict.OK]} OK, {counts[Verdict.WARN]} to look at, "
            f"{counts[Verdict.FAIL]} failed\n",
            style="bold",
        )
        self.query_one("#doctor-text", Static).update(
            summary + Text("\n").join(c.text() for c in checks)
        )
        self._show()

    def _doctor_failed(self, error: TonicError) -> None:
        self.doctoring = False
        self.query_one("#doctor-text", Static).update(Text(str(error), style="red"))

    # -- restart and shut down ----------------------------------------------------------------

    @on(Button.Pressed, "#restart")
    def restart(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                call(self, "service.restart", None, self._restarting, self._refused)

        self.app.push_screen(
            Confirm(
                "Restart the Tonic service?",
                "The music stops for a moment; this screen reconnects by itself.",
                yes="Restart",
            ),
            answered,
        )

    def _restarting(self, _: Any) -> None:
        self._say("The service is restarting: the music is back in a moment.")

    @on(Button.Pressed, "#shutdown")
    def shutdown(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                call(self, "box.shutdown", None, self._powering_off, self._refused)

        self.app.push_screen(
            Confirm(
                "Shut the box down?",
                "The music stops and the box powers off. Wait for its light to go out "
                "before unplugging it.",
                yes="Shut down",
            ),
            answered,
        )

    def _powering_off(self, _: Any) -> None:
        self._say("The box is shutting down. Unplug it once its light is out.")

    def _refused(self, error: TonicError) -> None:
        self._say(f"The box said: {error}", error=True)

    def _say(self, line: str, *, error: bool = False) -> None:
        message = self.query_one("#system-message", Words)
        message.show(line)
        message.set_class(error, "-error")
        self.notify(line, severity="error" if error else "information")
