"""The songs that ship with the box, loaded once from the package's ``.song`` files."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from appliance.errors import MusicError
from appliance.music.song import Song
from appliance.music.song_text import parse_song

SONG_PACKAGE = "appliance.songs"
SONG_SUFFIX = ".song"


class UnknownSongError(MusicError, LookupError):
    """A song name that is not in the list ``tonic songs`` prints."""


@functools.cache
def _songs() -> Mapping[str, Song]:
    found: dict[str, Song] = {}
    for entry in sorted(resources.files(SONG_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(SONG_SUFFIX):
            continue
        name = entry.name.removesuffix(SONG_SUFFIX)
        text = entry.read_text(encoding="utf-8")
        found[name] = parse_song(text, name=name, origin=f"{SONG_PACKAGE}/{entry.name}")
    return MappingProxyType(found)


def all_songs() -> tuple[Song, ...]:
    """Every packaged song, sorted by name."""
    return tuple(_songs().values())


def song_names() -> tuple[str, ...]:
    """The names a profile or script may use, sorted."""
    return tuple(_songs())


def song_named(name: str) -> Song:
    """Look a song up by name, forgivingly: case, spaces and hyphens do not matter."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(name, str) else ""
    song = _songs().get(key)
    if song is not None:
        return song
    close = difflib.get_close_matches(key, _songs(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownSongError(f"unknown song {name!r}{hint}; `tonic songs` lists them")
