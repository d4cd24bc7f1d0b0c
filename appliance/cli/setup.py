"""``tonic setup``: the therapist's setup UI, over SSH or on the box's own screen.

The UI is a client of the running box's control socket. With ``--simulate`` it
first starts a private simulated box (``tonic run --simulate`` in a temporary
folder), lets the keyboard press its switches, touch its pads and move a hand
in its beam, and stops it when the UI closes.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliance.cli.run import STOP_WITH_PARENT

#: How long a simulated box gets to stop after SIGTERM before it is killed.
STOP_WAIT_S = 10.0
#: How long a signalled UI gets to exit the orderly way.
EXIT_GRACE_S = 5.0
LOG_NAME = "setup.log"
#: The service's exit status for "start me again" (service.restart; EX_TEMPFAIL).
RESTART_STATUS = 75


def add(commands: Any) -> None:
    setup = commands.add_parser(
        "setup",
        help="the setup UI: check inputs, calibrate beams, choose sounds",
        description="The therapist's setup UI, a client of the running box.",
    )
    setup.add_argument(
        "--socket", help="the control socket (default: $TONIC_SOCKET, else the box's)"
    )
    setup.add_argument(
        "--simulate",
        action="store_true",
        help="start a private simulated box and drive it from the keyboard",
    )
    setup.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    log_path = log_file()
    _log_to(log_path)
    # Imported here: `tonic --help` and the other commands do not load Textual.
    from appliance.tui.app import SetupApp
    from appliance.tui.link import Link

    with simulated_box() if args.simulate else _nothing() as sim_socket:
        app = SetupApp(Link(sim_socket or args.socket), simulating=args.simulate, log_path=log_path)
        # A closed SSH session (SIGHUP) or a SIGTERM ends the UI the orderly way,
        # so the simulated box is stopped too.
        endings: list[threading.Timer] = []
        for signum in (signal.SIGHUP, signal.SIGTERM):
            signal.signal(signum, lambda *_: _close(app, endings))
        try:
            app.run()
        except Exception as e:  # the last guard: one line, the traceback in the log
            logging.getLogger(__name__).error("setup UI failed", exc_info=e)
            print(
                f"tonic: error: the setup UI stopped: {e} (details in {log_path})", file=sys.stderr
            )
            return 1
        finally:
            # The UI is gone; a second signal must not cut short stopping the box.
            for signum in (signal.SIGHUP, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
            for ending in endings:
                ending.cancel()
    return app.return_code or 0


def _close(app: Any, endings: list[threading.Timer]) -> None:
    """From a signal handler: ask the app to exit, if it still runs.

    A terminal that has gone away can leave the UI unable to finish (it
    cannot draw its last screen): after :data:`EXIT_GRACE_S` the process ends
    anyway, and the kernel stops its simulated box (``tonic run`` asked for
    that: appliance/cli/run.py).
    """
    if app.is_running:
        app.call_later(app.exit)
    ending = threading.Timer(EXIT_GRACE_S, os._exit, args=(1,))
    ending.daemon = True
    ending.start()
    endings.append(ending)


def log_file() -> Path:
    """``$XDG_STATE_HOME/tonic/setup.log`` (``~/.local/state/tonic/setup.log``)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "tonic" / LOG_NAME


def _log_to(path: Path) -> None:
    """Send every log record to the file: a line on stderr would tear the screen."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()  # nowhere to write: stay quiet rather than tear
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


@contextmanager
def simulated_box() -> Iterator[str]:
    """A private ``tonic run --simulate``; yields its socket; stops it (SIGTERM, wait).

    When it exits with :data:`RESTART_STATUS` (the System screen's "Restart the
    service"), it is started again, as systemd's unit does for the real box."""
    folder = Path(tempfile.mkdtemp(prefix="tonic-setup-"))
    socket_path = folder / "control.sock"
    command = [sys.executable, "-m", "appliance", "run", "--simulate"]
    command += ["--data-dir", str(folder / "data"), "--socket", str(socket_path)]

    def start() -> subprocess.Popen[bytes]:
        with open(folder / "service.log", "ab") as output:
            return subprocess.Popen(
                command,
                env={**os.environ, STOP_WITH_PARENT: str(os.getpid())},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the terminal's signals are the UI's, not the box's
            )

    proc = start()
    lock = threading.Lock()  # held while the box is started again or stopped for good
    stopping = False

    def restart_when_asked() -> None:
        nonlocal proc
        while proc.wait() == RESTART_STATUS:
            with lock:
                if stopping:
                    return
                proc = start()

    watcher = threading.Thread(target=restart_when_asked, name="tonic-sim-restart", daemon=True)
    watcher.start()
    try:
        yield str(socket_path)
    finally:
        with lock:
            stopping = True
            proc.terminate()
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        watcher.join(STOP_WAIT_S)
        shutil.rmtree(folder, ignore_errors=True)
