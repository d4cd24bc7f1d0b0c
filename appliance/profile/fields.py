"""Typed, validated profile fields.

Each settings dataclass declares its fields with :func:`setting`, which
records the type, the check and a line of help. From that one declaration
come: loading from TOML (types must match), ``set <input>.<field>=<value>``
from scripts and the control API (text is parsed), and the "valid fields"
list in error messages. Adding a field is one line.

Messages quote at most an excerpt of a bad value (:func:`appliance.textfile.excerpt`):
a hand-edited file may hold a 4,000-character name, and the message must stay
one readable line.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.textfile import excerpt

MAX_TEXT_CHARS = 200
"""The longest text setting (a name, a controller's line of actions): longer is a mistake."""

MAX_MESSAGE_CHARS = 300
"""A check's message longer than this (it quoted a whole value) is cut."""

Check = Callable[[Any], Any]
"""Validates a value and returns it, normalised (e.g. a scale name spelled canonically)."""


@dataclass(frozen=True, slots=True)
class Spec:
    kind: type
    help: str
    check: Check | None = None


def setting(default: Any, kind: type, help: str, check: Check | None = None) -> Any:
    """Declare a dataclass field as a profile setting."""
    return dataclasses.field(default=default, metadata={"spec": Spec(kind, help, check)})


def specs(cls: type) -> dict[str, Spec]:
    """The settings a dataclass declares, in declaration order."""
    return {f.name: f.metadata["spec"] for f in dataclasses.fields(cls) if "spec" in f.metadata}


@dataclass(frozen=True, slots=True)
class InRange:
    """The check ``in_range`` makes; its bounds are kept for the JSON Schema (schema.py)."""

    lo: float
    hi: float

    def __call__(self, value: float) -> float:
        if not self.lo <= value <= self.hi:
            raise ValueError(f"must be in range {self.lo}..{self.hi}, got {_number(value)}")
        return value


def in_range(lo: float, hi: float) -> Check:
    return InRange(lo, hi)


@dataclass(frozen=True, slots=True)
class Named:
    """A check that takes one of a list of names (a song, a loop), and the list itself.

    ``names`` is kept for the JSON Schema, so the setup UI offers the list to choose
    from; it is called only when the schema is made, since it may load files.
    """

    resolve: Check
    names: Callable[[], tuple[str, ...]]

    def __call__(self, value: str) -> str:
        return str(self.resolve(value))


_BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEAN_WORDS |= {"false": False, "no": False, "off": False, "0": False}


def from_toml(spec: Spec, value: object) -> Any:
    """Take a value as TOML gave it; the type must already be right."""
    kind = spec.kind
    if issubclass(kind, enum.Enum):
        if not isinstance(value, str):
            raise ValueError(f"must be text, one of {_choices(kind)}, got {_show(value)}")
        return _enum(kind, value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not kind:
        raise ValueError(f"must be {_kind_name(kind)}, got {_show(value)}")
    return _checked(spec, value)


def from_text(spec: Spec, text: str) -> Any:
    """Parse a value typed by a therapist (``set switch:1.degree=3``)."""
    kind = spec.kind
    text = text.strip()
    if issubclass(kind, enum.Enum):
        return _enum(kind, text)
    if kind is bool:  # bool("false") is True: read the words a person types
        word = _BOOLEAN_WORDS.get(text.lower())
        if word is None:
            raise ValueError(f"must be true or false, got {excerpt(text)}")
        return _checked(spec, word)
    try:
        parse: Callable[[str], Any] = kind
        value = parse(text) if kind is not str else text
    except ValueError:
        raise ValueError(f"must be {_kind_name(kind)}, got {excerpt(text)}") from None
    return _checked(spec, value)


def _checked(spec: Spec, value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"must be at most {MAX_TEXT_CHARS} characters, got {excerpt(value)}")
    if spec.check is None:
        return value
    try:
        return spec.check(value)
    except ValueError as e:
        # A check from elsewhere (note names, instruments) may quote the whole value.
        message = str(e)
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "…"
        raise ValueError(message) from None


def _enum(kind: type[enum.Enum], text: str) -> enum.Enum:
    try:
        return kind(text.lower())
    except ValueError:
        raise ValueError(f"must be one of {_choices(kind)}, got {excerpt(text)}") from None


def _choices(kind: type[enum.Enum]) -> str:
    return ", ".join(str(m.value) for m in kind)


def _kind_name(kind: type) -> str:
    return {int: "a whole number", float: "a number", str: "text", bool: "true or false"}.get(
        kind, kind.__name__
    )


def _show(value: object) -> str:
    return f"{excerpt(value)} ({_kind_name(type(value))})"


def _number(value: object) -> str:
    # A float as Python prints it (1.5, nan); a 4,000-digit integer as an excerpt.
    shown = str(value)
    return shown if len(shown) <= 40 else excerpt(value)
