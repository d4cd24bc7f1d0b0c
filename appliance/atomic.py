"""Writing files so that a pulled plug leaves the old file or the new one, never half.

The therapist switches the box off at the wall at the end of every session,
so every file Tonic writes goes through here: write a hidden temporary file
in the same directory, flush it to disk, rename it over the target, then
flush the directory entry.

A write cut short (power pulled, process killed) leaves its temporary file,
``.<name>.<random>.tmp``, behind. Each writer holds an exclusive ``flock`` on
its temporary file for as long as it writes, and the kernel drops that lock
when the writer dies, however it dies. So a temporary file nobody holds a lock
on is stale, whatever its age: the next write of the same target removes the
stale ones beside it, and a service calls :func:`remove_stale_temp_files` on
its data directory at start.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

TEMP_SUFFIX = ".tmp"


#: The signals that interrupt a write (Ctrl-C, and those ``tonic render`` turns into it).
INTERRUPTS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold back Ctrl-C and friends until the block is done.

    Creating a temporary file and arming its cleanup must happen together:
    an interrupt in between would leave the file behind, still locked by this
    process. A signal that arrives meanwhile is handed to its usual handler
    at the end. Python runs signal handlers only on the main thread, so other
    threads are never interrupted and need nothing held back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous: dict[int, Any] = {}
    try:
        for s in INTERRUPTS:
            if signal.getsignal(s) is not None:  # None: set outside Python; leave it be
                previous[s] = signal.signal(s, hold)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            _deliver(caught[0], previous[caught[0]])


def _deliver(signum: int, handler: Any) -> None:
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action, now that it is restored


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    path = Path(path)
    with contextlib.ExitStack() as cleanup:
        with interrupts_deferred():
            fd, tmp = create_temp_file(path)
            cleanup.callback(_discard, fd, tmp)
        _write(fd, tmp, path, text)
    return path


def _discard(fd: int, tmp: Path) -> None:
    # After a successful write the name is the target's and fd is closed already.
    tmp.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        os.close(fd)


def _write(fd: int, tmp: Path, path: Path, text: str) -> None:
    remove_stale_temp_files(path.parent, path.name)
    os.fchmod(fd, file_mode(path))
    with open(fd, "w", encoding="utf-8", closefd=False) as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    # Renamed while still locked, so no sweep can take it mid-rename.
    os.replace(tmp, path)
    fsync_dir(path.parent)


def create_temp_file(path: Path) -> tuple[int, Path]:
    """A new, locked ``.<name>.<random>.tmp`` beside ``path``: its fd and its path.

    The lock is held until the fd is closed, which marks the file as in use
    for :func:`remove_stale_temp_files`.
    """
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # A sweep may have found the file between mkstemp and flock, locked it
        # first and removed it; then start again with a fresh one.
        if os.fstat(fd).st_nlink > 0:
            return fd, Path(tmp)
        os.close(fd)


def remove_stale_temp_files(
    directory: str | os.PathLike[str], name: str | None = None
) -> list[Path]:
    """Remove temporary files left by interrupted writes; return what was removed.

    Only files named as :func:`create_temp_file` names them (``.<name>.*.tmp``,
    for one target ``name`` or for any) and that no live writer holds locked.
    Files that vanish or cannot be opened meanwhile are left alone.
    """
    directory = Path(directory)
    pattern = f".{glob.escape(name)}.*{TEMP_SUFFIX}" if name is not None else f".*{TEMP_SUFFIX}"
    removed = []
    with contextlib.suppress(OSError):
        candidates = list(directory.glob(pattern))
        for candidate in candidates:
            if _remove_if_unlocked(candidate):
                removed.append(candidate)
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False  # gone already, a symlink, or not ours to read
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False  # a live writer holds it
            raise
        # Still the file we locked? (it may have been renamed into place and
        # the name reused); only then remove it, while holding its lock.
        try:
            current = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        if (current.st_dev, current.st_ino) != (info.st_dev, info.st_ino):
            return False
        path.unlink()
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def file_mode(path: Path) -> int:
    """The permissions a replacement for ``path`` should have.

    ``mkstemp`` creates files readable by their owner only; a profile or a
    WAV the therapist copies off the box should keep the old file's mode, or
    get the usual one for a new file (0666 less the umask).
    """
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def fsync_dir(directory: Path) -> None:
    # A rename is only durable once the directory entry itself is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
