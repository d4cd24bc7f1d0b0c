"""Helpers for the setup UI's tests: a real box in its own process, waiting on the screen."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from textual.app import App

from appliance.tui.link import Connected, Target

#: Bounds a hang, never a measurement: the box answers in milliseconds, but a
#: busy machine may take seconds to start it.
HANG_S = 30.0
#: The ``tonic`` command, from this checkout.
TONIC = (sys.executable, "-m", "appliance")


class Box:
    """A simulated box behind a real control socket, that a test can stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sock = str(folder / "c.sock")
        self.notify_path = str(folder / "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.settimeout(HANG_S)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = folder / "service.log"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    *TONIC,
                    "run",
                    "--simulate",
                    "--data-dir",
                    str(self.folder / "data"),
                    "--socket",
                    self.sock,
                ],
                env=dict(os.environ, NOTIFY_SOCKET=self.notify_path),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        while not self.notify.recv(4096).startswith(b"READY=1"):
            pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(HANG_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def close(self) -> None:
        self.stop()
        self.notify.close()


async def until(pilot, condition: Callable[[], object], what: str) -> None:
    """Let the app run until ``condition()`` holds; fail (naming ``what``) only on a hang."""
    deadline = time.monotonic() + HANG_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await pilot.pause(0.05)


def screen_text(app: App) -> str:
    """Every line of the screen as it would be drawn now: what a person reads."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


class FixedLink:
    """A box that never changes, for snapshots: ``status``, and fixed answers by method."""

    def __init__(self, status: dict[str, Any], answers: Mapping[str, Any] | None = None) -> None:
        self.status = status
        self.answers = {"status": status, **(answers or {})}

    def start(self, target: Target) -> None:
        target.post_message(Connected(copy.deepcopy(self.status)))

    def stop(self) -> None:
        pass

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return copy.deepcopy(self.answers.get(method, {}))
