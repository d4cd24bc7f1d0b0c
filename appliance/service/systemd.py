"""The systemd protocols, used only when systemd is there.

* **Readiness and status** (``sd_notify``): ``READY=1`` once the first note
  could sound, ``STATUS=`` lines a person can read, ``WATCHDOG=1`` after each
  round trip through the engine's thread, ``RELOADING=1`` / ``STOPPING=1``.
  Only when ``$NOTIFY_SOCKET`` is set; otherwise every call does nothing.
* **Logging**: under journald (``$JOURNAL_STREAM`` names our stderr) records go
  to the journal with structured fields (``INPUT``, ``PROFILE``, ``ERROR`` from a
  record's ``extra``); otherwise plain lines on stderr.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import sys

from systemd import daemon, journal

#: systemd wants a watchdog ping at least this often within WatchdogSec; half
#: is the usual margin, so a busy moment never costs a restart.
WATCHDOG_FRACTION = 0.5
_USEC = 1_000_000


class Notifier:
    """``sd_notify`` messages, or nothing when systemd did not start us."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self._last_status = ""

    def ready(self, status: str) -> None:
        self._send(f"READY=1\nSTATUS={status}")
        self._last_status = status

    def status(self, text: str) -> None:
        """Say what the box is doing; repeats of the same line are not sent."""
        if text != self._last_status:
            self._send(f"STATUS={text}")
            self._last_status = text

    def watchdog(self) -> None:
        self._send("WATCHDOG=1")

    def reloading(self) -> None:
        self._send("RELOADING=1")

    def reloaded(self) -> None:
        self._send("READY=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def _send(self, message: str) -> None:
        if self.enabled:
            daemon.notify(message)


def watchdog_period(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings systemd asked for, or None.

    ``$WATCHDOG_USEC`` is systemd's WatchdogSec; ``$WATCHDOG_PID``, when set,
    must be ours (a child process must not ping for its parent).
    """
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / _USEC * WATCHDOG_FRACTION


def under_journald(environ: dict[str, str] | None = None) -> bool:
    """True when our stderr is journald's stream (``$JOURNAL_STREAM`` = ``dev:inode``)."""
    env = os.environ if environ is None else environ
    stream = env.get("JOURNAL_STREAM", "")
    device, _, inode = stream.partition(":")
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return f"{st.st_dev}:{st.st_ino}" == f"{device}:{inode}"


def log_handler(verbose: bool = False) -> logging.Handler:
    """The service's log handler: the journal with fields, or plain stderr lines."""
    handler: logging.Handler
    if under_journald():
        # JournalHandler sends each record's ``extra`` as fields of its own:
        # log.warning(..., extra={"input": "pad:3", "error": why}) gives INPUT=, ERROR=.
        handler = journal.JournalHandler(SYSLOG_IDENTIFIER="tonic")
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("tonic: %(levelname)s: %(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    return handler


def start_logging(verbose: bool = False) -> logging.handlers.QueueListener:
    """Route every log record through a queue to :func:`log_handler` on its own thread.

    A record logged on the engine's thread (a bad event, a sensor lost) is then
    a queue put, never a write to stderr or the journal's socket, so logging
    cannot hold up a note. Stop the returned listener last, to flush it.
    """
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    listener = logging.handlers.QueueListener(
        records, log_handler(verbose), respect_handler_level=True
    )
    listener.start()
    # Libraries' warnings (gpiozero's pin-factory fallbacks) become log records too,
    # not bare lines on stderr.
    logging.captureWarnings(True)
    return listener
