"""Bringing a profile written by an older Tonic up to today's schema.

A profile file says which schema it was written in (``version = 1``). A box
keeps its clients' profiles for years while its software is updated, so a
file from an older version must still open: before a parsed file is built
into a :class:`~appliance.profile.model.Profile`, :func:`upgrade` runs it
through one step per version, each a plain function from the raw TOML table
of version N to the table of version N + 1. The steps run in order and never
skip one, so each only needs to know about its neighbour.

Today every profile is version 1 and there is no step yet. When version 2
comes, its step is registered here, for example (a renamed field)::

    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        # version 2 calls beam "far" "reach"; the meaning is unchanged
        data = dict(data)
        beams = {n: dict(t) for n, t in data.get("beam", {}).items()}
        for table in beams.values():
            if "far" in table:
                table["reach"] = table.pop("far")
        return {**data, "beam": beams}

    MIGRATIONS = MappingProxyType({1: _v1_to_v2})

and ``PROFILE_VERSION`` becomes 2. A step gets a table the TOML reader made,
so it must expect anything (a string where a table should be): it moves what
it recognises and leaves the rest for the builder to report.

A file from a *newer* Tonic is refused with a message saying so, rather than
read half-understood: a box that silently dropped settings it does not know
could play the wrong notes for a client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from appliance.errors import ProfileError
from appliance.profile.model import PROFILE_VERSION

Step = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the raw table of one version into the raw table of the next."""

#: Version N -> the step from N to N + 1. Empty while every profile is version 1.
MIGRATIONS: Mapping[int, Step] = MappingProxyType({})

# Version numbers this long are not from any Tonic; do not echo them whole.
_SHOWN_DIGITS = 6


def upgrade(
    data: dict[str, Any],
    origin: str = "profile",
    *,
    current: int = PROFILE_VERSION,
    steps: Mapping[int, Step] = MIGRATIONS,
) -> dict[str, Any]:
    """Return ``data`` as version ``current``, or raise :class:`ProfileError`.

    A missing or malformed ``version`` is left alone: the builder reports it
    along with every other problem in the file.
    """
    version = data.get("version")
    if type(version) is not int or version < 1:
        return data
    if version > current:
        shown = str(version) if version < 10**_SHOWN_DIGITS else "a later one"
        raise ProfileError(
            f"{origin}: made by a newer Tonic (profile version {shown}; this box reads up to "
            f"version {current}): update the box's software to open it"
        )
    while version < current:
        step = steps.get(version)
        if step is None:
            raise ProfileError(
                f"{origin}: profile version {version} cannot be brought up to version {current}"
            )
        data = {**step(data), "version": version + 1}
        version += 1
    return data
