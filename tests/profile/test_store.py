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
    MidiRole,
    MidiSettings,
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
    found = re.split(r"; (?=[a-z]+(?::[0-9]+)?(?:\.[0-9a-z]+)*(?:\.[a-z_]+)?: )", m.group(2))
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
version = 0
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
        r"^version: must be 1, got 0$",
        r"^name: must be text, got 5",
        r"^key: unknown note name 'H'",
        r"^scale: unknown scale 'majr' \(did you mean 'major'\?\)",
        r"^volume: must be in range 0.0..1.0, got 1.5$",
        r"^keys: unknown field; did you mean 'key'\? \(valid: name, key, scale, volume",
        r"^switch.1.mode: must be one of note, latch, chord, sequence, choice, got 'hold'$",
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
        ("version = 0", "version: must be 1, got 0"),  # newer ones: test_migrate.py
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
            r"^knob: unknown field \(valid: name, key, scale, volume, harmony, tempo, "
            r"loop, turns, switch, pad, beam, midi",
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
        "[loop]",
        "[turns]",
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


# -- hostile files -------------------------------------------------------------------


def one_line(text: str) -> str:
    """The single message ``parse_profile`` gives for ``text``."""
    with pytest.raises(ProfileError) as e:
        parse_profile(text, "client.toml")
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("client.toml: ")
    return message


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ('[switch."²"]', "switch.'²': inputs are numbered from 1 to 64"),
        ('[pad."\u0661"]', "pad.'\u0661': inputs are numbered from 1 to 64"),
        ("[switch.65]", "switch.65: inputs are numbered from 1 to 64"),
        ("[switch." + "9" * 3000 + "]", "switch.'9999"),
        ("[switch.01]", "switch.01: write input numbers without leading zeros, as [switch.1]"),
        ("[beam.007]", "beam.007: write input numbers without leading zeros, as [beam.7]"),
        ("[switch.00]", "switch.00: inputs are numbered from 1 to 64"),
    ],
)
def test_odd_input_numbers_are_problems_not_tracebacks(header, problem):
    found = problems(f"version = 1\n{header}\nmode = 'latch'\n")
    assert len(found) == 1, found
    assert found[0].startswith(problem)
    assert len(found[0]) < 200


def test_a_leading_zero_does_not_silently_replace_an_input():
    found = problems("version = 1\n[switch.1]\nmode = 'latch'\n[switch.01]\nmode = 'chord'\n")
    assert found == ["switch.01: write input numbers without leading zeros, as [switch.1]"]


def test_a_5001_digit_input_number_is_refused_by_its_line_length():
    message = one_line("version = 1\n[switch." + "1" * 5001 + "]\n")
    assert message == "client.toml: line 2 is 5,010 characters long; the limit is 4,000"


@pytest.mark.parametrize(
    ("value", "line"),
    [("[" * 1000 + "]" * 1000, 2), ("{a=" * 600 + "1" + "}" * 600, 2), ("[\n" * 100_000, 34)],
)
def test_deep_nesting_is_one_line_before_parsing(value, line):
    # Under the line-length limit (or spread over lines), so the depth is what is refused,
    # on the line where the 33rd level opens.
    message = one_line(f"version = 1\nname = {value}\n")
    assert message == f"client.toml: line {line}: arrays or inline tables nested more than 32 deep"


def test_a_100000_deep_dotted_key_is_refused_at_once():
    message = one_line("version = 1\n" + "a." * 100_000 + "b = 1\n")
    assert message.startswith("client.toml: line 2 is 200,005 characters long")


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        ('name = "' + "n" * 3000 + '"', "name: must be at most 200 characters, got 'nnnn"),
        ('[switch.1]\ninstrument = "' + "k" * 3000 + '"', "switch.1.instrument: must be at most"),
        ('key = "' + "H" * 3000 + '"', "key: must be at most 200 characters"),
        ('[switch.1]\nmode = "' + "x" * 3000 + '"', "switch.1.mode: must be one of note, latch"),
        (
            "volume = [" + "1, " * 1000 + "]",
            "volume: must be a number, got [1, 1, 1, 1, 1, 1, ...]",
        ),
        ("[switch.1]\ndegree = " + "9" * 3000, "switch.1.degree: must be in range 1..36, got 9999"),
        ("x" * 3000 + " = 1", "'xxxx"),
        ('[beam.1]\n"' + "y" * 3000 + '" = 1', "beam.1.'yyyy"),
    ],
)
def test_a_long_bad_value_is_quoted_as_an_excerpt(entry, shown):
    found = problems(f"version = 1\n{entry}\n")
    assert len(found) == 1, found
    assert found[0].startswith(shown), found[0]
    assert len(found[0]) < 300, found[0]


def test_a_file_of_many_problems_lists_twenty_and_counts_the_rest():
    text = "version = 1\n" + "".join(f"unknown_{n} = {n}\n" for n in range(5000))
    message = one_line(text)
    assert message.startswith("client.toml: 5000 problems: unknown_0: unknown field")
    assert message.endswith("; and 4980 more")
    assert message.count("unknown field") == 20


def test_cross_field_problems_come_with_the_others():
    text = (
        "version = 1\nvolume = 7\n"
        "[beam.1]\nnear = 0.9\nfar = 0.5\n"
        "[pad.1]\ntouch_threshold = 5\nrelease_threshold = 9\n"
        "[switch.1]\ndegree = 36\noctave = 7\n"
        "[switch.2]\nmode = 'wobble'\n"
    )
    found = problems(text)
    assert found[0] == "volume: must be in range 0.0..1.0, got 7.0"
    assert (
        found[1]
        == "switch.2.mode: must be one of note, latch, chord, sequence, choice, got 'wobble'"
    )
    assert sorted(found[2:]) == [
        "beam:1: near (0.9 m) must be less than far (0.5 m)",
        "pad:1: release_threshold (9) must be less than touch_threshold (5)",
        "switch:1: degree 36 in octave 7 reaches outside the range of notes in C "
        "major pentatonic; choose a lower degree or octave",
    ]


def test_a_field_that_failed_makes_no_spurious_cross_field_problem():
    # near falls back to its default (0.15 m) only to build the profile; far at
    # 0.1 m must not then be blamed for a pairing the therapist never wrote.
    found = problems("version = 1\n[beam.1]\nnear = 'close'\nfar = 0.1\n")
    assert found == ["beam.1.near: must be a number, got 'close' (text)"]


def test_a_bad_key_skips_the_range_check_it_depends_on():
    found = problems("version = 1\nkey = 'H'\n[switch.1]\ndegree = 36\noctave = 7\n")
    assert len(found) == 1 and found[0].startswith("key: unknown note name 'H'")


def test_text_over_the_size_limit_is_refused_before_parsing():
    message = one_line("version = 1\n" + "#" * 1_000_000 + "\n")
    assert message == "client.toml: too large for a profile (the limit is 1,000,000 bytes)"


def test_load_profile_refuses_a_file_over_1_mb_by_its_size(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"version = 1\n" + b"# padding\n" * 100_000)
    with pytest.raises(ProfileError) as e:
        load_profile(path)
    assert str(e.value) == (
        f"cannot read profile {path}: it is too large (the limit is 1,000,000 bytes)"
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: os.mkfifo(p), "it is a named pipe (FIFO), not a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), "it is a device, not a regular file"),
        (lambda p: p.symlink_to("/dev/urandom"), "it is a device, not a regular file"),
        (lambda p: p.write_bytes(b"version = 1\n\0"), "it looks like a binary file, not text"),
    ],
)
def test_load_profile_refuses_hostile_files_in_one_line(tmp_path, make, reason):
    path = tmp_path / "odd.toml"
    make(path)
    with pytest.raises(ProfileError) as e:
        load_profile(path)
    assert str(e.value).startswith(f"cannot read profile {path}: {reason}")


def test_load_profile_accepts_a_bom_and_crlf_and_counts_lines_as_an_editor(tmp_path):
    path = tmp_path / "notepad.toml"
    path.write_bytes(b'\xef\xbb\xbfversion = 1\r\nname = "Ann"\r\nkey = "G"\r\n')
    assert load_profile(path).name == "Ann"
    path.write_bytes('version = 1\r\nname = "A\u2028B"\r\nkey = = "G"\r\n'.encode())
    with pytest.raises(ProfileError, match=r"line 3, column"):
        load_profile(path)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_load_as_a_profile_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "client.toml"
    path.write_bytes(b"version = 1\n" + data)
    try:
        load_profile(path)
    except ProfileError as e:
        assert "\n" not in str(e)


_toml_parts = st.sampled_from(
    [
        "version = 1\n",
        "[switch.1]\n",
        "[pad.12]\n",
        "[beam.1]\n",
        '[switch."²"]\n',
        "[switch.01]\n",
        "mode = 'latch'\n",
        "degree = 99\n",
        "near = 2.0\n",
        "far = 0.1\n",
        "touch_threshold = 3\n",
        "volume = nan\n",
        "key = 'F#'\n",
        "a.b.c = 1\n",
        "x = [[[1]]]\n",
        "name = {a = 1}\n",
        "instrument = 'kazooo'\n",
        "= 1\n",
        "[[switch]]\n",
        "version = 2\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_toml_parts, max_size=12))
def test_any_mix_of_entries_parses_or_gives_one_line(parts):
    try:
        profile = parse_profile("".join(parts), "client.toml")
    except ProfileError as e:
        assert "\n" not in str(e)
        assert str(e).startswith("client.toml: ")
    else:
        assert isinstance(profile, Profile)


# -- MIDI devices, remembered by name --------------------------------------------------


def test_a_midi_device_round_trips_by_name():
    profile = (
        default_profile()
        .with_setting("harmony", "therapist")
        .with_setting("midi:keys.role", "therapist")
        .with_setting("midi:keys.instrument", "electric_piano_1")
        .with_setting("midi:pads-2.velocity_curve", "fixed")
        .with_setting("midi:pads-2.actions", "note36=panic  cc1=volume")
        .with_setting("midi:pads-2.lockout_ms", "250")
    )
    text = dump_profile(profile)
    assert 'harmony = "therapist"' in text.splitlines()
    sections = [line for line in text.splitlines() if line.startswith("[")]
    assert sections[-2:] == ["[midi.keys]", "[midi.pads-2]"]
    keys = text.split("[midi.keys]\n")[1].split("\n\n")[0].splitlines()
    assert keys[:2] == ['role = "therapist"', 'instrument = "electric_piano_1"']
    assert 'actions = "note36=panic cc1=volume"' in text  # tidied once, kept as read
    again = parse_profile(text)
    assert again == profile
    assert again.settings_for(InputId("midi:keys")).role is MidiRole.THERAPIST
    assert again.settings_for(InputId("midi:pads-2")).lockout_ms == 250
    assert dump_profile(again) == text


def test_a_hand_written_midi_table_takes_the_defaults_it_leaves_out():
    profile = parse_profile('version = 1\n[midi.keys]\nrole = "therapist"\n')
    assert profile.settings_for(InputId("midi:keys")) == MidiSettings(role=MidiRole.THERAPIST)


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("[midi.Keys]", "midi.Keys: 'Keys' is not a MIDI device name: lower-case letters"),
        ('[midi."two words"]', "midi.'two words': 'two words' is not a MIDI device name"),
        ("[midi.keys--2]", "midi.keys--2: 'keys--2' is not a MIDI device name"),
        ("[midi.-keys]", "midi.-keys: '-keys' is not a MIDI device name"),
        ("[midi." + "k" * 40 + "]", "is not a MIDI device name: lower-case letters, digits"),
    ],
)
def test_a_bad_device_name_is_a_problem_naming_it(header, problem):
    found = problems(f"version = 1\n{header}\nrole = 'client'\n")
    assert len(found) == 1, found
    assert problem in found[0]
    assert len(found[0]) < 200


@pytest.mark.parametrize(
    ("actions", "problem"),
    [
        ("note36=explode", "midi.pads.actions: 'note36=explode': unknown action (known: panic"),
        ("note200=panic", "midi.pads.actions: 'note200=panic': MIDI numbers are 0..127"),
        ("note36=volume", "midi.pads.actions: 'note36=volume': volume follows a controller"),
        ("note36 panic", "midi.pads.actions: 'note36' is not noteN=action or ccN=action"),
        ("cc7=volume cc7=panic", "midi.pads.actions: 'cc7=panic': cc7 is already volume"),
    ],
)
def test_a_bad_actions_line_is_a_problem_naming_the_entry(actions, problem):
    found = problems(f'version = 1\n[midi.pads]\nrole = "controller"\nactions = "{actions}"\n')
    assert found == [found[0]]
    assert found[0].startswith(problem)


def test_midi_problems_come_with_the_others():
    found = problems(
        "version = 1\nharmony = 'chord'\n"
        "[midi.keys]\nrole = 'boss'\ndegree = 3\n[midi.pads]\nactions = 'cc7=louder'\n"
    )
    assert [f.split(":")[0] for f in found] == [
        "harmony",
        "midi.keys.role",
        "midi.keys.degree",
        "midi.pads.actions",
    ]


def test_sections_load_save_and_name_their_problems():
    text = 'version = 1\ntempo = 72\n[loop]\nvolume = 0.5\nwait = true\n[turns]\ncue = "none"\n'
    profile = parse_profile(text)
    assert (profile.tempo, profile.loop.volume, profile.loop.wait) == (72, 0.5, True)
    assert str(profile.turns.cue) == "none"
    assert parse_profile(dump_profile(profile)) == profile
    with pytest.raises(ProfileError) as e:
        parse_profile('version = 1\n[loop]\nwiat = true\nvolume = "loud"\n[turns]\nnotes = 0\n')
    message = str(e.value)
    assert "loop.wiat: unknown field; did you mean 'wait'?" in message
    assert "loop.volume: must be a number" in message
    assert "turns.notes: must be in range 1..64" in message
