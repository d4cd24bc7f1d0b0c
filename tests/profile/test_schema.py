"""The profile JSON Schema agrees with the loader, field by field.

Checked with the jsonschema package (an independent validator) against real
profiles, and against the loader on the edges of every field's range.
"""

from __future__ import annotations

import enum
import tomllib
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from appliance.errors import ProfileError
from appliance.profile import Profile, default_profile, dump_profile
from appliance.profile.accompaniment import SECTIONS
from appliance.profile.fields import specs
from appliance.profile.inputs import SETTINGS_FOR_KIND
from appliance.profile.model import MAX_INPUT_NUMBER
from appliance.profile.schema import DRAFT, profile_schema
from appliance.profile.store import parse_profile

SCHEMA = profile_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
KINDS = {str(kind): settings for kind, settings in SETTINGS_FOR_KIND.items()}


def schema_errors(data: dict[str, Any]) -> list[str]:
    """Where the schema finds fault, as dotted paths like ``switch.1.mode``."""
    return sorted({".".join(map(str, e.absolute_path)) for e in VALIDATOR.iter_errors(data)})


def loader_message(data: dict[str, Any]) -> str:
    """The loader's complaint about ``data`` as TOML, or '' when it loads."""
    try:
        parse_profile(toml_text(data), "p.toml")
    except ProfileError as e:
        return str(e)
    return ""


def toml_text(data: dict[str, Any]) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for kind, tables in data.items():
        if isinstance(tables, dict):
            for number, table in tables.items():
                lines.append(f'[{kind}."{number}"]')
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return repr(value)


def test_it_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == DRAFT
    Draft202012Validator.check_schema(SCHEMA)


def test_it_declares_every_field_the_loader_knows():
    assert set(SCHEMA["properties"]) == {"version", *specs(Profile), *SECTIONS, *KINDS}
    for name, section in SECTIONS.items():
        assert list(SCHEMA["properties"][name]["properties"]) == list(specs(section))
    for kind, settings in KINDS.items():
        declared = SCHEMA["$defs"][kind]["properties"]
        assert list(declared) == list(specs(settings))
        for name, spec in specs(settings).items():
            assert declared[name]["description"] == spec.help


def starter_files() -> list[str]:
    return sorted(
        f.name for f in resources.files("appliance.profiles").iterdir() if f.name.endswith(".toml")
    )


@pytest.mark.parametrize("name", starter_files())
def test_every_shipped_profile_meets_the_schema(name):
    text = resources.files("appliance.profiles").joinpath(name).read_text("utf-8")
    assert schema_errors(tomllib.loads(text)) == []


def test_a_saved_profile_meets_the_schema():
    profile = default_profile().with_setting("switch:2.mode", "chord")
    assert schema_errors(tomllib.loads(dump_profile(profile))) == []


def test_the_schema_names_both_bad_fields_as_the_loader_does():
    data = {"version": 1, "name": "x", "switch": {"1": {"mode": "lach", "velocity": 300}}}
    assert schema_errors(data) == ["switch.1.mode", "switch.1.velocity"]
    message = loader_message(data)
    assert "switch.1.mode" in message
    assert "switch.1.velocity" in message


def test_enums_list_their_choices_and_ranges_their_bounds():
    switch = SCHEMA["$defs"]["switch"]["properties"]
    assert switch["mode"]["enum"] == ["note", "latch", "chord", "sequence", "choice"]
    assert (switch["velocity"]["minimum"], switch["velocity"]["maximum"]) == (1, 127)
    assert switch["velocity"]["type"] == "integer"
    assert SCHEMA["properties"]["volume"]["type"] == "number"
    assert SCHEMA["$defs"]["beam"]["properties"]["mode"]["default"] == "zones"


def test_songs_and_loops_are_listed_by_the_names_the_box_knows():
    from appliance.music.loops import loop_names
    from appliance.music.songs import song_names

    switch = SCHEMA["$defs"]["switch"]["properties"]
    assert switch["song"]["enum"] == list(song_names())
    assert switch["choice"]["enum"] == ["", *song_names(), *loop_names()]
    assert SCHEMA["properties"]["loop"]["properties"]["name"]["enum"] == ["", *loop_names()]


def bad_values(field: dict[str, Any]) -> list[object]:
    wrong_type = "text" if field["type"] != "string" else 5
    values: list[object] = [wrong_type, [1]]
    if "enum" in field:
        values.append("nonsense")
    if "minimum" in field:
        values += [field["minimum"] - 1, field["maximum"] + 1]
    if "maxLength" in field:
        values.append("x" * (field["maxLength"] + 1))
    return values


def good_values(field: dict[str, Any]) -> list[object]:
    values: list[object] = [field["default"], *field.get("enum", [])]
    if "minimum" in field:
        values += [field["minimum"], field["maximum"]]
    return values


def every_field() -> list[tuple[str, str]]:
    return [(kind, name) for kind, settings in KINDS.items() for name in specs(settings)]


@pytest.mark.parametrize(("kind", "name"), every_field())
def test_schema_and_loader_agree_on_each_fields_edges(kind, name):
    field = SCHEMA["$defs"][kind]["properties"][name]
    where = f"{kind}.1.{name}"
    for value in bad_values(field):
        data = {"version": 1, kind: {"1": {name: value}}}
        assert schema_errors(data) == [where], value
        assert f"{where}: " in loader_message(data), value
    for value in good_values(field):
        data = {"version": 1, kind: {"1": {name: value}}}
        assert schema_errors(data) == [], value
        # Alone, the value is fine; the loader may still refuse a combination
        # (near beyond far), which it reports against the input, not the field.
        assert f"{where}: " not in loader_message(data), value


@pytest.mark.parametrize("name", list(specs(Profile)))
def test_schema_and_loader_agree_on_top_level_fields(name):
    field = SCHEMA["properties"][name]
    for value in bad_values(field):
        data = {"version": 1, name: value}
        assert schema_errors(data) == [name], value
        assert f"p.toml: 1 problem: {name}: " in loader_message(data), value


@pytest.mark.parametrize(
    "number", ["0", "01", str(MAX_INPUT_NUMBER + 1), "x"], ids=["zero", "01", "too-big", "x"]
)
def test_input_numbers_outside_the_box_are_refused_by_both(number):
    data = {"version": 1, "pad": {number: {"degree": 2}}}
    assert schema_errors(data) != []
    assert loader_message(data) != ""


def test_unknown_fields_and_versions_are_refused_by_both():
    for data in (
        {"version": 1, "colour": "red"},
        {"version": 1, "switch": {"1": {"colour": "red"}}},
        {"version": 2},
        {"name": "no version"},
    ):
        assert schema_errors(data) != [], data
        assert loader_message(data) != "", data


def test_enum_defaults_are_plain_text():
    for kind, settings in KINDS.items():
        for name, spec in specs(settings).items():
            if issubclass(spec.kind, enum.Enum):
                assert type(SCHEMA["$defs"][kind]["properties"][name]["default"]) is str
