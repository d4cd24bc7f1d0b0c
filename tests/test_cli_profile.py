"""``tonic profile``: what a therapist sees when managing profiles from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.profile import default_profile, dump_profile, load_profile
from appliance.profile.library import ProfileLibrary
from appliance.profile.schema import profile_schema
from appliance.profile.store import parse_profile

TONIC = Path(sys.executable).with_name("tonic")
BROKEN = 'version = 1\nname = "x"\n[switch.1]\nmode = "lach"\nvelocity = 300\n'
STARTERS = [
    "Band",
    "Beam explorer",
    "Calm space",
    "Default",
    "First steps",
    "Pentatonic pads",
    "Song time",
]


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    return tmp_path / "data"


def profile(data: Path, *args: str | Path) -> int:
    return main(["profile", "--data-dir", str(data), *map(str, args)])


def one_line_error(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tonic: error: ")
    return lines[0]


def test_list_shows_the_starters_in_an_empty_library(data, capsys):
    assert profile(data, "list") == 0
    out, err = capsys.readouterr()
    rows = out.splitlines()
    assert [row.split("  ")[1].strip() for row in rows[:-1]] == STARTERS
    assert all(row.endswith("starter") for row in rows[:-1])
    assert rows[-1] == f"0 of your own and {len(STARTERS)} starters, in {data / 'profiles'}"
    assert err == ""


def test_list_shows_a_therapists_profiles_the_last_used_and_problems(data, capsys):
    assert profile(data, "new", "Anna", "--from", "calm space") == 0
    (data / "profiles" / "broken.toml").write_text(BROKEN)
    (data / "last-profile").write_text("anna\n")
    capsys.readouterr()
    assert profile(data, "list") == 0
    out = capsys.readouterr().out
    rows = out.splitlines()
    assert rows[0] == "  Anna             anna.toml, last used"
    assert "broken.toml, PROBLEM: " in out
    assert "switch.1.mode" in out
    assert out.splitlines()[-1].startswith(f"2 of your own and {len(STARTERS)} starters")


def test_show_prints_a_starters_toml_with_its_comments(data, capsys):
    assert profile(data, "show", "first steps") == 0
    out, err = capsys.readouterr()
    assert out.startswith("# First steps")
    assert parse_profile(out).name == "First steps"
    assert err == ""


def test_show_of_a_damaged_profile_warns_and_prints_the_backup(data, capsys):
    assert profile(data, "new", "Anna") == 0
    assert profile(data, "rename", "anna", "Anna") == 0  # a second save: now a backup exists
    (data / "profiles" / "anna.toml").write_text("")
    capsys.readouterr()
    assert profile(data, "show", "Anna") == 0
    out, err = capsys.readouterr()
    assert parse_profile(out).name == "Anna"
    assert err.startswith("tonic: warning: ")
    assert "anna.toml: the file is empty" in err


def test_validate_a_good_file(data, tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(dump_profile(default_profile()))
    assert profile(data, "validate", good) == 0
    out = capsys.readouterr().out
    assert out == (
        f"{good}: a good profile, 'Default': C major_pentatonic, volume 0.6; "
        "4 switches, 12 pads, 1 beam\n"
    )


def test_validate_names_every_bad_field_on_one_line(data, tmp_path, capsys):
    bad = tmp_path / "broken.toml"
    bad.write_text(BROKEN)
    assert profile(data, "validate", bad) == 2
    line = one_line_error(capsys)
    assert f"{bad}: 2 problems" in line
    assert "switch.1.mode: must be one of note, latch, chord, sequence, choice, got 'lach'" in line
    assert "switch.1.velocity: must be in range 1..127, got 300" in line


def test_validate_a_missing_file(data, tmp_path, capsys):
    assert profile(data, "validate", tmp_path / "nope.toml") == 2
    assert "nope.toml" in one_line_error(capsys)


def test_new_rename_and_delete(data, capsys):
    assert profile(data, "new", "Anna", "--from", "First steps") == 0
    assert capsys.readouterr().out == "made 'Anna' (anna.toml), a copy of 'First steps'\n"
    assert profile(data, "new", "anna") == 2
    assert "already exists" in one_line_error(capsys)
    assert profile(data, "rename", "Anna", "Anna B") == 0
    assert capsys.readouterr().out == "renamed 'Anna' to 'Anna B' (anna-b.toml)\n"
    assert profile(data, "delete", "Anna B", "--yes") == 0
    assert capsys.readouterr().out == "deleted 'Anna B'\n"
    assert not any((data / "profiles").iterdir())


def test_deleting_a_copy_of_a_starter_says_the_starter_shows_again(data, capsys):
    assert profile(data, "new", "Calm space", "--from", "default") == 2  # the name is taken
    capsys.readouterr()
    (data / "profiles").mkdir(parents=True)
    (data / "profiles" / "calm-space.toml").write_text(
        dump_profile(ProfileLibrary("/nonexistent").load("Calm space").profile)
    )
    assert profile(data, "delete", "calm-space", "--yes") == 0
    assert capsys.readouterr().out == "deleted 'Calm space'\nthe starter 'Calm space' shows again\n"
    assert profile(data, "delete", "calm-space", "--yes") == 2
    assert "cannot be deleted" in one_line_error(capsys)


def test_delete_asks_first_and_needs_yes_without_a_terminal(data, capsys, monkeypatch):
    assert profile(data, "new", "Anna") == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal
    assert profile(data, "delete", "Anna") == 2
    assert "add --yes" in one_line_error(capsys)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert profile(data, "delete", "Anna") == 1
    assert capsys.readouterr().out == "kept it\n"
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert profile(data, "delete", "Anna") == 0
    assert not (data / "profiles" / "anna.toml").exists()


def test_import_and_export(data, tmp_path, capsys):
    source = tmp_path / "from-usb.toml"
    source.write_text(dump_profile(default_profile().with_setting("name", "Bea")))
    assert profile(data, "import", source) == 0
    assert capsys.readouterr().out == "added 'Bea' (bea.toml)\n"
    assert profile(data, "import", source) == 2
    assert "already exists" in one_line_error(capsys)
    assert profile(data, "import", source, "--overwrite") == 0
    capsys.readouterr()

    assert profile(data, "export", "Bea") == 0  # into the current directory
    assert capsys.readouterr().out == "wrote 'Bea' to bea.toml\n"
    assert load_profile(tmp_path / "bea.toml").name == "Bea"
    assert profile(data, "export", "Bea") == 2
    assert "already exists; choose another file with -o" in one_line_error(capsys)
    assert profile(data, "export", "Bea", "-o", tmp_path / "copy.toml") == 0
    assert load_profile(tmp_path / "copy.toml").name == "Bea"


def test_hostile_names_stay_in_the_profiles_folder(data, tmp_path, capsys):
    assert profile(data, "new", "../../escape") == 0
    assert (data / "profiles" / "escape.toml").is_file()
    assert not (tmp_path / "escape.toml").exists()
    capsys.readouterr()
    assert profile(data, "show", "/etc/passwd") == 2
    assert "no profile named '/etc/passwd'" in one_line_error(capsys)
    assert profile(data, "new", "x" * 300) == 2
    assert "at most 100 characters" in one_line_error(capsys)


def test_schema_prints_the_json_schema(data, capsys):
    assert profile(data, "schema") == 0
    assert json.loads(capsys.readouterr().out) == profile_schema()


def test_the_data_dir_defaults_to_systemds_state_directory(data, monkeypatch, capsys):
    monkeypatch.setenv("STATE_DIRECTORY", str(data))
    assert main(["profile", "new", "Anna"]) == 0
    assert (data / "profiles" / "anna.toml").is_file()


def test_the_installed_command_exits_non_zero_on_a_bad_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text(BROKEN)
    result = subprocess.run(
        [TONIC, "profile", "--data-dir", tmp_path, "validate", bad],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "switch.1.mode" in result.stderr and "switch.1.velocity" in result.stderr
    assert "Traceback" not in result.stderr
