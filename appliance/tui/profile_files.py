"""Profile files on the machine the setup UI runs on: import and export.

The service cannot read a therapist's home folder (it runs as its own user,
with a protected home), so the UI reads an imported file and writes an
exported one itself, and sends or receives only the TOML text.
"""

from __future__ import annotations

from pathlib import Path

from appliance.atomic import write_text_atomic
from appliance.errors import TonicError

#: The largest profile file the UI reads for an import (a real one is a few KB).
MAX_IMPORT_BYTES = 1024 * 1024


class ProfileFileError(TonicError, OSError):
    """A profile file on this machine could not be read or written."""


def read_profile_file(path: Path, limit: int = MAX_IMPORT_BYTES) -> str:
    """A profile file's text; refuses one too large to be a profile, or not UTF-8."""
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ProfileFileError(f"cannot read {path}: {e.strerror or e}") from None
    if len(data) > limit:
        raise ProfileFileError(f"{path} is over {limit // 1024} KB: not a profile file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProfileFileError(f"{path} is not a text file (not UTF-8)") from None


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` whole or not at all (the box's own atomic write)."""
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise ProfileFileError(f"cannot write {path}: {e.strerror or e}") from None


def typed_path(text: str) -> Path:
    """The path a therapist typed: ``~`` is their home; relative is from where the UI started."""
    return Path(text).expanduser().absolute()


def problems_of(message: str) -> list[str]:
    """``the imported profile: 2 problems: a; b`` → ``[a, b]`` (one line as it is otherwise)."""
    _, sep, rest = message.partition(" problems: ")
    if not sep:
        _, sep, rest = message.partition(" problem: ")
    if not sep:
        return [message]
    return [p.strip() for p in rest.split("; ") if p.strip()]
