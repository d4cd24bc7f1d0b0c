"""``tonic config``: the configuration in effect, and where each value came from."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config import BoxConfig, parse_config
from appliance.config_fields import declarations

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_box_file(monkeypatch, tmp_path):
    monkeypatch.delenv("TONIC_CONFIG", raising=False)
    monkeypatch.setenv("RUNTIME_DIRECTORY", "/run/tonic")
    monkeypatch.setattr("appliance.config.DEFAULT_PATH", tmp_path / "absent" / "tonic.toml")


def config_lines(capsys, *args: str) -> list[str]:
    assert main(["config", *args]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out.splitlines()


def settings(lines: list[str]) -> dict[str, str]:
    """``[table] key`` -> the comment after its value, for every setting line."""
    found: dict[str, str] = {}
    table = ""
    for line in lines:
        if line.startswith("["):
            table = line.strip("[]") + "."
        elif m := re.fullmatch(r"(?:# )?(\w+)(?: = |: not set, so ).*  # (.+)", line):
            found[table + m[1]] = m[2]
    return found


def test_with_no_file_every_value_is_a_default(capsys):
    lines = config_lines(capsys)
    assert lines[0].startswith("# no config file (")
    sources = settings(lines)
    assert set(sources.values()) == {"default"}
    expected = []
    for name, decl in declarations(BoxConfig).items():
        inner = getattr(decl, "cls", None)
        expected += [f"{name}.{i}" for i in declarations(inner)] if inner else [name]
    assert sorted(sources) == sorted(expected)
    assert "switch_pins = [17, 27, 22, 23]  # default" in lines
    assert "address = 0x5A  # default" in lines
    assert 'socket = "/run/tonic/control.sock"  # default' in lines
    assert 'mode = "0660"  # default' in lines


def test_values_from_the_file_name_the_file(capsys, tmp_path):
    path = tmp_path / "tonic.toml"
    path.write_text('gain_ceiling = 0.3\n[pads]\nirq_pin = "none"\n[control]\nmode = "0600"\n')
    sources = settings(config_lines(capsys, "--config", str(path)))
    assert sources["gain_ceiling"] == sources["pads.irq_pin"] == str(path)
    assert sources["control.mode"] == str(path)
    assert sources["pads.address"] == sources["audio.periods"] == "default"


def test_the_environment_names_the_file(capsys, monkeypatch, tmp_path):
    path = tmp_path / "env.toml"
    path.write_text("sample_rate = 44100\n")
    monkeypatch.setenv("TONIC_CONFIG", str(path))
    lines = config_lines(capsys)
    assert f"sample_rate = 44100  # {path}" in lines


@pytest.mark.parametrize(
    "text",
    [
        "",
        "pads = false\nbeams = []\nswitch_pins = [5]\n",
        '[pads]\naddress = 0x5D\nirq_pin = "none"\npoll_hz = 20\n'
        "[[beams]]\ntrigger = 24\necho = 25\n[[beams]]\ntrigger = 5\necho = 6\n"
        '[audio]\ndriver = "jack"\ndevice = "hw:1,0"\nperiod_size = 32\nperiods = 4\n'
        '[control]\nsocket = "/run/x.sock"\ngroup = "staff"\nmode = "0640"\n',
        'soundfont = "/sf/a \\"b\\".sf2"\ndata_dir = "/data"\ngain_ceiling = 1\n',
    ],
)
def test_the_output_reads_back_as_the_same_configuration(capsys, tmp_path, text):
    path = tmp_path / "tonic.toml"
    path.write_text(text)
    printed = "\n".join(config_lines(capsys, "--config", str(path)))
    assert parse_config(printed, "printed").config == parse_config(text, "file").config


def test_explain_says_what_each_setting_is_for(capsys):
    lines = config_lines(capsys, "--explain")
    at = lines.index("irq_pin = 4  # default")
    assert lines[at - 1] == '# GPIO the IRQ line is wired to; "none": no IRQ wire, poll instead'


def test_a_broken_file_exits_2_with_every_problem_on_its_own_line(capsys, tmp_path):
    path = tmp_path / "tonic.toml"
    path.write_text(
        "[pads]\naddress = 0x10\npoll_hz = 0\nsample_rat = 1\n[[beams]]\ntrigger = 17\n"
    )
    assert main(["config", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"tonic: error: {path}: pads.address: must be 0x5A..0x5D (the MPR121's ADDR pin), got 0x10",
        f"tonic: error: {path}: pads.poll_hz: must be 1..200, got 0",
        f"tonic: error: {path}: pads.sample_rat: unknown setting "
        "(valid: i2c_bus, address, irq_pin, poll_hz)",
        f"tonic: error: {path}: beams[1]: missing 'echo': "
        "GPIO of the sensor's ECHO (via the divider)",
    ]


def test_an_unreadable_file_exits_2_with_one_line(capsys, tmp_path):
    assert main(["config", "--config", str(tmp_path)]) == 2
    _, err = capsys.readouterr()
    assert err == (
        f"tonic: error: cannot read box config {tmp_path}: it is a directory, not a regular file\n"
    )


def test_the_command_runs_as_tonic_config():
    proc = subprocess.run(
        [sys.executable, "-m", "appliance", "config", "--config", "/nonexistent/tonic.toml"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2
    assert proc.stderr == "tonic: error: box config not found: /nonexistent/tonic.toml\n"
    listed = subprocess.run(
        [sys.executable, "-m", "appliance", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert re.search(r"^\s+config\s+print the box configuration", listed.stdout, re.M)
