"""A JSON Schema (draft 2020-12) for profile files, for the setup UI's forms.

Built from the same declarations the loader uses (:func:`fields.specs` on
:class:`Profile` and each input's settings), so a field added there appears
here with its type, help, default, choices and range, and the form can never
offer a value the box would refuse for a single field. What the schema cannot
say (a beam's ``near`` below its ``far``, a pad's release threshold below its
touch threshold, notes within the keyboard) the loader still checks; those
rules are in the descriptions.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from appliance.profile.accompaniment import SECTIONS
from appliance.profile.fields import MAX_TEXT_CHARS, InRange, Named, Spec, specs
from appliance.profile.inputs import SETTINGS_FOR_KIND
from appliance.profile.model import MAX_INPUT_NUMBER, PROFILE_VERSION, Profile

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:tonic:profile:v{PROFILE_VERSION}"

_JSON_TYPES: dict[type, str] = {int: "integer", float: "number", str: "string", bool: "boolean"}

_CROSS_FIELD_RULES: dict[str, str] = {
    "pad": "release_threshold must be less than touch_threshold.",
    "beam": "near must be less than far.",
}


def profile_schema() -> dict[str, Any]:
    """The schema of a profile file as JSON data (pass it to ``json.dumps``)."""
    kinds = {str(kind): settings for kind, settings in SETTINGS_FOR_KIND.items()}
    properties: dict[str, Any] = {
        "version": {
            "const": PROFILE_VERSION,
            "description": "the profile file format's version; older ones are upgraded on load",
        },
        **_fields(Profile),
    }
    for name, section in SECTIONS.items():
        properties[name] = _settings(name, section)
        properties[name]["description"] = f"the [{name}] section: {section.__doc__}"
    for kind in kinds:
        properties[kind] = {
            "type": "object",
            "description": (
                f"one table per {kind}, by its number on the box: [{kind}.1], [{kind}.2], ..."
            ),
            "propertyNames": {"$ref": "#/$defs/input_number"},
            "additionalProperties": {"$ref": f"#/$defs/{kind}"},
        }
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "Tonic profile",
        "description": (
            "One client's settings: key, scale, volume and how each input plays. "
            "Every note of a degree and octave must fall on the keyboard."
        ),
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": properties,
        "$defs": {
            "input_number": {
                "description": f"inputs are numbered from 1 to {MAX_INPUT_NUMBER}, as on the box",
                "enum": [str(n) for n in range(1, MAX_INPUT_NUMBER + 1)],
            },
            **{kind: _settings(kind, settings) for kind, settings in kinds.items()},
        },
    }


def _settings(kind: str, settings: type) -> dict[str, Any]:
    described = f"the settings of one {kind}"
    rule = _CROSS_FIELD_RULES.get(kind)
    return {
        "type": "object",
        "description": f"{described}; {rule}" if rule else described,
        "additionalProperties": False,
        "properties": _fields(settings),
    }


def _fields(cls: type) -> dict[str, Any]:
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    return {name: _field(spec, defaults[name]) for name, spec in specs(cls).items()}


def _field(spec: Spec, default: object) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": spec.help}
    if issubclass(spec.kind, enum.Enum):
        schema["type"] = "string"
        schema["enum"] = [str(member.value) for member in spec.kind]
        default = default.value if isinstance(default, enum.Enum) else default
    else:
        schema["type"] = _JSON_TYPES[spec.kind]
    if spec.kind is str:
        schema["maxLength"] = MAX_TEXT_CHARS
    if isinstance(spec.check, Named):
        schema["enum"] = list(spec.check.names())
    if isinstance(spec.check, InRange):
        schema["minimum"] = spec.check.lo
        schema["maximum"] = spec.check.hi
    if default is not dataclasses.MISSING:
        schema["default"] = default
    return schema
