"""A controller's mapping: one line of text, read into what each key and knob does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.errors import ProfileError
from appliance.profile import default_profile
from appliance.profile.actions import Action, Actions, parse_actions
from appliance.profile.inputs import DEFAULT_ACTIONS


def test_the_default_is_a_generic_pad_controllers_first_bank_and_fader():
    actions = parse_actions(DEFAULT_ACTIONS)
    assert dict(actions.notes) == {
        36: Action.PANIC,
        37: Action.VOLUME_DOWN,
        38: Action.VOLUME_UP,
        39: Action.KEY_DOWN,
        40: Action.KEY_UP,
        41: Action.NEXT_SCALE,
    }
    assert dict(actions.controls) == {7: Action.VOLUME}


def test_every_action_can_be_mapped():
    text = " ".join(f"note{n}={a}" for n, a in enumerate(Action) if a is not Action.VOLUME)
    text += " " + " ".join(f"cc{n}={a}" for n, a in enumerate(Action))
    actions = parse_actions(text)
    assert set(actions.controls.values()) == set(Action)
    assert set(actions.notes.values()) == set(Action) - {Action.VOLUME}


def test_empty_text_maps_nothing():
    assert parse_actions("") == Actions()
    assert parse_actions("   \t ") == Actions()


def test_whitespace_between_entries_is_free():
    actions = parse_actions("  note36=panic\t\tcc1=volume \n note0=key_up ")
    assert dict(actions.notes) == {36: Action.PANIC, 0: Action.KEY_UP}
    assert dict(actions.controls) == {1: Action.VOLUME}


def test_the_edges_of_the_midi_range():
    actions = parse_actions("note0=panic note127=panic cc0=volume cc127=volume")
    assert set(actions.notes) == {0, 127}
    assert set(actions.controls) == {0, 127}


def test_the_mapping_cannot_be_changed_once_read():
    actions = parse_actions("note36=panic")
    with pytest.raises(TypeError):
        actions.notes[37] = Action.PANIC  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("note36", "'note36' is not noteN=action or ccN=action"),
        ("key36=panic", "'key36=panic' is not noteN=action or ccN=action"),
        ("note=panic", "'note=panic' is not noteN=action"),
        ("note36=Panic", "'note36=Panic' is not noteN=action"),
        ("note-1=panic", "is not noteN=action"),
        ("note1000=panic", "is not noteN=action"),
        ("note128=panic", "'note128=panic': MIDI numbers are 0..127"),
        ("cc999=volume", "'cc999=volume': MIDI numbers are 0..127"),
        ("note36=explode", "'note36=explode': unknown action (known: panic, volume_up"),
        ("note36=volume", "'note36=volume': volume follows a controller, use ccN=volume"),
        ("note36=panic note36=key_up", "'note36=key_up': note36 is already panic"),
        ("cc7=volume cc007=panic", "'cc007=panic': cc7 is already volume"),
        # Other scripts' digits are digits to \d and to int(), not to a therapist.
        ("note\u0663\u0666=panic", "is not noteN=action"),
        ("note\u00b2=panic", "is not noteN=action"),
    ],
)
def test_a_bad_entry_is_named(text, says):
    with pytest.raises(ValueError) as e:
        parse_actions(text)
    assert says in str(e.value)


def test_the_first_bad_entry_is_the_one_named():
    with pytest.raises(ValueError, match="'note200=panic'"):
        parse_actions("note36=panic note200=panic note300=panic")


def test_a_huge_entry_is_quoted_as_an_excerpt():
    with pytest.raises(ValueError) as e:
        parse_actions("note1=" + "x" * 100_000)
    assert len(str(e.value)) < 300


@given(st.text(max_size=80))
def test_any_text_is_a_mapping_or_a_value_error(text):
    try:
        actions = parse_actions(text)
    except ValueError as e:
        assert "\n" not in str(e)
    else:
        assert all(0 <= n <= 127 for n in (*actions.notes, *actions.controls))


# -- through the profile ------------------------------------------------------------------


def test_a_profile_keeps_the_mapping_tidied():
    profile = default_profile().with_setting("midi:pads.actions", "  note36=panic   cc1=volume ")
    assert profile.settings_for("midi:pads").actions == "note36=panic cc1=volume"


def test_a_bad_mapping_is_refused_by_the_profile_with_its_path():
    with pytest.raises(ProfileError, match=r"midi:pads\.actions: 'note36=volume': volume follows"):
        default_profile().with_setting("midi:pads.actions", "note36=volume")
