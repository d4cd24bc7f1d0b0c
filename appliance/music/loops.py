"""The accompaniment loops that ship with the box, loaded once from their ``.loop`` files."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

from appliance.errors import MusicError
from appliance.music.loop import Loop
from appliance.music.loop_text import parse_loop

LOOP_PACKAGE = "appliance.loops"
LOOP_SUFFIX = ".loop"


class UnknownLoopError(MusicError, LookupError):
    """A loop name that is not in the list ``tonic loops`` prints."""


@functools.cache
def _loops() -> Mapping[str, Loop]:
    found: dict[str, Loop] = {}
    for entry in sorted(resources.files(LOOP_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(LOOP_SUFFIX):
            continue
        name = entry.name.removesuffix(LOOP_SUFFIX)
        text = entry.read_text(encoding="utf-8")
        found[name] = parse_loop(text, name=name, origin=f"{LOOP_PACKAGE}/{entry.name}")
    return MappingProxyType(found)


def all_loops() -> tuple[Loop, ...]:
    """Every packaged loop, sorted by name."""
    return tuple(_loops().values())


def loop_names() -> tuple[str, ...]:
    """The names a profile or the control API may use, sorted."""
    return tuple(_loops())


def loop_named(name: str) -> Loop:
    """Look a loop up by name, forgivingly: case, spaces and hyphens do not matter."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_") if isinstance(name, str) else ""
    loop = _loops().get(key)
    if loop is not None:
        return loop
    close = difflib.get_close_matches(key, _loops(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownLoopError(f"unknown loop {name!r}{hint}; `tonic loops` lists them")
