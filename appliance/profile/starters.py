"""The starter profiles that ship inside the package (``appliance/profiles/*.toml``).

Each file is named by its profile's slug; a user's file with the same slug
shadows the starter in the library (:mod:`appliance.profile.library`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from appliance.profile.model import Profile
from appliance.profile.store import parse_profile

STARTERS_PACKAGE = "appliance.profiles"
SUFFIX = ".toml"


@dataclass(frozen=True, slots=True)
class Starter:
    name: str
    path: Path
    text: str
    profile: Profile


@cache
def starters() -> dict[str, Starter]:
    """The shipped profiles by slug. Each file is named by its profile's slug."""
    found: dict[str, Starter] = {}
    for item in resources.files(STARTERS_PACKAGE).iterdir():
        if not item.name.endswith(SUFFIX):
            continue
        text = item.read_text(encoding="utf-8")
        profile = parse_profile(text, origin=f"built-in {item.name}")
        found[item.name.removesuffix(SUFFIX)] = Starter(
            profile.name, Path(str(item)), text, profile
        )
    return found


def starter_names() -> list[str]:
    return sorted(s.name for s in starters().values())
