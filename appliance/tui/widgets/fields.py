"""An input's settings as form fields, read from the box's ``profile.schema``.

Pure functions of plain JSON (no drawing, no box): the schema says each
field's type, range, choices, default and a line of help; this module adds the
words a therapist reads beside it (what ``accept_ms`` does for a client with
tremor) and the value the form shows (the profile's, else the default), so a
field the box gains appears in the form without a change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    """How a field is edited: chosen from a list, typed as a number, or typed as text."""

    CHOICE = "choice"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    INSTRUMENT = "instrument"


#: Fields chosen from the General MIDI list rather than typed.
INSTRUMENT_KEY = "instrument"

#: What a therapist reads beside a field: what it does for the client, in plain words.
#: A field not named here shows the schema's own line of help.
EXPLAIN: dict[str, str] = {
    "mode": "note: sounds while held · latch: one press on, the next off · chord: a chord",
    "instrument": "the sound this input plays (Enter to choose, ctrl+t to hear it)",
    "degree": "which note of the scale: 1 is the key note, 2 the next one up, and so on",
    "octave": "how high: 4 is around middle C, lower numbers are deeper",
    "velocity": "how hard the note is struck: 1 is softest, 127 loudest",
    "accept_ms": (
        "contact must last this long to count: for a client with tremor, "
        "150-300 ms ignores brief brushes"
    ),
    "release_ms": (
        "a gap must last this long to end the note: keeps a shaky press from stuttering"
    ),
    "lockout_ms": (
        "ignore repeats this long after a press: stops bounces and rapid double presses"
    ),
    "max_note_s": (
        "the longest a note may sound, so a switch left pressed does not drone (0: no limit)"
    ),
    "touch_threshold": (
        "how firm a touch must be: lower = more sensitive, for a light touch; "
        "higher for fruit or foil"
    ),
    "release_threshold": (
        "how far a touch must ease off to let go: lower = more sensitive; keep it below the touch"
    ),
    "near": "the nearest distance that plays: closer than this is silent",
    "far": "the farthest distance that plays: beyond this is silent",
    "zones": "how many notes the beam is split into, nearest first",
    "hysteresis_m": "how far past a zone's edge the hand must go to change note: stops warbling",
    "expression": "what the hand's distance changes in expression mode",
    "trigger_m": "in trigger mode, a hand closer than this counts as a press",
    "confirm_ms": "how long a sudden jump waits to be confirmed: ignores stray echoes",
}

#: Short names for the form's labels; others are the key in words.
LABELS: dict[str, str] = {
    "accept_ms": "Accept after",
    "release_ms": "Release after",
    "lockout_ms": "Lock out",
    "max_note_s": "Longest note",
    "touch_threshold": "Touch",
    "release_threshold": "Release",
    "hysteresis_m": "Hysteresis",
    "trigger_m": "Trigger at",
    "confirm_ms": "Confirm",
}

#: What an empty choice means, for the fields where it is not "none".
_BLANK_CHOICE = {"choice": "the song above"}

_UNITS = (("_ms", "ms"), ("_s", "s"), ("_m", "m"))
_METRES = frozenset({"near", "far"})


@dataclass(frozen=True)
class FieldSpec:
    """One setting of an input, as the form shows and edits it."""

    key: str
    type: FieldType
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None

    @property
    def label(self) -> str:
        return LABELS.get(self.key, self.key.replace("_", " ").capitalize())

    @property
    def unit(self) -> str:
        if self.key in _METRES:
            return "m"
        return next((unit for end, unit in _UNITS if self.key.endswith(end)), "")

    @property
    def explanation(self) -> str:
        return EXPLAIN.get(self.key, self.help)

    def choice_label(self, choice: str) -> str:
        """A choice as the list shows it: an empty one says what it means."""
        return choice or f"({_BLANK_CHOICE.get(self.key, 'none')})"

    @property
    def range_text(self) -> str:
        """``0..5000 ms``, or "" when the schema gives no range."""
        if self.minimum is None or self.maximum is None:
            return ""
        return f"{_number(self.minimum)}..{_number(self.maximum)} {self.unit}".rstrip()


def fields_of(schema: Mapping[str, Any] | None, kind: str) -> list[FieldSpec]:
    """The settings of one kind of input (``switch``, ``pad``, ``beam``), in schema order."""
    if not schema:
        return []
    defs = schema.get("$defs")
    found = defs.get(kind) if isinstance(defs, dict) else None
    properties = found.get("properties") if isinstance(found, dict) else None
    if not isinstance(properties, dict):
        return []
    return [_spec(key, p) for key, p in properties.items() if isinstance(p, dict)]


def _spec(key: str, p: Mapping[str, Any]) -> FieldSpec:
    choices = tuple(str(c) for c in p.get("enum", ()))
    if key == INSTRUMENT_KEY:
        kind = FieldType.INSTRUMENT
    elif choices:
        kind = FieldType.CHOICE
    elif p.get("type") == "integer":
        kind = FieldType.INTEGER
    elif p.get("type") == "number":
        kind = FieldType.NUMBER
    else:
        kind = FieldType.TEXT
    low, high = p.get("minimum"), p.get("maximum")
    return FieldSpec(
        key=key,
        type=kind,
        help=str(p.get("description", "")),
        choices=choices,
        minimum=low if isinstance(low, int | float) else None,
        maximum=high if isinstance(high, int | float) else None,
        default=p.get("default"),
    )


def value_text(spec: FieldSpec, settings: Mapping[str, Any]) -> str:
    """The field's value as the form shows it and ``set`` takes it: the profile's, else
    the schema's default (an input not in the profile plays with the defaults)."""
    value = settings.get(spec.key, spec.default)
    if value is None:
        return ""
    if isinstance(value, float):
        return _number(value)
    return str(value)


def _number(value: float) -> str:
    """``30.0`` → ``30``; ``0.15`` → ``0.15``: numbers as a person writes them."""
    return f"{value:g}" if isinstance(value, float) else str(value)
