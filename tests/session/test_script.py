"""Session scripts: one event per line, and a clear message naming the bad line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.audio_settings import SAMPLE_RATES
from appliance.config import BoxConfig
from appliance.errors import ScriptError
from appliance.events import (
    ControlChange,
    DevicePlugged,
    DeviceUnplugged,
    InputId,
    NoteOff,
    NoteOn,
    Panic,
    PitchBend,
    Pressed,
    Released,
    SetSetting,
)
from appliance.profile import default_profile
from appliance.session.render import (
    RELEASE_TAIL_S,
    RING_OUT_S,
    WAV_HEADER_BYTES,
    check_script,
)
from appliance.session.script import MAX_SCRIPT_SECONDS, parse_script


def test_a_full_script():
    script = parse_script(
        "# seconds  input      action\n"
        "0.0        set        key=G\n"
        "0.0        set        switch:2.mode=latch\n"
        "0.5        switch:1   press\n"
        "1          switch:1   release\n"
        "2.25       panic\n"
        "3.0        end\n"
    )
    assert [line.event for line in script.lines] == [
        SetSetting(0.0, "key", "G", source="script"),
        SetSetting(0.0, "switch:2.mode", "latch", source="script"),
        Pressed(0.5, "switch:1"),
        Released(1.0, "switch:1"),
        Panic(2.25, source="script"),
    ]
    assert [line.number for line in script.lines] == [2, 3, 4, 5, 6]
    assert script.lines[2].text == "0.5        switch:1   press"
    assert script.end == 3.0
    assert script.last_time == 3.0


def test_without_end():
    script = parse_script("0.5 switch:1 press\n1.5 switch:1 release\n")
    assert script.end is None
    assert script.last_time == 1.5


def test_empty_and_comment_only_scripts():
    for text in ("", "\n\n", "# nothing yet\n   # still nothing\n"):
        script = parse_script(text)
        assert script.lines == ()
        assert script.end is None
        assert script.last_time == 0.0


def test_comments_and_blank_lines():
    script = parse_script(
        "\n"
        "   \n"
        "# a whole-line comment\n"
        "   # an indented comment\n"
        "0.5 switch:1 press   # after the event\n"
        "0.6 switch:1 release\t# after a tab\n"
        "\t\n"
        "0.7 end # done\n"
    )
    assert [line.number for line in script.lines] == [5, 6]
    assert [type(line.event) for line in script.lines] == [Pressed, Released]
    assert script.end == 0.7


def test_a_hash_inside_a_word_is_kept():
    script = parse_script("0 set key=F#\n0 set key=C#  # C sharp\n0 set name=room#2\n")
    assert [line.event.value for line in script.lines] == ["F#", "C#", "room#2"]


def test_set_value_may_contain_equals_signs():
    (line,) = parse_script("0 set name=a=b\n").lines
    assert (line.event.path, line.event.value) == ("name", "a=b")


def test_equal_times_are_allowed_and_end_may_share_the_last_time():
    script = parse_script("1 switch:1 press\n1 switch:2 press\n1 end\n")
    assert [line.event.t for line in script.lines] == [1.0, 1.0]
    assert script.end == 1.0


def test_lines_after_end_may_be_blank_or_comments():
    script = parse_script("1 end\n\n# afterwards\n")
    assert script.end == 1.0


def test_crlf_line_endings():
    script = parse_script("0.5 switch:1 press\r\n1 end\r\n")
    assert script.lines[0].event == Pressed(0.5, "switch:1")
    assert script.end == 1.0


def _error(text: str, origin: str = "s.txt") -> str:
    with pytest.raises(ScriptError) as e:
        parse_script(text, origin)
    message = str(e.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "line", "quoted", "says"),
    [
        ("0 switch:1 press\n0.5 switch:1 release\n0.4 switch:1 press\n", 3,
         "0.4 switch:1 press", "time 0.4 is earlier than the line before (0.5)"),
        ("-1 switch:1 press\n", 1, "-1 switch:1 press", "time must be a non-negative"),
        ("nan switch:1 press\n", 1, "nan switch:1 press", "time must be a non-negative"),
        ("inf switch:1 press\n", 1, "inf switch:1 press", "time must be a non-negative"),
        ("soon switch:1 press\n", 1, "soon switch:1 press", "expected a time in seconds first"),
        ("0 pad:1 press\n", 1, "0 pad:1 press",
         "unknown action 'press' for pad:1 (expected touch or release)"),
        ("0 knob:1 turn\n", 1, "0 knob:1 turn", "unknown input kind 'knob'"),
        ("0 beam:1 distance far\n", 1, "0 beam:1 distance far",
         "expected a distance in metres or 'none'"),
        ("0 switch:0 press\n", 1, "0 switch:0 press", "'switch:0' is not an input name"),
        ("0 switch:1 hold\n", 1, "0 switch:1 hold",
         "unknown action 'hold' for switch:1 (expected press or release)"),
        ("\n# c\n0 switch:1\n", 3, "0 switch:1",
         "expected an action for switch:1: press or release"),
        ("0 jump\n", 1, "0 jump",
         "unknown input or command 'jump' "
         "(expected switch:N, pad:N, beam:N, midi:<name>, set, panic, loop, song, turn, end)"),
        ("0.5\n", 1, "0.5", "expected an input or a command after the time"),
        ("0 set key\n", 1, "0 set key", "expected KEY=VALUE"),
        ("0 set\n", 1, "0 set", "expected KEY=VALUE"),
        ("0 set key=\n", 1, "0 set key=", "expected KEY=VALUE with both parts"),
        ("0 set =G\n", 1, "0 set =G", "expected KEY=VALUE with both parts"),
        ("0 switch:1 press hard\n", 1, "0 switch:1 press hard",
         "switch:1 press: takes no arguments, got 'hard'"),
        ("0 switch:1 release now please\n", 1, "0 switch:1 release now please",
         "takes no arguments, got 'now please'"),
        ("0 panic now\n", 1, "0 panic now", "takes no arguments"),
        ("0 end now\n", 1, "0 end now", "takes no arguments"),
        ("0 switch:1 press\n1 end\n2 switch:1 release\n", 3, "2 switch:1 release",
         "nothing may follow the 'end' line"),
        ("1 end\n1 end\n", 2, "1 end", "nothing may follow the 'end' line"),
    ],
)  # fmt: skip
def test_errors_name_the_line_and_quote_it(text, line, quoted, says):
    message = _error(text)
    assert message.startswith(f"s.txt line {line}: ")
    assert message.endswith(f": '{quoted}'")
    assert says in message


def test_an_error_quotes_the_line_without_its_indentation_but_with_its_comment():
    message = _error("0 switch:1 press\n    0.5 switch:1 squeeze   # oops\n")
    assert message == (
        "s.txt line 2: unknown action 'squeeze' for switch:1 (expected press or release): "
        "'0.5 switch:1 squeeze   # oops'"
    )


def test_the_first_bad_line_is_reported():
    message = _error("0 switch:1 hold\n0 switch:9 squeeze\n")
    assert message.startswith("s.txt line 1: ")


def test_time_errors_compare_with_the_last_good_line():
    message = _error("2 switch:1 press\n1.5 end\n")
    assert "time 1.5 is earlier than the line before (2)" in message


# -- hostile scripts ---------------------------------------------------------------


def test_line_numbers_count_newlines_only_as_an_editor_does():
    # U+2028, U+0085, form feed and vertical tab are not line ends to an editor.
    text = "0 switch:1 press # a\u2028b\x85c\x0cd\x0be\n0.5 switch:1 wobble\n"
    message = _error(text)
    assert message.startswith("s.txt line 2: ")


def test_a_separator_inside_a_line_is_whitespace_for_the_words():
    script = parse_script("0.5\u2028switch:1 press\n1 end\n")
    assert [(line.number, line.event) for line in script.lines] == [(1, Pressed(0.5, "switch:1"))]


@pytest.mark.parametrize("word", ["86400", "86400.0", "21600", "1e9", "100000000"])
def test_a_time_past_six_hours_is_refused_naming_its_line(word):
    message = _error(f"0 switch:1 press\n{word} end\n")
    assert message == (
        f"s.txt line 2: time {word} is past the longest session a script may describe "
        f"(21,600 s, 6 hours): '{word} end'"
    )


def test_the_last_moment_below_the_limit_is_accepted():
    assert parse_script(f"{MAX_SCRIPT_SECONDS - 0.001} end\n").end == MAX_SCRIPT_SECONDS - 0.001


def test_the_longest_render_fits_a_wav():
    # A WAV's sizes are 32-bit: the longest script (plus the ring-out and
    # release tail a render adds) must fit in 4 GiB at the highest sample rate.
    bytes_per_second = max(SAMPLE_RATES) * 2 * 2  # stereo, 16-bit
    longest = MAX_SCRIPT_SECONDS + RING_OUT_S + RELEASE_TAIL_S
    assert longest * bytes_per_second + WAV_HEADER_BYTES < 2**32
    # And the 24 hours first asked for would not have fitted.
    assert 24 * 3600 * 48_000 * 4 > 2**32


@pytest.mark.parametrize(
    ("line", "start"),
    [
        ("0 switch:1 " + "w" * 100_000, "s.txt line 1: unknown action 'wwww"),
        ("0 " + "q" * 100_000, "s.txt line 1: unknown input or command 'qqqq"),
        ("0 switch:" + "9" * 100_000 + " press", "s.txt line 1: 'switch:9999"),
        ("9" * 100_000 + " end", "s.txt line 1: time must be a non-negative number of seconds"),
        ("9" * 300 + " end", "s.txt line 1: time '9999"),
        ("x" * 100_000, "s.txt line 1: expected a time in seconds first, got 'xxxx"),
        ("0 beam:1 distance " + "7" * 100_000 + "x", "s.txt line 1: beam:1 distance: expected"),
        ("0 switch:1 press " + "a " * 50_000, "s.txt line 1: switch:1 press: takes no arguments"),
    ],
)
def test_a_huge_line_is_quoted_as_an_excerpt(line, start):
    message = _error(line + "\n")
    assert message.startswith(start), message[:200]
    assert len(message) < 400, message[:400]


def test_odd_characters_in_a_bad_line_are_quoted_safely():
    message = _error("0 switch:1 wobble\x1b[2J\n")
    assert "\x1b" not in message
    assert message.startswith("s.txt line 1: unknown action ")


@given(st.text(max_size=200))
def test_any_text_is_a_script_or_one_line(text):
    try:
        parse_script(text, "s.txt")
    except ScriptError as e:
        assert "\n" not in str(e)
        assert str(e).startswith("s.txt line ")


def test_a_set_value_runs_to_the_end_of_the_line():
    script = parse_script("0 set switch:3.instrument=church organ\n")
    event = script.lines[0].event
    assert (event.path, event.value) == ("switch:3.instrument", "church organ")


# -- MIDI devices ----------------------------------------------------------------------


def test_midi_device_lines():
    script = parse_script(
        "0    set harmony=therapist\n"
        "0    set midi:keys.role=therapist\n"
        "0    midi:keys plug\n"
        "0    midi:pads-2 plug client\n"
        "0.1  midi:keys note 60 90\n"
        "0.2  midi:keys note 60 0     # velocity 0 is a note-off, as MIDI has it\n"
        "0.3  midi:keys off 61\n"
        "0.4  midi:keys cc 64 127\n"
        "0.5  midi:keys bend -8192\n"
        "0.6  midi:keys bend 8191\n"
        "0.7  midi:pads-2 note 0 127\n"
        "0.8  midi:keys unplug\n"
    )
    keys, pads = InputId("midi:keys"), InputId("midi:pads-2")
    assert [line.event for line in script.lines] == [
        SetSetting(0.0, "harmony", "therapist", source="script"),
        SetSetting(0.0, "midi:keys.role", "therapist", source="script"),
        DevicePlugged(0.0, keys, port="script", role=None),
        DevicePlugged(0.0, pads, port="script", role="client"),
        NoteOn(0.1, keys, 60, 90),
        NoteOff(0.2, keys, 60),
        NoteOff(0.3, keys, 61),
        ControlChange(0.4, keys, 64, 127),
        PitchBend(0.5, keys, -8192),
        PitchBend(0.6, keys, 8191),
        NoteOn(0.7, pads, 0, 127),
        DeviceUnplugged(0.8, keys),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0 midi:Keys plug", "'Keys' is not a MIDI device name"),
        ("0 midi: plug", "'' is not a MIDI device name"),
        ("0 midi:keys_2 plug", "'keys_2' is not a MIDI device name"),
        ("0 midi:keys plug boss", "midi:keys plug: expected nothing or a role (client, therapist"),
        ("0 midi:keys plug client therapist", "midi:keys plug: expected nothing or a role"),
        ("0 midi:keys unplug now", "midi:keys unplug: takes no arguments"),
        ("0 midi:keys note 128 90", "midi:keys note: note must be 0..127, got 128"),
        ("0 midi:keys note 60 128", "midi:keys note: velocity must be 0..127, got 128"),
        ("0 midi:keys note 60", "midi:keys note: expected a note and a velocity"),
        ("0 midi:keys note C4 90", "midi:keys note: expected a note 0..127, got 'C4'"),
        ("0 midi:keys off", "midi:keys off: expected a note, e.g. off 60"),
        ("0 midi:keys off -1", "midi:keys off: note must be 0..127, got -1"),
        ("0 midi:keys cc 64", "midi:keys cc: expected a controller and a value"),
        ("0 midi:keys cc 128 0", "midi:keys cc: controller must be 0..127, got 128"),
        ("0 midi:keys bend 8192", "midi:keys bend: bend must be -8192..8191, got 8192"),
        ("0 midi:keys bend", "midi:keys bend: expected a bend -8192..8191"),
        ("0 midi:keys wiggle", "unknown action 'wiggle' for midi:keys (expected plug or unplug"),
        ("0 midi:keys", "expected an action for midi:keys: plug or unplug or note"),
    ],
)
def test_bad_midi_lines_name_the_line(text, says):
    message = _error(text + "\n")
    assert message.startswith("s.txt line 1: ")
    assert message.endswith(f": '{text}'")
    assert says in message


def _checked(text: str) -> None:
    check_script(parse_script(text, "s.txt"), default_profile(), BoxConfig(), "s.txt")


def test_a_device_must_be_plugged_before_it_plays():
    with pytest.raises(ScriptError) as e:
        _checked("0 midi:keys note 60 90\n")
    assert str(e.value) == (
        "s.txt line 1: midi:keys is not plugged in; plug it first: "
        "<seconds> midi:keys plug: '0 midi:keys note 60 90'"
    )


@pytest.mark.parametrize("line", ["cc 64 127", "bend 100", "off 60", "note 60 90"])
def test_an_unplugged_device_plays_no_more(line):
    with pytest.raises(ScriptError, match=r"^s.txt line 3: midi:keys is not plugged in"):
        _checked(f"0 midi:keys plug\n1 midi:keys unplug\n2 midi:keys {line}\n")


def test_a_device_plugged_again_plays_again_and_its_settings_need_no_plug():
    _checked(
        "0 set midi:keys.role=therapist\n"
        "0 set midi:keys.instrument=flute\n"
        "0 midi:keys plug\n"
        "1 midi:keys unplug\n"
        "2 midi:keys plug controller\n"
        "3 midi:keys note 36 90\n"
    )


def test_a_bad_device_setting_names_its_line():
    with pytest.raises(ScriptError, match=r"^s.txt line 2: midi:keys.role: must be one of"):
        _checked("0 midi:keys plug\n1 set midi:keys.role=boss\n")
