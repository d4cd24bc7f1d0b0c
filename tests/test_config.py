"""The box's own configuration: wiring defaults, checks, and box.toml."""

from __future__ import annotations

import pytest

from appliance.config import (
    DEFAULT_SWITCH_PINS,
    BeamWiring,
    BoxConfig,
    ConfigError,
    PadWiring,
    load_config,
)


def test_the_defaults_match_the_wiring_table_and_name_every_input():
    config = BoxConfig()
    assert config.switch_pins == DEFAULT_SWITCH_PINS == (17, 27, 22, 23)
    assert config.pads == PadWiring(i2c_bus=1, address=0x5A, irq_pin=4, poll_hz=50.0)
    assert config.beams == (BeamWiring(trigger=24, echo=25),)
    ids = config.input_ids()
    assert ids[:4] == ("switch:1", "switch:2", "switch:3", "switch:4")
    assert ids[4:16] == tuple(f"pad:{n}" for n in range(1, 13))
    assert ids[16:] == ("beam:1",)


def test_a_box_without_pads_or_beams_has_only_its_switches():
    config = BoxConfig(switch_pins=(5, 6), pads=None, beams=())
    assert config.input_ids() == ("switch:1", "switch:2")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"switch_pins": (17, 17)}, "each switch needs its own pin"),
        ({"switch_pins": (40,)}, "GPIO pins run 0..27"),
        ({"gain_ceiling": 1.5}, "gain_ceiling: must be in range 0..1"),
        ({"gain_ceiling": 0.0}, "gain_ceiling: must be in range 0..1"),
        (
            {"beams": (BeamWiring(24, 25), BeamWiring(5, 6), BeamWiring(12, 13))},
            "at most 2 beams",
        ),
        ({"beams": (BeamWiring(17, 25),)}, "GPIO 17 wired to two inputs"),
        ({"pads": PadWiring(irq_pin=24)}, "GPIO 24 wired to two inputs"),
    ],
)
def test_impossible_wiring_is_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        BoxConfig(**kwargs)


def test_box_toml_sets_pads_and_beams(tmp_path):
    path = tmp_path / "box.toml"
    path.write_text(
        "switch_pins = [5, 6, 13]\n"
        "gain_ceiling = 0.4\n"
        "[pads]\naddress = 0x5B\nirq_pin = 26\n"
        "[[beams]]\ntrigger = 24\necho = 25\n"
        "[[beams]]\ntrigger = 20\necho = 21\n"
        '[audio]\ndevice = "hw:1"\nperiod_size = 128\n'
    )
    config = load_config(path)
    assert config.switch_pins == (5, 6, 13)
    assert config.pads == PadWiring(address=0x5B, irq_pin=26)
    assert config.beams == (BeamWiring(24, 25), BeamWiring(20, 21))
    assert (config.audio.device, config.audio.period_size) == ("hw:1", 128)
    assert config.input_ids()[-2:] == ("beam:1", "beam:2")


def test_box_toml_can_say_there_is_no_pad_board(tmp_path):
    path = tmp_path / "box.toml"
    path.write_text("pads = false\nbeams = []\n")
    assert load_config(path).input_ids() == BoxConfig(pads=None, beams=()).input_ids()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pads]\nirq = 4\n", "pads: .*unexpected keyword argument 'irq'"),
        ('[pads]\naddress = "5A"\n', "pads.address: must be a number"),
        ("beams = [1]\n", "beams: must be a table"),
        ("speakers = 2\n", "unknown setting 'speakers'"),
        ("switch_pins = [17, 17]\n", "each switch needs its own pin"),
        ("not toml ==\n", "cannot read box config"),
    ],
)
def test_a_broken_box_toml_names_the_problem(tmp_path, text, message):
    path = tmp_path / "box.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_with_no_file_anywhere_the_defaults_apply(monkeypatch, tmp_path):
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.setattr("appliance.config.DEFAULT_PATH", tmp_path / "absent.toml")
    assert load_config() == BoxConfig()
