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
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from appliance.atomic import write_text_atomic
from appliance.errors import ProfileError
from appliance.events import InputId, InputKind, input_id, is_midi, midi_input_id
from appliance.profile.accompaniment import SECTIONS
from appliance.profile.fields import from_toml, specs
from appliance.profile.inputs import SETTINGS_FOR_KIND, default_settings
from appliance.profile.migrate import upgrade
from appliance.profile.model import (
    INPUT_NUMBERS,
    MAX_INPUT_NUMBER,
    PROFILE_VERSION,
    Profile,
    unplayable,
)
from appliance.textfile import (
    EXCERPT_CHARS,
    MAX_SETTINGS_BYTES,
    BadToml,
    UnreadableFile,
    excerpt,
    parse_toml,
    read_text_file,
    show_path,
)

DEFAULT_PROFILE = "default.toml"

MAX_PROBLEMS_SHOWN = 20
"""A file of 50,000 unknown keys gets a count, not 50,000 messages."""

INPUT_NUMBER = re.compile(r"[1-9][0-9]{0,2}")
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """The profile in ``path``; :class:`ProfileError` with one line for any bad file."""
    try:
        text = read_text_file(path, what="profile", max_bytes=MAX_SETTINGS_BYTES)
    except UnreadableFile as e:
        raise ProfileError(str(e)) from None
    return parse_profile(text, origin=show_path(path))


def default_profile() -> Profile:
    """The profile that ships inside the package."""
    text = resources.files("appliance.profiles").joinpath(DEFAULT_PROFILE).read_text("utf-8")
    return parse_profile(text, origin=f"built-in {DEFAULT_PROFILE}")


def parse_profile(text: str, origin: str = "profile") -> Profile:
    """A profile from TOML ``text``, or :class:`ProfileError` listing every problem.

    ``origin`` (usually the file's path) starts the message.
    """
    if len(text) > MAX_SETTINGS_BYTES:  # text from elsewhere than load_profile (the socket)
        raise ProfileError(
            f"{origin}: too large for a profile (the limit is {MAX_SETTINGS_BYTES:,} bytes)"
        )
    try:
        data = parse_toml(text, origin=origin)
    except BadToml as e:
        raise ProfileError(str(e)) from None
    data = upgrade(data, origin)  # an older version's file becomes today's
    errors: list[str] = []
    profile, clean = _build(data, errors)
    # Cross-field checks run over whatever parsed cleanly, so they are reported
    # with the other problems rather than only once those are fixed.
    errors.extend(unplayable(profile, clean.inputs, check_range=clean.key_and_scale))
    if errors:
        raise ProfileError(f"{origin}: {_summary(errors)}")
    return profile


def _summary(errors: list[str]) -> str:
    count = f"{len(errors)} problems" if len(errors) > 1 else "1 problem"
    shown = errors[:MAX_PROBLEMS_SHOWN]
    more = len(errors) - len(shown)
    return f"{count}: " + "; ".join(shown) + (f"; and {more} more" if more else "")


@dataclasses.dataclass(frozen=True, slots=True)
class _Clean:
    """What parsed without a problem, for the cross-field checks."""

    inputs: tuple[InputId, ...]
    key_and_scale: bool


def _build(data: Mapping[str, Any], errors: list[str]) -> tuple[Profile, _Clean]:
    top = specs(Profile)
    kinds = {k.value: k for k in SETTINGS_FOR_KIND}
    version = data.get("version")
    if type(version) is not int or version != PROFILE_VERSION:
        errors.append(f"version: must be {PROFILE_VERSION}, got {excerpt(version)}")
    values: dict[str, Any] = {}
    inputs: dict[InputId, Any] = {}
    clean: list[InputId] = []
    key_and_scale = True
    for name, value in data.items():
        if name == "version":
            continue
        if name in top:
            if not _take(top[name], name, value, values, errors):
                key_and_scale = key_and_scale and name not in ("key", "scale")
        elif name in SECTIONS:
            values[name] = _section(name, value, errors)
        elif name in kinds:
            found, ok = _inputs(kinds[name], value, errors)
            inputs.update(found)
            clean += ok
        else:
            errors.append(_unknown(_key(name), [*top, *SECTIONS, *kinds, "version"], name))
    profile = Profile(**values, inputs=MappingProxyType(inputs))
    return profile, _Clean(tuple(clean), key_and_scale)


def _section(name: str, table: object, errors: list[str]) -> Any:
    """A section such as ``[loop]``: its fields, each checked; defaults for the rest."""
    settings_type = SECTIONS[name]
    if not isinstance(table, dict):
        errors.append(f"{name}: must be a table, [{name}]")
        return settings_type()
    fields = specs(settings_type)
    values: dict[str, Any] = {}
    for field, value in table.items():
        if field in fields:
            _take(fields[field], f"{name}.{field}", value, values, errors, key=field)
        else:
            errors.append(_unknown(f"{name}.{_key(field)}", list(fields), field))
    return settings_type(**values)


def _inputs(
    kind: InputKind, table: object, errors: list[str]
) -> tuple[dict[InputId, Any], list[InputId]]:
    """The inputs of one kind, and which of them had no problem."""
    if not isinstance(table, dict):
        errors.append(f"{kind}: must be tables like [{kind}.1]")
        return {}, []
    settings_type = SETTINGS_FOR_KIND[kind]
    fields = specs(settings_type)
    found: dict[InputId, Any] = {}
    clean: list[InputId] = []
    for number, entries in table.items():
        where = f"{kind}.{_key(number)}"
        problem = _input_number_problem(kind, number)
        if problem:
            errors.append(f"{where}: {problem}")
            continue
        if not isinstance(entries, dict):
            errors.append(f"{where}: must be a table of settings")
            continue
        iid = midi_input_id(number) if kind is InputKind.MIDI else input_id(kind, int(number))
        values: dict[str, Any] = {}
        ok = True
        for name, value in entries.items():
            if name in fields:
                ok = _take(fields[name], f"{where}.{name}", value, values, errors, key=name) and ok
            else:
                errors.append(_unknown(f"{where}.{_key(name)}", list(fields), name))
                ok = False
        # Unmentioned fields take the default for that input (its number as degree).
        found[iid] = dataclasses.replace(default_settings(iid), **values)
        if ok:
            clean.append(iid)
    return found, clean


def _input_number_problem(kind: InputKind, number: str) -> str | None:
    if kind is InputKind.MIDI:  # a device is named, not numbered
        try:
            midi_input_id(number)
        except ValueError as e:
            return str(e)
        return None
    # Plain ASCII digits only ("²".isdigit() is true, and int() reads other
    # scripts' digits), and no leading zeros: [switch.01] would silently
    # replace [switch.1].
    if INPUT_NUMBER.fullmatch(number):
        return None if int(number) <= MAX_INPUT_NUMBER else INPUT_NUMBERS
    plain = number.lstrip("0")
    if plain != number and INPUT_NUMBER.fullmatch(plain) and int(plain) <= MAX_INPUT_NUMBER:
        return f"write input numbers without leading zeros, as [{kind}.{plain}]"
    return INPUT_NUMBERS


def _key(name: str) -> str:
    """A TOML key for a message: bare when short and plain, else a quoted excerpt."""
    return name if BARE_KEY.fullmatch(name) and len(name) <= EXCERPT_CHARS else excerpt(name)


def _take(
    spec: Any,
    where: str,
    value: object,
    into: dict[str, Any],
    errors: list[str],
    key: str | None = None,
) -> bool:
    """Store the checked value, or record the problem; say which happened."""
    try:
        into[key or where] = from_toml(spec, value)
    except ValueError as e:
        errors.append(f"{where}: {e}")
        return False
    return True


def _unknown(where: str, valid: list[str], name: str | None = None) -> str:
    name = name or where
    # difflib is quadratic in the name's length; no real field is long.
    hint = difflib.get_close_matches(name, valid, n=1) if len(name) <= EXCERPT_CHARS else []
    did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
    return f"{where}: unknown field{did_you_mean} (valid: {', '.join(valid)})"


# -- saving -----------------------------------------------------------------


def dump_profile(profile: Profile) -> str:
    """The TOML text for a profile, in a stable, hand-editable layout."""
    lines = [f"version = {profile.version}"]
    for name in specs(Profile):
        lines.append(f"{name} = {_toml_value(getattr(profile, name))}")
    for name in SECTIONS:
        section = getattr(profile, name)
        lines += ["", f"[{name}]"]
        lines += [f"{f} = {_toml_value(getattr(section, f))}" for f in specs(type(section))]
    by_kind: dict[str, list[tuple[int | str, Any]]] = {}
    for iid, settings in profile.inputs.items():
        kind, _, number = iid.partition(":")
        by_kind.setdefault(kind, []).append((number if is_midi(iid) else int(number), settings))
    for kind, entries in by_kind.items():
        for n, settings in sorted(entries, key=lambda e: (str(type(e[0])), e[0])):
            lines += ["", f"[{kind}.{n}]"]
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
