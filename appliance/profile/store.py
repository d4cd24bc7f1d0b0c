"""Reading and writing profile files (TOML, ``version = 1``).

Loading reports every problem at once, as ``path: message``, so a therapist
fixes a hand-edited profile in one go. Saving is atomic, because the box is
switched off by pulling the plug at the end of every session: a profile is
either the old one or the new one, never half of each, and the previous good
copy is kept beside it as ``<name>.toml.bak``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from appliance.atomic import write_text_atomic
from appliance.errors import ProfileError
from appliance.events import InputId, InputKind, input_id
from appliance.profile.fields import from_toml, specs
from appliance.profile.inputs import SETTINGS_FOR_KIND, default_settings
from appliance.profile.model import PROFILE_VERSION, Profile, unplayable

DEFAULT_PROFILE = "default.toml"


def load_profile(path: str | os.PathLike[str]) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"profile not found: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProfileError(f"cannot read profile {path}: {e}") from None
    return parse_profile(text, origin=str(path))


def default_profile() -> Profile:
    """The profile that ships inside the package."""
    text = resources.files("appliance.profiles").joinpath(DEFAULT_PROFILE).read_text("utf-8")
    return parse_profile(text, origin=f"built-in {DEFAULT_PROFILE}")


def parse_profile(text: str, origin: str = "profile") -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{origin}: not valid TOML: {e}") from None
    errors: list[str] = []
    profile = _build(data, errors)
    if not errors:
        errors.extend(unplayable(profile))
    if errors:
        count = f"{len(errors)} problems" if len(errors) > 1 else "1 problem"
        raise ProfileError(f"{origin}: {count}: " + "; ".join(errors))
    return profile


def _build(data: Mapping[str, Any], errors: list[str]) -> Profile:
    top = specs(Profile)
    kinds = {k.value: k for k in SETTINGS_FOR_KIND}
    version = data.get("version")
    if type(version) is not int or version != PROFILE_VERSION:
        errors.append(f"version: must be {PROFILE_VERSION}, got {version!r}")
    values: dict[str, Any] = {}
    inputs: dict[InputId, Any] = {}
    for name, value in data.items():
        if name == "version":
            continue
        if name in top:
            _take(top[name], name, value, values, errors)
        elif name in kinds:
            inputs.update(_inputs(kinds[name], value, errors))
        else:
            errors.append(_unknown(name, [*top, *kinds, "version"]))
    return Profile(**values, inputs=MappingProxyType(inputs))


def _inputs(kind: InputKind, table: object, errors: list[str]) -> dict[InputId, Any]:
    if not isinstance(table, dict):
        errors.append(f"{kind}: must be tables like [{kind}.1]")
        return {}
    settings_type = SETTINGS_FOR_KIND[kind]
    fields = specs(settings_type)
    found: dict[InputId, Any] = {}
    for number, entries in table.items():
        where = f"{kind}.{number}"
        if not (number.isdigit() and int(number) >= 1):
            errors.append(f"{where}: inputs are numbered from 1, as labelled on the box")
            continue
        if not isinstance(entries, dict):
            errors.append(f"{where}: must be a table of settings")
            continue
        iid = input_id(kind, int(number))
        values: dict[str, Any] = {}
        for name, value in entries.items():
            if name in fields:
                _take(fields[name], f"{where}.{name}", value, values, errors, key=name)
            else:
                errors.append(_unknown(f"{where}.{name}", list(fields), name))
        # Unmentioned fields take the default for that input (its number as degree).
        found[iid] = dataclasses.replace(default_settings(iid), **values)
    return found


def _take(
    spec: Any,
    where: str,
    value: object,
    into: dict[str, Any],
    errors: list[str],
    key: str | None = None,
) -> None:
    try:
        into[key or where] = from_toml(spec, value)
    except ValueError as e:
        errors.append(f"{where}: {e}")


def _unknown(where: str, valid: list[str], name: str | None = None) -> str:
    name = name or where
    hint = difflib.get_close_matches(name, valid, n=1)
    did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
    return f"{where}: unknown field{did_you_mean} (valid: {', '.join(valid)})"


# -- saving -----------------------------------------------------------------


def dump_profile(profile: Profile) -> str:
    """The TOML text for a profile, in a stable, hand-editable layout."""
    lines = [f"version = {profile.version}"]
    for name in specs(Profile):
        lines.append(f"{name} = {_toml_value(getattr(profile, name))}")
    by_kind: dict[str, list[tuple[int, Any]]] = {}
    for iid, settings in profile.inputs.items():
        kind, _, number = iid.partition(":")
        by_kind.setdefault(kind, []).append((int(number), settings))
    for kind, entries in by_kind.items():
        for number, settings in sorted(entries, key=lambda e: e[0]):
            lines += ["", f"[{kind}.{number}]"]
            for name in specs(type(settings)):
                lines.append(f"{name} = {_toml_value(getattr(settings, name))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, str):  # StrEnum included
        return '"' + "".join(_toml_char(c) for c in str(value)) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _toml_char(c: str) -> str:
    # TOML basic strings forbid raw control characters; escape them.
    if c in '"\\':
        return "\\" + c
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\u{ord(c):04X}"
    return c


def save_profile(profile: Profile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` to ``path`` atomically, keeping the previous copy as ``.bak``."""
    path = Path(path)
    text = dump_profile(profile)
    parse_profile(text, origin=str(path))  # never write what we could not read back
    if path.exists():
        _keep_backup(path)
    write_text_atomic(path, text)


def _keep_backup(path: Path) -> None:
    """Make ``<name>.bak`` a copy of the current file without ever removing it.

    A hard link then a rename keeps ``path`` in place throughout, so a power
    cut at any instant leaves a readable profile.
    """
    backup = path.with_name(path.name + ".bak")
    staging = path.with_name(f".{path.name}.bak.tmp")
    staging.unlink(missing_ok=True)
    try:
        try:
            os.link(path, staging)
        except OSError:  # e.g. a FAT data partition: no hard links
            staging.write_bytes(path.read_bytes())
        os.replace(staging, backup)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
