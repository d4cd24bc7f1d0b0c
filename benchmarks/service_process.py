"""``tonic run --simulate`` in a child process, as systemd would run it, for the service benches.

The bench plays systemd's part: it binds an ``AF_UNIX`` datagram socket,
passes its path as ``NOTIFY_SOCKET``, starts the service with
:class:`subprocess.Popen` and waits for the ``READY=1`` datagram, which the
service sends once a note could sound. It stops the service with SIGTERM.

The service's log goes to a file in the bench's own directory (quoted when
the service fails to start), never to stdout, which carries result lines only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from benchmarks.presser import progress

#: The ``tonic`` command of the interpreter running the benches (the venv's).
TONIC = Path(sys.executable).with_name("tonic")
#: Longer than any start seen here (a cold one levels the soundfont first).
READY_TIMEOUT_S = 20.0
#: How often the wait for READY checks that the child is still alive.
POLL_S = 0.1
#: SIGTERM must end the service within 2 s; allow for a busy machine.
STOP_TIMEOUT_S = 5.0
NOTIFY_DATAGRAM = 4096
#: Log lines quoted when the service does not become ready.
LOG_TAIL_LINES = 20
LEVELS_FILE = "levels.json"


class ServiceProcess:
    """One ``tonic run --simulate`` at a time, its notify socket and its log, under ``workdir``."""

    def __init__(self, workdir: Path, data_dir: Path) -> None:
        self.workdir = workdir
        self.data_dir = data_dir
        self.socket_path = workdir / "control.sock"
        self.log_path = workdir / "service.log"
        self._notify_path = workdir / "notify.sock"
        self._notify: socket.socket | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the service is not running")
        return self.proc.pid

    def start(self) -> float:
        """Start the service; return the seconds from ``Popen`` to ``READY=1``."""
        if self._notify is None:
            self._notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._notify.bind(str(self._notify_path))
        self._drain_notify()
        env = dict(os.environ, NOTIFY_SOCKET=str(self._notify_path))
        argv = [
            str(TONIC),
            "run",
            "--simulate",
            "--data-dir",
            str(self.data_dir),
            "--socket",
            str(self.socket_path),
        ]
        with open(self.log_path, "ab") as log:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        ready = self._wait_ready()
        return ready - t0

    def _wait_ready(self) -> float:
        assert self._notify is not None and self.proc is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        self._notify.settimeout(POLL_S)
        while time.monotonic() < deadline:
            try:
                datagram = self._notify.recv(NOTIFY_DATAGRAM)
            except TimeoutError:
                if self.proc.poll() is not None:
                    raise self._failed(
                        f"exited with {self.proc.returncode} before READY=1"
                    ) from None
                continue
            if b"READY=1" in datagram.split(b"\n"):
                return time.perf_counter()
        self.stop()
        raise self._failed(f"sent no READY=1 within {READY_TIMEOUT_S:.0f} s")

    def _drain_notify(self) -> None:
        """Forget datagrams left by an earlier start (STOPPING=1 and the like)."""
        assert self._notify is not None
        self._notify.setblocking(False)
        try:
            while True:
                self._notify.recv(NOTIFY_DATAGRAM)
        except BlockingIOError:
            pass
        finally:
            self._notify.setblocking(True)

    def _failed(self, what: str) -> RuntimeError:
        tail = self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        return RuntimeError(f"tonic run --simulate {what}; its log ends:\n" + "\n".join(tail))

    def stop(self) -> int:
        """SIGTERM, then wait for the exit; returns the exit status (negative: a signal)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            progress(f"  service pid {proc.pid} ignored SIGTERM for {STOP_TIMEOUT_S} s: killed")
            proc.kill()
            return proc.wait()

    def close(self) -> None:
        self.stop()
        if self._notify is not None:
            self._notify.close()
            self._notify = None
            self._notify_path.unlink(missing_ok=True)

    def __enter__(self) -> ServiceProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def warm_data_dir(workdir: Path) -> Path:
    """A data directory in which one start (discarded) has levelled the soundfont.

    A box levels its soundfont's instruments once and keeps the trims in its
    data directory (``levels.json``), so every start after the first finds them.
    """
    data_dir = workdir / "data"
    with ServiceProcess(workdir, data_dir) as service:
        service.start()
        service.stop()
    if not (data_dir / LEVELS_FILE).exists():
        raise RuntimeError(f"the first start left no {LEVELS_FILE} in {data_dir}")
    return data_dir


def proc_status_kib(pid: int, field: str) -> int:
    """A ``kB`` field of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name == field:
                return int(value.split()[0])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def proc_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of every thread of ``pid`` (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        text = f.read()
    # The command name may hold spaces and parentheses: fields start after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")
