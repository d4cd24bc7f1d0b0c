"""The library's methods on the control socket, against a service in this process."""

from __future__ import annotations

import pytest

from appliance.control.api import ControlError, ErrorCode


def names(client):
    return {p["name"] for p in client.call("profile.list")}


def test_new_rename_and_delete_a_profile(client):
    made = client.call("profile.new", {"name": "Ana", "from": "Calm space"})
    assert made == {"name": "Ana", "slug": "ana"}
    assert client.call("profile.get", {"name": "Ana"})["profile"]["volume"] == 0.35
    renamed = client.call("profile.rename", {"name": "Ana", "new_name": "Ana Lucia"})
    assert renamed["slug"] == "ana-lucia"
    assert "Ana Lucia" in names(client) and "Ana" not in names(client)
    client.call("profile.delete", {"name": "Ana Lucia"})
    assert "Ana Lucia" not in names(client)


def test_renaming_the_profile_playing_renames_it_in_place(client):
    client.call("profile.save_as", {"name": "Morning"})
    client.call("set", {"key": "F"})
    client.call("profile.rename", {"name": "Morning", "new_name": "Mornings"})
    status = client.call("status")
    assert (status["profile"], status["profile_slug"], status["key"]) == (
        "Mornings",
        "mornings",
        "F",
    )
    assert status["unsaved"] is True  # the key change is still not saved


def test_import_takes_toml_text_and_refuses_a_broken_one(client):
    text = client.call("profile.get", {"name": "First steps"})["toml"].replace(
        'name = "First steps"', 'name = "From a stick"'
    )
    assert client.call("profile.import", {"text": text})["slug"] == "from-a-stick"
    with pytest.raises(ControlError) as e:
        client.call("profile.import", {"text": 'version = 1\nname = "x"\nkey = "H"\n'})
    assert e.value.code == ErrorCode.REFUSED and "key" in e.value.message


def test_a_starter_cannot_be_renamed(client):
    with pytest.raises(ControlError) as e:
        client.call("profile.rename", {"name": "First steps", "new_name": "Mine"})
    assert "starter" in e.value.message


def test_the_schema_and_the_instruments_are_there_for_forms(client):
    schema = client.call("profile.schema")
    assert schema["type"] == "object" and "key" in schema["properties"]
    instruments = client.call("instruments.list")
    assert len(instruments) >= 128 + 1
    assert {"number": 1, "name": "acoustic_grand_piano"}.items() <= instruments[0].items()


def test_status_shows_the_ceiling_and_the_audio_buffer(client):
    status = client.call("status")
    assert 0 < status["gain"] <= status["gain_ceiling"]
    assert status["audio"]["period_size"] == 64 and status["audio"]["latency_ms"] == 4.0


def test_a_profiles_json_carries_its_loop_and_turns(client):
    got = client.call("profile.get", {"name": "Band"})["profile"]
    assert got["loop"]["play"] is True and got["loop"]["name"]
    assert got["turns"]["pass_after"] in ("notes", "phrase", "time", "command")
    assert any(settings.get("player") for settings in got["inputs"].values())
