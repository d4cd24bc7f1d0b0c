"""Profile schema versions: older files are brought up to date, newer ones refused plainly."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.errors import ProfileError
from appliance.profile import default_profile, dump_profile, load_profile
from appliance.profile.migrate import MIGRATIONS, upgrade
from appliance.profile.model import PROFILE_VERSION
from appliance.profile.store import parse_profile


def _far_becomes_reach(data: dict[str, Any]) -> dict[str, Any]:
    """The docstring's example step: version 2 calls a beam's ``far`` ``reach``."""
    beams = {n: dict(t) for n, t in data.get("beam", {}).items()}
    for table in beams.values():
        if "far" in table:
            table["reach"] = table.pop("far")
    return {**data, "beam": beams}


def _adds_a_tempo(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "tempo": 90}


def test_todays_version_passes_through_unchanged():
    data = {"version": PROFILE_VERSION, "name": "Anna", "switch": {"1": {"degree": 3}}}
    assert upgrade(data) == data


def test_every_version_before_todays_has_a_step():
    # A gap would strand every file of that version on the next update.
    assert sorted(MIGRATIONS) == list(range(1, PROFILE_VERSION))


def test_a_file_from_a_newer_tonic_is_refused_saying_so():
    with pytest.raises(ProfileError) as e:
        parse_profile(f'version = {PROFILE_VERSION + 1}\nname = "Anna"\n', "anna.toml")
    message = str(e.value)
    assert message.startswith("anna.toml: made by a newer Tonic")
    assert f"version {PROFILE_VERSION + 1}" in message
    assert "update the box's software" in message
    assert "\n" not in message


def test_a_huge_version_number_is_not_echoed():
    with pytest.raises(ProfileError, match="newer Tonic") as e:
        parse_profile("version = " + "9" * 18 + "\n", "anna.toml")
    assert "9" * 10 not in str(e.value)


@pytest.mark.parametrize("version", ["0", "-3", '"1"', "true", "1.0"])
def test_a_malformed_version_is_left_for_the_builder_to_report(version):
    with pytest.raises(ProfileError, match=r"1 problem: version: must be 1"):
        parse_profile(f"version = {version}\n", "anna.toml")


def test_steps_run_in_order_from_the_files_version_to_todays():
    steps = {1: _far_becomes_reach, 2: _adds_a_tempo}
    v1 = {"version": 1, "name": "Anna", "beam": {"1": {"near": 0.2, "far": 0.9}}}
    assert upgrade(v1, current=3, steps=steps) == {
        "version": 3,
        "name": "Anna",
        "beam": {"1": {"near": 0.2, "reach": 0.9}},
        "tempo": 90,
    }
    # A version 2 file takes only the second step.
    v2 = {"version": 2, "beam": {"1": {"reach": 0.5}}}
    assert upgrade(v2, current=3, steps=steps) == {**v2, "version": 3, "tempo": 90}


def test_a_missing_step_is_refused_rather_than_skipped():
    with pytest.raises(ProfileError, match="version 2 cannot be brought up to version 3"):
        upgrade({"version": 1}, "anna.toml", current=3, steps={1: _far_becomes_reach})


def test_loading_goes_through_the_upgrade(tmp_path):
    path = tmp_path / "anna.toml"
    path.write_text(dump_profile(default_profile()))
    assert load_profile(path) == default_profile()
    path.write_text(f"version = {PROFILE_VERSION + 1}\n")
    with pytest.raises(ProfileError, match="made by a newer Tonic"):
        load_profile(path)
