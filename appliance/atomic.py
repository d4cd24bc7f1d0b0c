"""Writing files so that a pulled plug leaves the old file or the new one, never half.

The therapist switches the box off at the wall at the end of every session,
so every file Tonic writes goes through here: write a hidden temporary file
in the same directory, flush it to disk, rename it over the target, then
flush the directory entry.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
