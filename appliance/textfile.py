"""Reading the text files a therapist (or anyone) hands the box, safely.

Profiles, the box config and session scripts are hand-edited, copied off USB
sticks and mailed around, so the box must survive any file at all: a FIFO, a
device node, a 50 MB file, a binary, a 1,000-deep nest of brackets. Every
refusal is one line a therapist can act on, raised as :class:`UnreadableFile`
(the file itself) or :class:`BadToml` (its TOML), never a traceback.

What is accepted is what editors write: a UTF-8 byte-order mark (Windows
Notepad) is dropped, CRLF and CR line ends become ``\\n``. Line numbers in
messages count ``\\n`` only, as an editor does; :func:`lines` splits that way
(``str.splitlines`` also splits on U+2028, U+0085, form feeds and more, which
would make "line 7" disagree with what the therapist sees).

Use::

    text = read_text_file(path, what="profile", max_bytes=MAX_SETTINGS_BYTES)
    data = parse_toml(text, origin=str(path))
"""

from __future__ import annotations

import errno
import os
import re
import reprlib
import stat
import tomllib
from typing import Any

from appliance.errors import TonicError

MAX_SETTINGS_BYTES = 1_000_000
"""A profile or the box config: a real one is a few kilobytes."""

MAX_SCRIPT_BYTES = 4_000_000
"""A session script: about 100,000 lines, hours of events; far more than any session."""

MAX_TOML_DEPTH = 32
"""Arrays and inline tables nested deeper than this are refused before parsing
(tomllib recurses once per level, so 1,000 levels end in ``RecursionError``)."""

MAX_LINE_CHARS = 4_000
"""The longest line a settings file may have. This also bounds a dotted key's
depth and a single value's size, which tomllib would otherwise grind through."""

EXCERPT_CHARS = 40
"""How much of a bad value an error message quotes."""

_BOM = "\ufeff"
_READ_CHUNK = 1 << 16


class UnreadableFile(TonicError, OSError):
    """A file that is missing, not a regular file, too large, or not text."""


class FileMissing(UnreadableFile, FileNotFoundError):
    """The file does not exist."""


class BadToml(TonicError, ValueError):
    """Text that is not TOML, or TOML past the nesting or line-length limits."""


def read_text_file(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> str:
    """The text of ``path``, with a BOM dropped and line ends made ``\\n``.

    ``what`` names the file for messages ("profile", "script"). Raises
    :class:`UnreadableFile` with one line when the file is missing, not a
    regular file (checked before opening, and opened non-blocking so a FIFO
    swapped in meanwhile cannot hang), larger than ``max_bytes`` (checked
    before reading; at most ``max_bytes + 1`` bytes are ever read), or binary.
    """
    shown = show_path(path)
    try:
        _require_regular(os.stat(path), what, shown)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except UnreadableFile:
        raise
    except FileNotFoundError:
        raise FileMissing(f"{what} not found: {shown}") from None
    except OSError as e:
        raise UnreadableFile(f"cannot read {what} {shown}: {_reason(e)}") from None
    try:
        info = os.fstat(fd)
        # Checked again on what was opened: the path may have been swapped.
        _require_regular(info, what, shown)
        _require_size(info.st_size, what, shown, max_bytes)
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as e:
        if isinstance(e, UnreadableFile):
            raise
        raise UnreadableFile(f"cannot read {what} {shown}: {_reason(e)}") from None
    finally:
        os.close(fd)
    # A file that grew after fstat (or a /proc file that reports size 0).
    _require_size(len(data), what, shown, max_bytes)
    return decode_text(data, what=what, shown=shown)


def decode_text(data: bytes, *, what: str = "file", shown: str = "") -> str:
    """``data`` as text: UTF-8, BOM dropped, line ends ``\\n``; binary is refused."""
    name = f"cannot read {what} {shown}".rstrip()
    nul = data.find(b"\0")
    if nul >= 0:
        raise UnreadableFile(
            f"{name}: it looks like a binary file, not text (a NUL byte at byte {nul})"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnreadableFile(
            f"{name}: it looks like a binary file, not text (not UTF-8 at byte {e.start})"
        ) from None
    text = text.removeprefix(_BOM)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def lines(text: str) -> list[str]:
    """``text`` split at ``\\n`` only, as an editor numbers lines.

    Like ``str.splitlines``, a final line end does not start an empty line.
    """
    if not text:
        return []
    parts = text.split("\n")
    if parts[-1] == "":
        parts.pop()
    return parts


def parse_toml(
    text: str,
    *,
    origin: str,
    max_depth: int = MAX_TOML_DEPTH,
    max_line: int = MAX_LINE_CHARS,
) -> dict[str, Any]:
    """``text`` parsed as TOML, after checking the limits that keep tomllib safe.

    Raises :class:`BadToml` with one line starting ``origin:`` and naming the
    line, for a line over ``max_line`` characters, nesting deeper than
    ``max_depth``, or any TOML error.
    """
    for number, line in enumerate(lines(text), start=1):
        if len(line) > max_line:
            raise BadToml(
                f"{origin}: line {number} is {len(line):,} characters long; "
                f"the limit is {max_line:,}"
            )
    deepest, where = nesting_depth(text, stop_past=max_depth)
    if deepest > max_depth:
        raise BadToml(
            f"{origin}: line {where}: arrays or inline tables nested more than {max_depth} deep"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib's messages say where, "(at line 3, column 5)"; some quote a key,
        # which the line limit bounds but can still be long.
        raise BadToml(f"{origin}: not valid TOML: {_clip(str(e))}") from None
    except ValueError as e:
        # e.g. an integer past Python's 4,300-digit conversion limit.
        raise BadToml(f"{origin}: not valid TOML: {_clip(str(e))}") from None
    except (RecursionError, MemoryError):
        raise BadToml(f"{origin}: too deeply nested or too large to read") from None


# Strings and comments are skipped whole so that brackets inside them do not
# count; a multi-line string may end with up to two extra quotes (TOML 1.0).
_TOKEN = re.compile(
    r'"""(?:\\.|[^\\])*?""""{0,2}'
    r"|'''.*?''''{0,2}"
    r'|"(?:\\.|[^"\\\n])*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|[\[\]{}]",
    re.DOTALL,
)


def nesting_depth(text: str, stop_past: int | None = None) -> tuple[int, int]:
    """The deepest nesting of ``[`` and ``{`` in TOML ``text``, and the line it is on.

    A scan, not a parse: unbalanced brackets are left for tomllib to report.
    Stops early once the depth passes ``stop_past``.
    """
    depth = deepest = 0
    at = 0
    for token in _TOKEN.finditer(text):
        t = token.group()
        if t in "[{":
            depth += 1
            if depth > deepest:
                deepest, at = depth, token.start()
                if stop_past is not None and depth > stop_past:
                    break
        elif t in "]}":
            depth = max(0, depth - 1)
    return deepest, text.count("\n", 0, at) + 1


_short = reprlib.Repr()
_short.maxlevel = 3
_short.maxstring = EXCERPT_CHARS + 2
_short.maxother = EXCERPT_CHARS
_short.maxlist = _short.maxdict = _short.maxtuple = _short.maxset = 6


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, one-line repr of ``value`` for an error message.

    A string is quoted up to ``limit`` characters, then ``… (N characters)``;
    other values are shown shallowly (a 2,000-deep nest must not recurse).
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    try:
        shown = _short.repr(value)
    except (RecursionError, ValueError):
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= limit * 2 else shown[: limit * 2] + "…"


def show_path(path: str | os.PathLike[str]) -> str:
    """A path for a message: as typed, unless it would break the line or flood it."""
    text = os.fsdecode(path)
    if text.isprintable() and len(text) <= 200:
        return text
    return excerpt(text, 200)


def _clip(message: str, limit: int = 200) -> str:
    """``message`` cut to about ``limit`` characters, keeping tomllib's "(at line …)"."""
    if len(message) <= limit:
        return message
    head, found, where = message.rpartition(" (at ")
    if not found:
        return message[:limit] + "…"
    return f"{head[:limit]}… (at {where}"


def _require_regular(info: os.stat_result, what: str, shown: str) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = "a directory"
    elif stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "not a file"
    raise UnreadableFile(f"cannot read {what} {shown}: it is {kind}, not a regular file")


def _require_size(size: int, what: str, shown: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise UnreadableFile(
            f"cannot read {what} {shown}: it is too large (the limit is {max_bytes:,} bytes)"
        )


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < limit:
        chunk = os.read(fd, min(_READ_CHUNK, limit - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return e.strerror or str(e)


__all__ = [
    "EXCERPT_CHARS",
    "MAX_LINE_CHARS",
    "MAX_SCRIPT_BYTES",
    "MAX_SETTINGS_BYTES",
    "MAX_TOML_DEPTH",
    "BadToml",
    "FileMissing",
    "UnreadableFile",
    "decode_text",
    "excerpt",
    "lines",
    "nesting_depth",
    "parse_toml",
    "read_text_file",
    "show_path",
]
