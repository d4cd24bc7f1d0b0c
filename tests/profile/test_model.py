"""Profiles as values: defaults, and changing one setting from typed text."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import ProfileError
from appliance.events import InputId
from appliance.music import scale_names
from appliance.profile import PlayMode, Profile, SwitchSettings, default_profile
from appliance.profile.fields import specs

S1 = InputId("switch:1")
SWITCH_FIELDS = (
    "mode, instrument, degree, octave, velocity, accept_ms, release_ms, lockout_ms, max_note_s, "
    "player, song, step, at_end, accompany, choice"
)


@pytest.fixture
def profile() -> Profile:
    return default_profile()


def test_default_profile(profile):
    assert (profile.name, profile.key, profile.scale) == ("Default", "C", "major_pentatonic")
    assert profile.volume == pytest.approx(0.6)
    assert profile.version == 1
    switches = [i for i in profile.inputs if i.startswith("switch:")]
    assert switches == ["switch:1", "switch:2", "switch:3", "switch:4"]
    pads = [profile.settings_for(InputId(f"pad:{n}")) for n in range(1, 13)]
    assert [p.degree for p in pads] == list(range(1, 13))  # like a keyboard
    assert profile.settings_for(InputId("beam:1")).mode == "zones"
    settings = [profile.inputs[i] for i in switches]
    assert all(isinstance(s, SwitchSettings) for s in settings)
    assert all(s.mode is PlayMode.NOTE for s in settings)
    degrees = [s.degree for s in settings]
    instruments = [s.instrument for s in settings]
    assert len(set(degrees)) == 4, degrees
    assert len(set(instruments)) == 4, instruments


def test_profile_is_immutable(profile):
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.key = "G"  # type: ignore[misc]
    with pytest.raises(TypeError):
        profile.inputs[S1] = SwitchSettings()  # type: ignore[index]


def test_an_unmentioned_input_plays_its_number_as_its_degree(profile):
    assert profile.settings_for(InputId("switch:7")) == SwitchSettings(degree=7)
    assert Profile().settings_for(InputId("switch:2")).degree == 2


# -- with_setting: valid text ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "attr", "expected"),
    [
        ("name", "  Ann's Tuesday  ", "name", "Ann's Tuesday"),
        ("key", "F#", "key", "F#"),
        ("key", "bb", "key", "Bb"),
        ("key", " Eb ", "key", "Eb"),
        ("scale", "Minor Pentatonic", "scale", "minor_pentatonic"),
        ("scale", "whole-tone", "scale", "whole_tone"),
        ("scale", "aeolian", "scale", "natural_minor"),
        ("volume", "0.25", "volume", 0.25),
        ("volume", "1", "volume", 1.0),
        ("volume", "0", "volume", 0.0),
    ],
)
def test_top_level_settings(profile, path, text, attr, expected):
    changed = profile.with_setting(path, text)
    assert getattr(changed, attr) == expected
    assert getattr(profile, attr) != getattr(changed, attr)  # the original is unchanged


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("mode", "latch", PlayMode.LATCH),
        ("mode", "CHORD", PlayMode.CHORD),
        ("mode", " note ", PlayMode.NOTE),
        ("instrument", "ocarina", "ocarina"),
        ("instrument", "80", "80"),
        ("instrument", "drums:0", "drums:0"),
        ("degree", "15", 15),
        ("degree", "1", 1),
        ("octave", "1", 1),
        ("octave", "7", 7),
        ("velocity", "1", 1),
        ("velocity", "127", 127),
    ],
)
def test_switch_settings(profile, field, text, expected):
    changed = profile.with_setting(f"switch:1.{field}", text)
    assert getattr(changed.settings_for(S1), field) == expected
    # Only that one field of that one switch moved.
    before = dataclasses.asdict(profile.settings_for(S1))
    after = dataclasses.asdict(changed.settings_for(S1))
    assert {k for k in before if before[k] != after[k]} <= {field}
    for other in ("switch:2", "switch:3", "switch:4"):
        assert changed.inputs[other] == profile.inputs[other]


def test_setting_an_input_the_profile_does_not_mention_starts_from_its_defaults(profile):
    changed = profile.with_setting("switch:6.mode", "latch")
    assert changed.inputs["switch:6"] == SwitchSettings(mode=PlayMode.LATCH, degree=6)
    assert "switch:6" not in profile.inputs


@given(st.sampled_from(scale_names()))
def test_every_scale_name_is_accepted(scale):
    assert default_profile().with_setting("scale", scale).scale == scale


# -- with_setting: invalid text ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("key", "H", r"^key: unknown note name 'H'"),
        ("key", "", r"^key: "),
        ("scale", "majr", r"^scale: unknown scale 'majr' \(did you mean 'major'\?\)"),
        ("volume", "1.5", r"^volume: must be in range 0.0..1.0, got 1.5"),
        ("volume", "-0.1", r"^volume: must be in range"),
        ("volume", "nan", r"^volume: must be in range"),
        ("volume", "loud", r"^volume: must be a number, got 'loud'"),
        (
            "switch:1.mode",
            "hold",
            r"^switch:1.mode: must be one of note, latch, chord, sequence, choice, got 'hold'",
        ),
        ("switch:1.mode", "", r"^switch:1.mode: must be one of"),
        ("switch:1.instrument", "ocarna", r"^switch:1.instrument: .*did you mean 'ocarina'"),
        ("switch:1.instrument", "129", r"^switch:1.instrument: .*1..128"),
        ("switch:1.degree", "0", r"^switch:1.degree: must be in range 1..36, got 0"),
        ("switch:1.degree", "37", r"^switch:1.degree: must be in range 1..36"),
        ("switch:1.degree", "3.5", r"^switch:1.degree: must be a whole number, got '3.5'"),
        ("switch:1.degree", "three", r"^switch:1.degree: must be a whole number"),
        ("switch:1.octave", "0", r"^switch:1.octave: must be in range 1..7"),
        ("switch:1.octave", "8", r"^switch:1.octave: must be in range 1..7"),
        ("switch:1.velocity", "0", r"^switch:1.velocity: must be in range 1..127"),
        ("switch:1.velocity", "128", r"^switch:1.velocity: must be in range 1..127"),
        ("switch:0.mode", "note", r"^switch:0.mode: 'switch:0' is not an input name"),
        ("knob:1.mode", "note", r"^knob:1.mode: unknown input kind 'knob'"),
        ("switch.mode", "note", r"^switch.mode: 'switch' is not an input name"),
    ],
)
def test_invalid_values_name_the_path(profile, path, text, message):
    with pytest.raises(ProfileError, match=message) as e:
        profile.with_setting(path, text)
    assert "\n" not in str(e.value)


def test_unknown_switch_field_lists_the_valid_fields(profile):
    with pytest.raises(ProfileError) as e:
        profile.with_setting("switch:1.colour", "red")
    assert str(e.value) == f"unknown setting 'switch:1.colour'; valid fields are: {SWITCH_FIELDS}"


def test_unknown_top_level_field_lists_the_valid_fields(profile):
    with pytest.raises(ProfileError) as e:
        profile.with_setting("colour", "red")
    message = str(e.value)
    assert "'colour'" in message
    for name in ("name", "key", "scale", "volume"):
        assert name in message


@pytest.mark.parametrize("path", ["inputs", "version"])
def test_structural_fields_cannot_be_set(profile, path):
    with pytest.raises(ProfileError, match=rf"^{path} cannot be set; valid settings: .*<input>"):
        profile.with_setting(path, "2")


def test_every_declared_field_is_settable_by_text(profile):
    """Adding a field is one line; make sure each one really round-trips through text."""
    samples = {
        "name": "x",
        "key": "G",
        "scale": "blues",
        "volume": "0.5",
        "harmony": "therapist",
        "tempo": "120",
        "mode": "latch",
        "instrument": "flute",
        "degree": "2",
        "octave": "3",
        "velocity": "64",
        "accept_ms": "300",
        "release_ms": "200",
        "lockout_ms": "100",
        "max_note_s": "2.5",
        "player": "2",
        "song": "ode_to_joy",
        "step": "phrase",
        "at_end": "stop",
        "accompany": "False",
        "choice": "calypso",
    }
    assert set(specs(Profile)) | set(specs(SwitchSettings)) == set(samples)
    for name in specs(Profile):
        assert str(getattr(profile.with_setting(name, samples[name]), name)) == samples[name]
    for name in specs(SwitchSettings):
        changed = profile.with_setting(f"switch:2.{name}", samples[name])
        assert str(getattr(changed.settings_for(InputId("switch:2")), name)) == samples[name]


def test_a_degree_valid_alone_but_above_midi_is_refused(profile):
    # Degree 36 of a pentatonic scale from octave 4 is seven octaves up: above G9.
    with pytest.raises(ProfileError, match=r"switch:1: degree 36 in octave 4 reaches outside"):
        profile.with_setting("switch:1.degree", "36")
    lower = profile.with_setting("switch:1.octave", "1").with_setting("switch:1.degree", "15")
    assert lower.settings_for(S1).degree == 15


def test_a_pad_release_threshold_must_stay_below_its_touch_threshold(profile):
    with pytest.raises(ProfileError, match=r"pad:2: release_threshold \(12\) must be less"):
        profile.with_setting("pad:2.release_threshold", "12")
    raised = profile.with_setting("pad:2.touch_threshold", "40")
    assert (
        raised.with_setting("pad:2.release_threshold", "20")
        .settings_for(InputId("pad:2"))
        .release_threshold
        == 20
    )


def test_a_beam_needs_near_closer_than_far(profile):
    with pytest.raises(ProfileError, match=r"beam:1: near \(1.5 m\) must be less than far"):
        profile.with_setting("beam:1.near", "1.5")


# -- hostile text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("switch:65.mode", "latch", "switch:65.mode: inputs are numbered from 1 to 64"),
        ("switch:" + "9" * 5000 + ".mode", "latch", "'switch:9999"),
        (
            "switch:1.mode",
            "m" * 10_000,
            "switch:1.mode: must be one of note, latch, chord, sequence, choice, got",
        ),
        ("name", "n" * 10_000, "name: must be at most 200 characters, got 'nnnn"),
        ("switch:1.instrument", "k" * 10_000, "switch:1.instrument: must be at most 200"),
        ("switch:1.degree", "9" * 5000, "switch:1.degree: must be a whole number, got '9999"),
        ("volume", "1e999", "volume: must be in range 0.0..1.0, got inf"),
        ("switch:1." + "f" * 10_000, "1", "unknown setting 'switch:1.ffff"),
        ("x" * 10_000, "1", "unknown setting 'xxxx"),
    ],
)
def test_long_or_odd_text_gives_a_short_message(profile, path, text, message):
    with pytest.raises(ProfileError) as e:
        profile.with_setting(path, text)
    assert str(e.value).startswith(message), str(e.value)
    assert len(str(e.value)) < 250, str(e.value)


@given(st.text(max_size=60), st.text(max_size=60))
def test_any_setting_text_changes_the_profile_or_gives_one_line(path, text):
    try:
        changed = default_profile().with_setting(path, text)
    except ProfileError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(changed, Profile)


def test_the_loop_and_turns_sections_are_set_by_path(profile):
    changed = profile.with_settings(
        [("loop.volume", "0.4"), ("loop.wait", "yes"), ("turns.pass_after", "time")]
    )
    assert changed.loop.volume == 0.4
    assert changed.loop.wait is True
    assert str(changed.turns.pass_after) == "time"
    assert changed.with_setting("loop.wait", "off").loop.wait is False


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [
        ("loop.colour", "red", r"^unknown setting 'loop.colour'; valid fields are: name, volume"),
        ("loop.wait", "maybe", r"^loop.wait: must be true or false, got 'maybe'"),
        ("loop.volume", "2", r"^loop.volume: must be in range 0.0..1.0"),
        ("turns.notes", "0", r"^turns.notes: must be in range 1..64"),
        ("tempo", "200", r"^tempo: must be 0 \(each loop's own\) or in range 40..160, got 200"),
        ("loop", "x", r"^loop cannot be set"),
    ],
)
def test_bad_section_values_name_the_path(profile, path, text, message):
    with pytest.raises(ProfileError, match=message):
        profile.with_setting(path, text)
