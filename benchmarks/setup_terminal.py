"""``tonic setup`` in a pseudo-terminal of its own, 80x24, for the setup UI's benches.

The bench is the terminal: it opens a pty, sets its size, starts ``tonic
setup --socket S`` on it with ``TERM=xterm-256color``, and reads what the UI
draws. Text is searched in the drawn stream with escape sequences removed,
which is what a person would see appear.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

from benchmarks.service_process import TONIC

COLUMNS, ROWS = 80, 24
#: What the UI draws once the dashboard shows a connected box.
CONNECTED = "Connected to"
#: Longer than any start seen here.
DRAW_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
_ESCAPES = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07"
)
_READ = 65536


class SetupTerminal:
    def __init__(self, socket_path: Path, log_dir: Path) -> None:
        self.socket_path = socket_path
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self._master = -1
        self._seen = b""

    def start(self) -> float:
        """Start the UI; returns the ``perf_counter`` time of the launch."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        env = dict(
            os.environ,
            TERM="xterm-256color",
            COLUMNS=str(COLUMNS),
            LINES=str(ROWS),
            XDG_STATE_HOME=str(self.log_dir),
        )
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(TONIC), "setup", "--socket", str(self.socket_path)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        return t0

    def wait_for(self, text: str) -> float:
        """The ``perf_counter`` time at which ``text`` first appeared on the screen."""
        want = text.encode()
        deadline = time.monotonic() + DRAW_TIMEOUT_S
        while time.monotonic() < deadline:
            if want in _ESCAPES.sub(b"", self._seen):
                return time.perf_counter()
            self.drain(0.05)
        raise RuntimeError(f"tonic setup never drew {text!r}")

    def drain(self, timeout: float) -> None:
        """Read what the UI drew (so it never blocks on a full terminal)."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self._master, _READ)
            except OSError:
                return
            self._seen = (self._seen + chunk)[-_READ * 4 :]

    def send(self, keys: bytes) -> None:
        os.write(self._master, keys)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._master >= 0:
            os.close(self._master)
            self._master = -1
        self._seen = b""
