"""The box's own configuration: defaults, checks, tonic.toml, hostile files."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.audio_settings import AudioSettings
from appliance.config import (
    DEFAULT_SWITCH_PINS,
    PAD_COUNT,
    BeamWiring,
    BoxConfig,
    ConfigError,
    ControlSettings,
    LoadedConfig,
    PadWiring,
    load_config,
    parse_config,
    read_config,
)
from appliance.config_fields import MAX_PROBLEMS, Section, declarations
from appliance.textfile import EXCERPT_CHARS, MAX_SETTINGS_BYTES

REPO = Path(__file__).resolve().parents[1]
WIRING = REPO / "hardware" / "wiring.md"
EXAMPLE = REPO / "hardware" / "tonic.toml.example"


def problems_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, origin="tonic.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("tonic.toml: ")
    return [str(p) for p in caught.value.problems]


def the_problem(text: str) -> str:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


# -- defaults ---------------------------------------------------------------------


def test_the_defaults_match_the_wiring_table():
    table = WIRING.read_text()
    switches = tuple(int(p) for p in re.findall(r"^\| switch:\d \| GPIO(\d+) ", table, re.M))
    beam = re.search(r"^\| beam:1 \| GPIO(\d+) .*?\| GPIO(\d+) ", table, re.M)
    irq = re.search(r"^\| IRQ \| GPIO(\d+) ", table, re.M)
    assert beam is not None and irq is not None
    config = BoxConfig()
    assert config.switch_pins == DEFAULT_SWITCH_PINS == switches == (17, 27, 22, 23)
    assert config.pads == PadWiring(i2c_bus=1, address=0x5A, irq_pin=int(irq[1]), poll_hz=50.0)
    assert "bus 1, address 0x5A" in table
    assert config.beams == (BeamWiring(trigger=int(beam[1]), echo=int(beam[2])),)
    assert config.audio == AudioSettings()
    assert (config.soundfont, config.data_dir) == (None, None)
    assert (config.control.group, config.control.mode) == ("tonic", 0o660)


def test_the_defaults_name_every_input():
    ids = BoxConfig().input_ids()
    assert ids[:4] == ("switch:1", "switch:2", "switch:3", "switch:4")
    assert ids[4:16] == tuple(f"pad:{n}" for n in range(1, PAD_COUNT + 1))
    assert ids[16:] == ("beam:1",)


def test_the_gain_ceiling_is_2_8_unless_set_and_may_be_set_up_to_4():
    # FluidSynth's master gain: the level plan (docs/sound.md) is measured at 2.8.
    assert BoxConfig().gain_ceiling == 2.8
    assert parse_config("gain_ceiling = 4.0\n", "t").config.gain_ceiling == 4.0
    assert parse_config("gain_ceiling = 4\n", "t").config.gain_ceiling == 4.0
    assert parse_config("gain_ceiling = 0.01\n", "t").config.gain_ceiling == 0.01


def test_a_box_without_pads_or_beams_has_only_its_switches():
    config = BoxConfig(switch_pins=(5, 6), pads=None, beams=())
    assert config.input_ids() == ("switch:1", "switch:2")


# -- values built in code -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"switch_pins": (17, 17)}, "switch_pins: GPIO 17 is used by switch 1 and switch 2"),
        ({"switch_pins": (40,)}, "switch_pins: switch 1: must be a BCM GPIO number 0..27, got 40"),
        ({"switch_pins": tuple(range(5, 14))}, "switch_pins: at most 8 switches, got 9"),
        ({"gain_ceiling": 4.5}, "gain_ceiling: must be more than 0 and at most 4, got 4.5"),
        ({"gain_ceiling": 0.0}, "gain_ceiling: must be more than 0 and at most 4, got 0"),
        (
            {"beams": (BeamWiring(24, 25), BeamWiring(5, 6), BeamWiring(12, 13))},
            "beams: at most 2 beams, got 3",
        ),
        ({"beams": (BeamWiring(17, 25),)}, "GPIO 17 is used by switch 1 and beam 1 trigger"),
        ({"beams": (BeamWiring(24, 24),)}, "GPIO 24 is used by beam 1 trigger and beam 1 echo"),
        ({"pads": PadWiring(irq_pin=24)}, "GPIO 24 is used by the pads' IRQ and beam 1 trigger"),
        ({"pads": PadWiring(address=0x10)}, "pads.address: must be 0x5A..0x5D"),
        ({"switch_pins": (2, 17)}, "GPIO 2 is used by switch 1 and the pads' I2C SDA"),
    ],
)
def test_impossible_wiring_built_in_code_is_refused(kwargs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        BoxConfig(**kwargs)


def test_i2c_pins_are_free_for_switches_without_a_pad_board_on_bus_1():
    assert BoxConfig(switch_pins=(2, 3), pads=None).switch_pins == (2, 3)
    assert BoxConfig(switch_pins=(2, 3), pads=PadWiring(i2c_bus=3)).switch_pins == (2, 3)


def test_pins_used_three_times_are_one_problem_naming_all_three():
    with pytest.raises(ConfigError) as caught:
        BoxConfig(switch_pins=(24, 24), beams=(BeamWiring(24, 25),))
    assert [str(p) for p in caught.value.problems] == [
        "beams[1].trigger: GPIO 24 is used by switch 1, switch 2 and beam 1 trigger"
    ]


# -- reading tonic.toml -------------------------------------------------------------


def test_a_file_sets_pads_beams_audio_and_control(tmp_path):
    path = tmp_path / "tonic.toml"
    path.write_text(
        "switch_pins = [5, 6, 13]\n"
        "gain_ceiling = 0.4\n"
        "sample_rate = 44100\n"
        'soundfont = "/usr/share/sounds/sf2/TimGM6mb.sf2"\n'
        'data_dir = "/data/tonic"\n'
        "[pads]\naddress = 0x5B\nirq_pin = 26\n"
        "[[beams]]\ntrigger = 24\necho = 25\n"
        "[[beams]]\ntrigger = 20\necho = 21\n"
        '[audio]\ndevice = "hw:1"\nperiod_size = 128\nperiods = 2\n'
        '[control]\nsocket = "/run/box.sock"\ngroup = "therapists"\nmode = "0600"\n'
    )
    config = load_config(path)
    assert config.switch_pins == (5, 6, 13)
    assert config.pads == PadWiring(address=0x5B, irq_pin=26)
    assert config.beams == (BeamWiring(24, 25), BeamWiring(20, 21))
    assert config.audio == AudioSettings(device="hw:1", period_size=128, periods=2)
    assert (config.sample_rate, config.gain_ceiling) == (44100, 0.4)
    assert config.soundfont == "/usr/share/sounds/sf2/TimGM6mb.sf2"
    assert config.data_dir == "/data/tonic"
    assert config.control == ControlSettings(socket="/run/box.sock", group="therapists", mode=0o600)
    assert config.input_ids()[-2:] == ("beam:1", "beam:2")


def test_polling_pads_are_written_irq_pin_none():
    config = parse_config('[pads]\nirq_pin = "none"\npoll_hz = 100\n', "t").config
    assert config.pads == PadWiring(irq_pin=None, poll_hz=100.0)
    # With no IRQ wire, GPIO 4 is free for a switch.
    freed = parse_config('switch_pins = [4]\n[pads]\nirq_pin = "none"\n', "t").config
    assert freed.switch_pins == (4,)


def test_a_file_can_say_there_is_no_pad_board_or_beam():
    config = parse_config("pads = false\nbeams = []\n", "t").config
    assert config.input_ids() == BoxConfig(pads=None, beams=()).input_ids()
    assert parse_config("pads = true\n", "t").config.pads == PadWiring()


def test_where_each_value_came_from():
    loaded = parse_config("gain_ceiling = 0.3\n[pads]\naddress = 0x5C\n", "/etc/t.toml")
    assert loaded.source("gain_ceiling") == "/etc/t.toml"
    assert loaded.source("pads.address") == "/etc/t.toml"
    assert loaded.source("pads.irq_pin") == "default"
    assert loaded.source("switch_pins") == "default"


def test_with_no_file_anywhere_the_defaults_apply(monkeypatch, tmp_path):
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.setattr("appliance.config.DEFAULT_PATH", tmp_path / "absent.toml")
    assert read_config() == LoadedConfig(BoxConfig(), None)
    assert load_config() == BoxConfig()


def test_the_environment_names_the_file_and_an_argument_beats_it(monkeypatch, tmp_path):
    (tmp_path / "env.toml").write_text("gain_ceiling = 0.3\n")
    (tmp_path / "arg.toml").write_text("gain_ceiling = 0.2\n")
    monkeypatch.setenv("TONIC_CONFIG", str(tmp_path / "env.toml"))
    monkeypatch.setattr("appliance.config.DEFAULT_PATH", tmp_path / "absent.toml")
    assert load_config().gain_ceiling == 0.3
    assert load_config(tmp_path / "arg.toml").gain_ceiling == 0.2


def test_a_named_file_that_is_missing_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"box config not found: .*nope\.toml"):
        load_config(tmp_path / "nope.toml")


def test_the_default_file_is_read_when_it_exists(monkeypatch, tmp_path):
    (tmp_path / "tonic.toml").write_text("switch_pins = [5]\n")
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.setattr("appliance.config.DEFAULT_PATH", tmp_path / "tonic.toml")
    loaded = read_config()
    assert loaded.config.switch_pins == (5,)
    assert loaded.source("switch_pins") == str(tmp_path / "tonic.toml")


# -- every problem, with its path ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[pads]\naddress = 0x10\n",
            "pads.address: must be 0x5A..0x5D (the MPR121's ADDR pin), got 0x10",
        ),
        ("[pads]\naddress = 0x5E\n", "pads.address: must be 0x5A..0x5D"),
        ('[pads]\naddress = "5A"\n', "pads.address: must be a whole number, got '5A' (text)"),
        ("[pads]\npoll_hz = 0\n", "pads.poll_hz: must be 1..200, got 0"),
        ("[pads]\npoll_hz = 201\n", "pads.poll_hz: must be 1..200, got 201"),
        ("[pads]\npoll_hz = nan\n", "pads.poll_hz: must be 1..200, got nan"),
        ("[pads]\npoll_hz = inf\n", "pads.poll_hz: must be 1..200, got inf"),
        ("[pads]\nirq_pin = 28\n", "pads.irq_pin: must be a BCM GPIO number 0..27, got 28"),
        ('[pads]\nirq_pin = "no"\n', "pads.irq_pin: must be a whole number or \"none\", got 'no'"),
        ("[pads]\nirq_pin = false\n", 'pads.irq_pin: must be a whole number or "none", got False'),
        ("[pads]\ni2c_bus = -1\n", "pads.i2c_bus: must be 0..31, got -1"),
        ("pads = 1\n", "pads: must be a table [pads] or true/false, got 1"),
        ("sample_rate = 0\n", "sample_rate: must be one of 44100, 48000, got 0"),
        ("sample_rate = 1\n", "sample_rate: must be one of 44100, 48000, got 1"),
        ("sample_rate = 96000\n", "sample_rate: must be one of 44100, 48000, got 96000"),
        ("sample_rate = 48000.0\n", "sample_rate: must be a whole number, got 48000.0"),
        (
            "[audio]\nperiod_size = 100\n",
            "audio.period_size: must be a power of two from 16 to 1024, got 100",
        ),
        ("[audio]\nperiod_size = 8\n", "audio.period_size: must be a power of two from 16 to 1024"),
        (
            "[audio]\nperiod_size = 2048\n",
            "audio.period_size: must be a power of two from 16 to 1024",
        ),
        ("[audio]\nperiods = 1\n", "audio.periods: must be 2..16, got 1"),
        ("[audio]\nperiods = 17\n", "audio.periods: must be 2..16, got 17"),
        (
            '[audio]\ndriver = "alas"\n',
            "audio.driver: must be one of alsa, pulseaudio, pipewire, jack, sdl2, oss, file, "
            "got 'alas'; did you mean 'alsa'?",
        ),
        ('[audio]\ndevice = ""\n', "audio.device: must be an ALSA device name"),
        ("gain_ceiling = 0\n", "gain_ceiling: must be more than 0 and at most 4, got 0"),
        ("gain_ceiling = 4.01\n", "gain_ceiling: must be more than 0 and at most 4, got 4.01"),
        ("gain_ceiling = -2.8\n", "gain_ceiling: must be more than 0 and at most 4, got -2.8"),
        ("gain_ceiling = nan\n", "gain_ceiling: must be more than 0 and at most 4, got nan"),
        ("gain_ceiling = inf\n", "gain_ceiling: must be more than 0 and at most 4, got inf"),
        ('gain_ceiling = "loud"\n', "gain_ceiling: must be a number, got 'loud' (text)"),
        ("gain_ceiling = true\n", "gain_ceiling: must be a number, got True (true or false)"),
        ("switch_pins = 5\n", "switch_pins: must be a list of whole numbers like [17, 27], got 5"),
        ('switch_pins = [17, "a"]\n', "switch_pins: must be a list of whole numbers"),
        (
            "switch_pins = [17, 40]\n",
            "switch_pins: switch 2: must be a BCM GPIO number 0..27, got 40",
        ),
        (
            "switch_pins = [5, -1]\n",
            "switch_pins: switch 2: must be a BCM GPIO number 0..27, got -1",
        ),
        (
            "switch_pins = [5, 6, 7, 8, 9, 10, 11, 12, 13]\n",
            "switch_pins: at most 8 switches, got 9",
        ),
        ("beams = [1]\n", "beams: must be tables written [[beams]], got [1]"),
        ("[[beams]]\ntrigger = 24\n", "beams[1]: missing 'echo'"),
        (
            "[[beams]]\ntrigger = 24\necho = 99\n",
            "beams[1].echo: must be a BCM GPIO number 0..27, got 99",
        ),
        (
            "[[beams]]\ntrigger=24\necho=25\n[[beams]]\ntrigger=5\necho=6\n[[beams]]\ntrigger=12\necho=13\n",
            "beams: at most 2 beams, got 3",
        ),
        ('soundfont = "TimGM6mb.sf2"\n', "soundfont: must be an absolute path"),
        (
            'soundfont = "/a\\u0000b.sf2"\n',
            "soundfont: must be an absolute path (starting with /), printable",
        ),
        ('data_dir = "profiles"\n', "data_dir: must be an absolute path"),
        ("data_dir = 3\n", "data_dir: must be text in quotes, got 3 (a whole number)"),
        ('[control]\nsocket = "control.sock"\n', "control.socket: must be an absolute path"),
        (
            '[control]\nsocket = "/' + "s" * 120 + '"\n',
            "control.socket: a Unix socket path is at most 107 bytes",
        ),
        ('[control]\ngroup = "Tonic"\n', "control.group: must be a group name"),
        ('[control]\ngroup = "a b"\n', "control.group: must be a group name"),
        (
            "[control]\nmode = 660\n",
            'control.mode: must be octal digits in quotes, like "0660", got 660',
        ),
        (
            "[control]\nmode = 0o660\n",
            'control.mode: must be octal digits in quotes, like "0660", got 432',
        ),
        ('[control]\nmode = "0668"\n', "control.mode: must be octal digits in quotes"),
        (
            '[control]\nmode = "1777"\n',
            'control.mode: must be a permission "0000".."0777", got "1777"',
        ),
    ],
)
def test_each_bad_value_is_named_by_its_path_with_what_is_allowed(text, expected):
    assert the_problem(text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "switch_pinz = [17]\n",
            "switch_pinz: unknown setting; did you mean 'switch_pins'? "
            "(valid: switch_pins, pads, beams,",
        ),
        ("speakers = 2\n", "speakers: unknown setting (valid: switch_pins,"),
        (
            "[pads]\nirq = 4\n",
            "pads.irq: unknown setting; did you mean 'irq_pin'? "
            "(valid: i2c_bus, address, irq_pin, poll_hz)",
        ),
        (
            "[[beams]]\ntrigger = 24\necho = 25\necco = 1\n",
            "beams[1].ecco: unknown setting; did you mean 'echo'?",
        ),
        (
            "[audio]\nperiod_siz = 64\n",
            "audio.period_siz: unknown setting; did you mean 'period_size'?",
        ),
        ('[control]\nsock = "/run/x"\n', "control.sock: unknown setting; did you mean 'socket'?"),
    ],
)
def test_unknown_keys_say_what_was_meant(text, expected):
    assert the_problem(text).startswith(expected)


def test_a_gpio_used_twice_is_one_problem_naming_both_uses():
    assert the_problem("[[beams]]\ntrigger = 17\necho = 25\n") == (
        "beams[1].trigger: GPIO 17 is used by switch 1 and beam 1 trigger"
    )
    # The problem sits on the line the file wrote, not on the default it met.
    assert the_problem("switch_pins = [24]\n") == (
        "switch_pins: GPIO 24 is used by switch 1 and beam 1 trigger"
    )
    assert the_problem("switch_pins = [5, 3]\n") == (
        "switch_pins: GPIO 3 is used by switch 2 and the pads' I2C SCL"
    )


def test_every_problem_is_reported_at_once_with_cross_checks_among_them():
    problems = problems_of(
        "switch_pinz = [1]\n"
        "sample_rate = 0\n"
        "[pads]\naddress = 0x10\npoll_hz = 0\n"
        "[[beams]]\ntrigger = 17\necho = 25\n"
        '[control]\nmode = "0668"\n'
    )
    paths = [p.split(":")[0] for p in problems]
    assert paths == [
        "switch_pinz",
        "sample_rate",
        "pads.address",
        "pads.poll_hz",
        "control.mode",
        "beams[1].trigger",
    ]
    assert problems[-1].endswith("GPIO 17 is used by switch 1 and beam 1 trigger")


def test_a_bad_value_does_not_make_a_clash_with_the_default_it_fell_back_to():
    # irq_pin 99 is wrong; the default IRQ (GPIO 4) must not then clash with switch 1 on 4.
    problems = problems_of("switch_pins = [4]\n[pads]\nirq_pin = 99\n")
    assert problems == ["pads.irq_pin: must be a BCM GPIO number 0..27, got 99"]
    # A bad beams table leaves the default beam's pins out of the check too.
    assert problems_of("switch_pins = [24]\nbeams = 7\n") == [
        "beams: must be tables written [[beams]], got 7 (a whole number)"
    ]


def test_the_message_counts_the_problems_and_stops_at_a_limit():
    text = "".join(f"junk{n} = 1\n" for n in range(MAX_PROBLEMS + 30))
    with pytest.raises(ConfigError) as caught:
        parse_config(text, origin="tonic.toml")
    message = str(caught.value)
    assert message.startswith(f"tonic.toml: {MAX_PROBLEMS + 30} problems: junk0: unknown setting")
    assert message.endswith("; and 30 more")
    assert len(caught.value.problems) == MAX_PROBLEMS + 30


@pytest.mark.parametrize(
    "text",
    [
        'soundfont = "' + "x" * 100_000 + '"\n',
        '[audio]\ndevice = "' + "y" * 3_000 + '"\n',
        "sample_rate = " + "9" * 3_000 + "\n",
        "[pads]\naddress = " + "7" * 3_000 + "\n",
        "[pads]\npoll_hz = " + "1" * 3_000 + ".5\n",
        '"' + "k" * 3_000 + '" = 1\n',
        "switch_pins = [" + ", ".join(["1"] * 1_000) + "]\n",
    ],
)
def test_errors_quote_at_most_a_short_excerpt(text):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, origin="tonic.toml")
    assert len(str(caught.value)) < 400 + 4 * EXCERPT_CHARS


# -- hostile files ----------------------------------------------------------------


def test_a_bom_and_crlf_line_ends_are_accepted(tmp_path):
    path = tmp_path / "tonic.toml"
    path.write_bytes(b"\xef\xbb\xbfgain_ceiling = 0.3\r\n[pads]\r\naddress = 0x5B\r\n")
    config = load_config(path)
    assert (config.gain_ceiling, config.pads) == (0.3, PadWiring(address=0x5B))


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: os.mkfifo(p), "a named pipe (FIFO), not a regular file"),
        (lambda p: p.mkdir(), "a directory, not a regular file"),
        (lambda p: p.write_bytes(b"gain_ceiling = 0.3\n\0\xff"), "binary file"),
        (lambda p: p.write_bytes(b"# " + b"x" * MAX_SETTINGS_BYTES + b"\n"), "too large"),
        (lambda p: p.write_text("a = " + "[" * 1_000 + "]" * 1_000 + "\n"), "nested more than"),
        (lambda p: p.write_text("a." * 3_000 + "b = 1\n"), "characters long"),
        (lambda p: p.write_text("not toml ==\n"), "not valid TOML"),
        (lambda p: p.write_text("[pads]\n[pads]\n"), "not valid TOML"),
    ],
)
def test_hostile_files_are_refused_with_one_line(tmp_path, make, fragment):
    path = tmp_path / "tonic.toml"
    make(path)
    with pytest.raises(ConfigError, match=re.escape(fragment)) as caught:
        load_config(path)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_a_device_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="a device, not a regular file"):
        load_config("/dev/zero")


TOML_KEYS = [
    *(name for name in declarations(BoxConfig)),
    "pads.address", "pads.irq_pin", "pads.poll_hz", "pads.i2c_bus", "audio.periods",
    "audio.period_size", "audio.driver", "control.mode", "control.socket", "control.group",
    "beams", "x", "pads.x", "²", '"01"',
]  # fmt: skip
TOML_VALUES = [
    "0", "1", "-1", "4", "17", "24", "0x10", "0x5A", "0o660", "1e400", "nan", "-inf", "0.0",
    "48000", "9" * 400, "true", "false", '"none"', '"0660"', '"alsa"', '"/x"', '""', "[]",
    "[17, 17]", "[1, 2, 3, 4, 5, 6, 7, 8, 9]", '[1, "a"]', "[[]]", "{}", "{trigger = 1}",
    "{irq_pin = 4}", "[{trigger = 24, echo = 25}]", "1979-05-27", '"\\u0000"',
]  # fmt: skip

toml_lines = st.one_of(
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(TOML_KEYS), st.sampled_from(TOML_VALUES)),
    st.sampled_from(["[pads]", "[audio]", "[control]", "[[beams]]", "[beams]", "[x]"]),
    st.text(max_size=20),
)


@settings(max_examples=400)
@given(st.lists(toml_lines, max_size=12))
def test_any_toml_ish_text_gives_a_config_or_a_config_error(lines):
    try:
        loaded = parse_config("\n".join(lines), origin="fuzz.toml")
    except ConfigError as e:
        message = str(e)
        assert "\n" not in message and message.startswith("fuzz.toml")
        assert len(message) < 4_000
    else:
        assert loaded.config == BoxConfig(**_fields(loaded.config))
        assert 0 < loaded.config.gain_ceiling <= 4 and not math.isnan(loaded.config.gain_ceiling)


def _fields(config: BoxConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in declarations(BoxConfig)}


# -- the socket ----------------------------------------------------------------------


def test_the_config_default_is_that_socket(monkeypatch):
    monkeypatch.setenv("RUNTIME_DIRECTORY", "/run/tonic")
    assert BoxConfig().control == ControlSettings("/run/tonic/control.sock", "tonic", 0o660)


# -- the example file ----------------------------------------------------------------


def _uncommented(text: str) -> str:
    """The example with every commented-out setting (``#key = value``, ``#[table]``) put back."""
    return "".join(
        line[1:] if re.match(r"#[\[a-z]", line) else line for line in text.splitlines(keepends=True)
    )


def test_the_example_file_is_the_defaults_when_uncommented(monkeypatch):
    monkeypatch.setenv("RUNTIME_DIRECTORY", "/run/tonic")
    text = EXAMPLE.read_text()
    assert parse_config(text, str(EXAMPLE)).config == BoxConfig()
    loaded = parse_config(_uncommented(text), str(EXAMPLE)).config
    expected = {"soundfont": "/usr/share/sounds/sf2/TimGM6mb.sf2", "data_dir": "/var/lib/tonic"}
    assert _fields(loaded) == {**_fields(BoxConfig()), **expected}


def test_the_example_file_shows_every_setting():
    uncommented = _uncommented(EXAMPLE.read_text())
    for name, decl in declarations(BoxConfig).items():
        if isinstance(decl, Section):
            header = f"[[{name}]]" if decl.many else f"[{name}]"
            assert header in uncommented, name
            for inner in declarations(decl.cls):
                assert re.search(rf"^{inner} = ", uncommented, re.M), f"{name}.{inner}"
        else:
            assert re.search(rf"^{name} = ", uncommented, re.M), name
    assert 'irq_pin = "none"' in EXAMPLE.read_text()


# -- plain data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import appliance.config",
        "import appliance.inputs.simulated",
        "import contextlib, io\nfrom appliance.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['scales'])",
        "import contextlib, io\nfrom appliance.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    main(['config'])",
    ],
)
def test_the_config_and_light_commands_do_not_load_the_synth(code):
    check = "\nimport sys\nprint(sorted(m for m in ('fluidsynth', 'numpy') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code + check],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "TONIC_CONFIG": str(EXAMPLE)},
    )
    assert out.stdout.strip() == "[]", out.stderr
