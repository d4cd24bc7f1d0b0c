"""Finding and checking the General MIDI soundfont the box sounds with."""

from __future__ import annotations

import os
from pathlib import Path

from appliance.errors import SoundfontError

#: Where Debian and Raspberry Pi OS packages put their GM soundfonts, smallest
#: first: TimGM6mb loads in 0.02 s, which matters for boot-to-sound on a Pi.
SEARCH_PATH = (
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
)
ENV_VAR = "TONIC_SOUNDFONT"


def find_soundfont(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the soundfont to load: ``explicit``, then $TONIC_SOUNDFONT, then the search path."""
    chosen = explicit or os.environ.get(ENV_VAR)
    if chosen:
        path = Path(chosen)
        check_soundfont(path)
        return path
    for path in SEARCH_PATH:
        if path.is_file():
            check_soundfont(path)
            return path
    raise SoundfontError(
        "no General MIDI soundfont found; install timgm6mb-soundfont "
        f"or point ${ENV_VAR} at an .sf2 file"
    )


def check_soundfont(path: Path) -> None:
    """Refuse a file that is not a SoundFont before FluidSynth sees it.

    FluidSynth falls back to its DLS reader on a bad file, which prints
    library assertions to stderr. Checking the RIFF ``sfbk`` header first
    gives the therapist one clear line instead.
    """
    if not path.exists():
        raise SoundfontError(f"soundfont not found: {path}")
    if not path.is_file():
        raise SoundfontError(f"soundfont is not a file: {path}")
    try:
        with path.open("rb") as f:
            header = f.read(24)
    except OSError as e:
        raise SoundfontError(f"cannot read soundfont {path}: {e.strerror}") from e
    if len(header) < 24 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise SoundfontError(
            f"corrupt soundfont {path}: not a SoundFont 2 file (no RIFF sfbk header)"
        )
    # A damaged body makes FluidSynth fall back to its DLS reader, which
    # prints library assertions; the chunk sizes catch truncation first.
    declared = int.from_bytes(header[4:8], "little") + 8
    size = path.stat().st_size
    if declared != size:
        raise SoundfontError(
            f"corrupt soundfont {path}: header says {declared} bytes, file has {size} "
            "(truncated or damaged)"
        )
    if header[12:16] != b"LIST" or header[20:24] != b"INFO":
        raise SoundfontError(f"corrupt soundfont {path}: no INFO list after the header")
