"""Profile files: loading with every problem reported at once, and atomic saving."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.errors import ProfileError
from appliance.events import InputId
from appliance.music import scale_names
from appliance.profile import (
    PlayMode,
    Profile,
    SwitchSettings,
    default_profile,
    dump_profile,
    load_profile,
    save_profile,
)
from appliance.profile.store import parse_profile

MINIMAL = "version = 1\n"


def problems(text: str, origin: str = "client.toml") -> list[str]:
    """The individual problems parse_profile reports for ``text``."""
    with pytest.raises(ProfileError) as e:
        parse_profile(text, origin)
    message = str(e.value)
    assert "\n" not in message
    m = re.match(rf"^{re.escape(origin)}: (\d+) problems?: (.*)$", message)
    assert m, message
    # Problems are joined with "; " but some messages contain "; " themselves,
    # so split only where the next problem's path starts.
    found = re.split(r"; (?=[a-z]+(?:\.[0-9a-z]+)*(?:\.[a-z_]+)?: )", m.group(2))
    assert int(m.group(1)) == len(found), found
    return found


# -- loading -------------------------------------------------------------------------


def test_minimal_profile_takes_the_defaults():
    assert parse_profile(MINIMAL) == Profile()


def test_default_profile_file_parses_to_the_default_profile():
    text = (Path(__file__).parents[2] / "appliance" / "profiles" / "default.toml").read_text()
    assert parse_profile(text) == default_profile()


def test_unmentioned_switch_fields_take_that_switch_defaults():
    profile = parse_profile('version = 1\n[switch.3]\ninstrument = "flute"\n')
    assert profile.inputs[InputId("switch:3")] == SwitchSettings(instrument="flute", degree=3)


def test_toml_types_are_normalised():
    profile = parse_profile(
        'version = 1\nvolume = 1\nscale = "Minor Pentatonic"\n[switch.1]\nmode = "LATCH"\n'
    )
    assert profile.volume == 1.0
    assert isinstance(profile.volume, float)
    assert profile.scale == "minor_pentatonic"
    assert profile.inputs[InputId("switch:1")].mode is PlayMode.LATCH


def test_every_problem_is_reported_at_once():
    text = """
version = 2
name = 5
key = "H"
scale = "majr"
volume = 1.5
keys = "C"

[switch.1]
mode = "hold"
instrument = "kazooo"
degree = 0
octave = "4"
velocity = true
instrumnet = "flute"

[switch.2]
degree = 3.0

[switch.0]
mode = "note"
"""
    found = problems(text)
    expected = [
        r"^version: must be 1, got 2$",
        r"^name: must be text, got 5",
        r"^key: unknown note name 'H'",
        r"^scale: unknown scale 'majr' \(did you mean 'major'\?\)",
        r"^volume: must be in range 0.0..1.0, got 1.5$",
        r"^keys: unknown field; did you mean 'key'\? \(valid: name, key, scale, volume",
        r"^switch.1.mode: must be one of note, latch, chord, got 'hold'$",
        r"^switch.1.instrument: unknown instrument 'kazooo'",
        r"^switch.1.degree: must be in range 1..36, got 0$",
        r"^switch.1.octave: must be a whole number, got '4' \(text\)$",
        r"^switch.1.velocity: must be a whole number, got True",
        r"^switch.1.instrumnet: unknown field; did you mean 'instrument'\? \(valid: mode, ",
        r"^switch.2.degree: must be a whole number, got 3.0",
        r"^switch.0: inputs are numbered from 1",
    ]
    assert len(found) == len(expected), found
    for pattern, problem in zip(expected, found, strict=True):
        assert re.search(pattern, problem), (pattern, problem)


def test_a_single_problem_says_so():
    assert problems('version = 1\nvolume = "loud"\n') == [
        "volume: must be a number, got 'loud' (text)"
    ]
    with pytest.raises(ProfileError, match=r"^client.toml: 1 problem: volume"):
        parse_profile('version = 1\nvolume = "loud"\n', "client.toml")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "version: must be 1, got None"),
        ('version = "1"', "version: must be 1, got '1'"),
        ("version = 2", "version: must be 1, got 2"),
    ],
)
def test_version_must_be_one(text, problem):
    assert problems(text) == [problem]


@pytest.mark.parametrize("version", ["true", "1.0"])
def test_version_must_be_the_integer_one(version):
    with pytest.raises(ProfileError, match="version"):
        parse_profile(f"version = {version}\n")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("switch = 5", r"^switch: must be tables like \[switch.1\]$"),
        ("[switch]\n1 = 5", r"^switch.1: must be a table of settings$"),
        ("[switch.x]\nmode = 'note'", r"^switch.x: inputs are numbered from 1"),
        ("[switch.0]\nmode = 'note'", r"^switch.0: inputs are numbered from 1"),
        (
            "[knob.1]\nmode = 'note'",
            r"^knob: unknown field \(valid: name, key, scale, volume, switch, pad, beam",
        ),
        ("[beam.1]\nmode = 'note'", r"^beam.1.mode: must be one of zones, expression, trigger"),
        ("volume = nan", r"^volume: must be in range"),
        ("volume = true", r"^volume: must be a number, got True"),
        ("[switch.1]\nmode = 1", r"^switch.1.mode: must be text, one of note, latch, chord"),
        ("[switch.1]\ninstrument = 80", r"^switch.1.instrument: must be text, got 80"),
        ("[switch.1]\nvelocity = 200", r"^switch.1.velocity: must be in range 1..127, got 200"),
        ("[switch.1]\noctave = 8", r"^switch.1.octave: must be in range 1..7, got 8"),
    ],
)
def test_structure_and_type_problems(text, problem):
    found = problems(f"version = 1\n{text}\n")
    assert len(found) == 1, found
    assert re.search(problem, found[0]), found[0]


def test_not_toml_is_reported_with_the_origin():
    with pytest.raises(ProfileError, match=r"^client.toml: not valid TOML: .*line 2"):
        parse_profile("version = 1\nkey = C major\n", "client.toml")


def test_load_profile_reads_a_file(tmp_path):
    path = tmp_path / "ann.toml"
    path.write_text('version = 1\nname = "Ann"\nkey = "G"\n', encoding="utf-8")
    profile = load_profile(path)
    assert (profile.name, profile.key) == ("Ann", "G")


def test_load_profile_problems_name_the_file(tmp_path):
    path = tmp_path / "ann.toml"
    path.write_text("version = 1\nvolum = 0.5\n", encoding="utf-8")
    with pytest.raises(
        ProfileError, match=rf"^{re.escape(str(path))}: 1 problem: volum: .*'volume'"
    ):
        load_profile(path)


def test_load_profile_missing_file(tmp_path):
    with pytest.raises(ProfileError, match=r"^profile not found: .*nobody.toml$"):
        load_profile(tmp_path / "nobody.toml")


@pytest.mark.parametrize("content", [None, b"version = 1\nname = '\xff\xfe'\n"])
def test_load_profile_unreadable(tmp_path, content):
    path = tmp_path / "odd.toml"
    if content is None:
        path.mkdir()  # a directory, not a file
    else:
        path.write_bytes(content)
    with pytest.raises(ProfileError, match=r"^cannot read profile .*odd.toml: "):
        load_profile(path)


# -- dumping -----------------------------------------------------------------------


def test_dump_layout_is_stable_and_hand_editable():
    profile = default_profile().with_setting("switch:12.mode", "latch")
    text = dump_profile(profile)
    lines = text.splitlines()
    assert lines[:5] == [
        "version = 1",
        'name = "Default"',
        'key = "C"',
        'scale = "major_pentatonic"',
        "volume = 0.6",
    ]
    sections = [line for line in lines if line.startswith("[")]
    assert sections == [
        *(f"[switch.{n}]" for n in (1, 2, 3, 4, 12)),
        *(f"[pad.{n}]" for n in range(1, 13)),
        "[beam.1]",
    ]
    assert dump_profile(parse_profile(text)) == text


def test_dump_round_trips_the_default_profile():
    assert parse_profile(dump_profile(default_profile())) == default_profile()


def test_dump_escapes_quotes_and_backslashes():
    profile = default_profile().with_setting("name", 'Ann "the drummer" C:\\music')
    assert parse_profile(dump_profile(profile)).name == 'Ann "the drummer" C:\\music'


@pytest.mark.parametrize("name", ["Ann\nTuesdays", "bell\x07", "del\x7f"])
def test_dump_round_trips_names_with_control_characters(name):
    profile = default_profile().with_setting("name", name)
    assert parse_profile(dump_profile(profile)).name == name


_names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=0, max_size=30).map(
    str.strip
)
_switch = st.builds(
    SwitchSettings,
    mode=st.sampled_from(list(PlayMode)),
    instrument=st.sampled_from(["marimba", "flute", "ocarina", "80", "drums:0", "Orchestral Harp"]),
    # Kept low enough that every chord stays inside MIDI's range in every scale.
    degree=st.integers(1, 12),
    octave=st.integers(1, 5),
    velocity=st.integers(1, 127),
)
_profiles = st.builds(
    Profile,
    name=_names,
    key=st.sampled_from(["C", "Eb", "F#", "Bb", "G", "A"]),
    scale=st.sampled_from(scale_names()),
    volume=st.floats(0.0, 1.0),
    inputs=st.dictionaries(
        st.integers(1, 40).map(lambda n: InputId(f"switch:{n}")), _switch, max_size=6
    ),
)


@settings(max_examples=150, deadline=None)
@given(_profiles)
def test_dump_then_parse_round_trips(profile):
    assert parse_profile(dump_profile(profile)) == profile


# -- saving --------------------------------------------------------------------------


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_save_writes_a_loadable_profile_and_no_temp_files(tmp_path):
    path = tmp_path / "ann.toml"
    profile = default_profile().with_setting("name", "Ann").with_setting("key", "G")
    save_profile(profile, path)
    assert load_profile(path) == profile
    assert _listing(tmp_path) == ["ann.toml"]  # no .bak of a file that did not exist


def test_save_keeps_the_previous_file_as_bak(tmp_path):
    path = tmp_path / "ann.toml"
    first = default_profile().with_setting("name", "Ann")
    second = first.with_setting("scale", "blues")
    third = second.with_setting("volume", "0.2")
    save_profile(first, path)
    save_profile(second, path)
    assert load_profile(path) == second
    assert load_profile(tmp_path / "ann.toml.bak") == first
    save_profile(third, path)
    assert load_profile(path) == third
    assert load_profile(tmp_path / "ann.toml.bak") == second
    assert _listing(tmp_path) == ["ann.toml", "ann.toml.bak"]


def test_save_replaces_a_hand_edited_file_and_backs_it_up_byte_for_byte(tmp_path):
    path = tmp_path / "ann.toml"
    original = b"# hand edited\nversion = 1\nname = 'Ann'\n"
    path.write_bytes(original)
    save_profile(default_profile(), path)
    assert (tmp_path / "ann.toml.bak").read_bytes() == original
    assert load_profile(path) == default_profile()


def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ann.toml"
    old = default_profile().with_setting("name", "Ann")
    save_profile(old, path)
    old_bytes = path.read_bytes()
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst) == path:  # the final rename onto the profile: the disk is full
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        save_profile(old.with_setting("key", "D"), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert load_profile(path) == old
    assert _listing(tmp_path) == ["ann.toml", "ann.toml.bak"]  # the temp file is gone


def test_a_failed_backup_leaves_the_old_file_intact_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "ann.toml"
    save_profile(default_profile(), path)
    old_bytes = path.read_bytes()

    def failing_replace(src, dst, *args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        save_profile(default_profile().with_setting("key", "D"), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert _listing(tmp_path) == ["ann.toml"]
    assert not (tmp_path / "ann.toml.bak").exists()


def test_save_refuses_a_profile_it_could_not_read_back(tmp_path):
    path = tmp_path / "ann.toml"
    save_profile(default_profile(), path)
    old_bytes = path.read_bytes()
    bad = default_profile().with_setting("switch:1.instrument", "flute")
    object.__setattr__(bad.inputs["switch:1"], "instrument", "kazooo")  # bypass validation
    with pytest.raises(ProfileError, match="kazooo"):
        save_profile(bad, path)
    assert path.read_bytes() == old_bytes
    assert _listing(tmp_path) == ["ann.toml"]


def test_a_saved_profile_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "ann.toml"
    save_profile(default_profile(), path)
    path.chmod(0o640)
    save_profile(default_profile().with_setting("key", "G"), path)
    assert path.stat().st_mode & 0o777 == 0o640
