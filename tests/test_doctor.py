"""tonic doctor: each check on a fake machine built in tmp_path, the real MPR121
driver's emulated chip, gpiozero's mock beams and the real control server."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from gpiozero import OutputDevice
from gpiozero.pins.mock import MockTriggerPin

from appliance import doctor
from appliance.cli import main
from appliance.control.server import ControlServer
from appliance.doctor import Finding, Level
from appliance.inputs.beams import BeamPins
from appliance.inputs.mpr121_emulator import MPR121Emulator
from appliance.sound.soundfont import SEARCH_PATH

CARDS = """\
 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones
                      bcm2835 Headphones
 1 [Device         ]: USB-Audio - USB Audio Device
                      GeneralPlus USB Audio Device at usb-0000:01:00.0-1.2, full speed
"""
NO_CARDS = "--- no soundcards ---\n"
ETC_GROUP = """\
root:x:0:
audio:x:29:pi,tonic
gpio:x:997:pi,tonic
i2c:x:998:tonic
tonic:x:999:
"""
HAND_M = 0.5  # where the mock hand is, in metres
NEVER = 3600.0  # seconds: a deadline no test reaches


def levels(findings: list[Finding]) -> list[tuple[str, Level]]:
    return [(f.check, f.level) for f in findings]


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- running the checks ----------------------------------------------------------------


def test_findings_come_back_in_the_order_given_and_a_sequence_counts_as_many():
    checks = [
        ("b", lambda: Finding("b", Level.OK, "fine")),
        ("a", lambda: [Finding("a:1", Level.WARN, "one"), Finding("a:2", Level.OK, "two")]),
    ]
    assert levels(doctor.run_checks(checks)) == [
        ("b", Level.OK),
        ("a:1", Level.WARN),
        ("a:2", Level.OK),
    ]


def test_a_check_that_raises_is_a_fail_line_naming_the_exception():
    def broken() -> Finding:
        raise KeyError("gpiochip")

    [finding] = doctor.run_checks([("gpio", broken)])
    assert finding.level is Level.FAIL
    assert finding.message == "the check itself failed: KeyError: 'gpiochip'"


def test_a_check_that_hangs_is_a_fail_line_and_the_others_still_report():
    release = threading.Event()
    try:
        findings = doctor.run_checks(
            [
                ("pads", lambda: Finding("pads", Level.OK, "x") if release.wait() else []),
                ("audio", lambda: Finding("audio", Level.OK, "card 0")),
            ],
            timeout=0.05,
        )
    finally:
        release.set()
    assert levels(findings) == [("pads", Level.FAIL), ("audio", Level.OK)]
    assert findings[0].message == "did not finish within 0.05 s"


def test_any_fail_makes_the_exit_code_non_zero():
    ok = Finding("audio", Level.OK, "card 0")
    warn = Finding("midi", Level.WARN, "no sequencer")
    fail = Finding("gpio", Level.FAIL, "no GPIO")
    assert doctor.exit_code([ok, warn]) == 0
    assert doctor.exit_code([ok, warn, fail]) == 1


def test_a_line_has_the_level_the_check_and_what_to_do():
    finding = Finding("i2c", Level.FAIL, "no I2C bus", "enable I2C")
    assert finding.line() == "FAIL i2c       no I2C bus -> enable I2C"
    assert Finding("audio", Level.OK, "card 0").line() == "OK   audio     card 0"


# -- sound ------------------------------------------------------------------------------


def test_sound_cards_are_listed_from_proc(tmp_path):
    touch(tmp_path / "asound" / "cards", CARDS)
    finding = doctor.check_audio(tmp_path)
    assert finding.level is Level.OK
    assert finding.message == "card 0: bcm2835 Headphones, card 1: USB Audio Device"


@pytest.mark.parametrize("device", ["hw:1", "plughw:1,0", "hw:CARD=Device,DEV=0", "default"])
def test_a_configured_device_that_is_present_passes(tmp_path, device):
    touch(tmp_path / "asound" / "cards", CARDS)
    assert doctor.check_audio(tmp_path, device).level is Level.OK


def test_a_configured_card_that_is_absent_fails_naming_what_is_there(tmp_path):
    touch(tmp_path / "asound" / "cards", CARDS)
    finding = doctor.check_audio(tmp_path, "hw:2,0")
    assert finding.level is Level.FAIL
    assert "hw:2,0" in finding.message and "card 1: USB Audio Device" in finding.message
    assert "audio.device" in finding.advice


def test_no_sound_card_warns_that_the_box_runs_silent(tmp_path):
    touch(tmp_path / "asound" / "cards", NO_CARDS)
    finding = doctor.check_audio(tmp_path)
    assert (finding.level, finding.message) == (Level.WARN, "no sound card: the box runs silent")
    assert "aplay -l" in finding.advice


def test_no_alsa_at_all_warns(tmp_path):
    assert doctor.check_audio(tmp_path).level is Level.WARN


@pytest.mark.skipif(not any(p.is_file() for p in SEARCH_PATH), reason="no GM soundfont installed")
def test_the_installed_soundfont_is_found():
    finding = doctor.check_soundfont()
    assert finding.level is Level.OK
    assert any(finding.message.startswith(str(p)) for p in SEARCH_PATH)


def test_a_corrupt_soundfont_fails_with_the_reason(tmp_path):
    bad = touch(tmp_path / "bad.sf2", "not a soundfont at all, just text")
    finding = doctor.check_soundfont(str(bad))
    assert finding.level is Level.FAIL
    assert "no RIFF sfbk header" in finding.message
    assert "timgm6mb-soundfont" in finding.advice


def test_the_midi_sequencer_is_checked(tmp_path):
    assert doctor.check_midi(tmp_path).level is Level.WARN
    touch(tmp_path / "snd" / "seq")
    assert doctor.check_midi(tmp_path).level is Level.OK


# -- I2C and the pad board ------------------------------------------------------------


def test_no_i2c_bus_fails_with_how_to_enable_it(tmp_path):
    finding = doctor.check_i2c(tmp_path, 1)
    assert finding.level is Level.FAIL
    assert str(tmp_path / "i2c-1") in finding.message
    assert "raspi-config nonint do_i2c 0" in finding.advice


def test_an_i2c_bus_that_opens_passes(tmp_path):
    touch(tmp_path / "i2c-1")
    assert doctor.check_i2c(tmp_path, 1).level is Level.OK


def test_a_box_without_pads_needs_no_bus(tmp_path):
    assert doctor.check_i2c(tmp_path, None).level is Level.OK
    assert doctor.check_pads(tmp_path, None, 0x5A).level is Level.OK


def test_pads_are_not_probed_without_a_bus(tmp_path):
    finding = doctor.check_pads(tmp_path, 1, 0x5A, open_bus=lambda path: MPR121Emulator())
    assert (finding.level, finding.message) == (Level.WARN, "not checked: no I2C bus (see i2c)")


def test_the_emulated_mpr121_answers_at_its_address(tmp_path):
    touch(tmp_path / "i2c-1")
    chip = MPR121Emulator(address=0x5A)
    finding = doctor.check_pads(tmp_path, 1, 0x5A, open_bus=lambda path: chip)
    assert finding.level is Level.OK
    assert finding.message == f"the pad board answers at 0x5A on {tmp_path / 'i2c-1'}"
    # A probe only reads: the chip's configuration is as it was.
    assert chip.transactions == 1


@pytest.mark.parametrize("address", [0x5B, 0x5C])
def test_nothing_at_the_configured_address_fails_with_what_to_check(tmp_path, address):
    touch(tmp_path / "i2c-1")
    chip = MPR121Emulator(address=0x5A)
    finding = doctor.check_pads(tmp_path, 1, address, open_bus=lambda path: chip)
    assert finding.level is Level.FAIL
    assert finding.message.startswith(f"the pad board does not answer at 0x{address:02X}")
    assert "i2cdetect -y 1" in finding.advice


def test_an_unplugged_board_fails(tmp_path):
    touch(tmp_path / "i2c-1")
    chip = MPR121Emulator(address=0x5A)
    chip.unplug()
    assert doctor.check_pads(tmp_path, 1, 0x5A, open_bus=lambda path: chip).level is Level.FAIL


def test_the_kernel_probe_refuses_a_node_that_is_not_an_i2c_bus(tmp_path):
    # The real ioctl path: a plain file answers I2C_SLAVE with ENOTTY.
    touch(tmp_path / "i2c-1")
    finding = doctor.check_pads(tmp_path, 1, 0x5A)
    assert finding.level is Level.FAIL
    assert finding.message.startswith(f"probing 0x5A on {tmp_path / 'i2c-1'} failed")


# -- GPIO and beams ----------------------------------------------------------------------


def test_no_gpio_chip_fails(tmp_path):
    finding = doctor.check_gpio(tmp_path)
    assert finding.level is Level.FAIL
    assert "--simulate" in finding.advice


def test_a_gpio_chip_that_opens_passes(tmp_path):
    touch(tmp_path / "gpiochip0")
    finding = doctor.check_gpio(tmp_path)
    assert (finding.level, finding.message) == (
        Level.OK,
        f"GPIO opens ({tmp_path / 'gpiochip0'})",
    )


def sensor(factory, pins: BeamPins) -> None:
    """A mock HC-SR04 on ``pins`` with a hand in the beam."""
    factory.pin(
        pins.trigger,
        pin_class=MockTriggerPin,
        echo_pin=factory.pin(pins.echo),
        echo_time=2 * HAND_M / 343.26,
    )


def test_each_beam_is_pinged_once_and_reported_by_name(tmp_path, mock_factory):
    wired, unplugged = BeamPins(24, 25), BeamPins(5, 6)
    sensor(mock_factory, wired)
    findings = doctor.check_beams(
        tmp_path, [wired, unplugged], pin_factory=mock_factory, deadline_s=NEVER
    )
    assert levels(findings) == [("beam:1", Level.OK), ("beam:2", Level.FAIL)]
    # The mock echo is timed by a sleeping thread: a busy machine reads it longer.
    assert re.fullmatch(r"answers \(GPIO24/25\): \d+\.\d\d m", findings[0].message)
    assert findings[1].message == "no echo (GPIO5/6)"
    assert "cable" in findings[1].advice


def test_beams_held_by_the_running_service_are_not_checked(tmp_path, mock_factory):
    pins = BeamPins(24, 25)
    sensor(mock_factory, pins)
    with OutputDevice(pins.trigger, pin_factory=mock_factory):
        [finding] = doctor.check_beams(tmp_path, [pins], pin_factory=mock_factory)
    assert finding.level is Level.WARN
    assert "tonic ctl status" in finding.advice


def test_beams_are_not_checked_without_gpio(tmp_path):
    findings = doctor.check_beams(tmp_path, [BeamPins(24, 25), BeamPins(5, 6)])
    assert levels(findings) == [("beam:1", Level.WARN), ("beam:2", Level.WARN)]


def test_a_box_without_beams_passes(tmp_path):
    assert levels(doctor.check_beams(tmp_path, [])) == [("beams", Level.OK)]


# -- groups, data, space, governor, power ---------------------------------------------------


def test_the_group_table_is_read_from_etc(tmp_path):
    touch(tmp_path / "group", ETC_GROUP)
    table = doctor.group_table(tmp_path)
    assert table["audio"] == {"pi", "tonic"}
    assert table["tonic"] == set()


def test_a_login_in_every_group_passes():
    existing = {"audio", "gpio", "i2c", "tonic"}
    finding = doctor.check_groups("pi", existing, existing)
    assert finding.level is Level.OK


def test_missing_groups_are_named_with_the_usermod_line():
    existing = {"audio", "gpio", "i2c", "tonic"}
    finding = doctor.check_groups("pi", {"audio", "gpio"}, existing)
    assert finding.level is Level.WARN
    assert finding.message == "pi is not in group i2c, tonic"
    assert finding.advice.startswith("sudo usermod -aG i2c,tonic pi")


def test_a_system_without_the_gpio_group_says_install_creates_it():
    finding = doctor.check_groups("pi", {"audio"}, {"audio", "tonic"})
    assert finding.level is Level.WARN
    assert finding.message == "no group gpio, i2c on this system"


def test_root_needs_no_groups():
    assert doctor.check_groups("root", set(), set()).level is Level.OK


def test_the_data_directory_is_written_and_left_clean(tmp_path):
    finding = doctor.check_data_dir(tmp_path)
    assert (finding.level, finding.message) == (Level.OK, f"{tmp_path} is writable")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_data_directory_is_fine_when_it_can_be_made(tmp_path):
    finding = doctor.check_data_dir(tmp_path / "tonic")
    assert finding.level is Level.OK
    assert finding.message.endswith("will be made at the first save")
    assert list(tmp_path.iterdir()) == []


def test_a_data_directory_that_is_a_file_fails(tmp_path):
    assert doctor.check_data_dir(touch(tmp_path / "tonic")).level is Level.FAIL


def test_free_space_warns_below_the_limit(tmp_path):
    free = os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize
    assert doctor.check_free_space(tmp_path, low=0).level is Level.OK
    low = doctor.check_free_space(tmp_path / "missing" / "dir", low=free * 2)
    assert low.level is Level.WARN
    assert "MB free" in low.message


@pytest.mark.parametrize(
    ("governor", "level"),
    [("performance", Level.OK), ("ondemand", Level.OK), ("powersave", Level.WARN)],
)
def test_the_cpu_governor(tmp_path, governor, level):
    touch(tmp_path / "devices/system/cpu/cpu0/cpufreq/scaling_governor", governor + "\n")
    finding = doctor.check_governor(tmp_path)
    assert finding.level is level
    if level is Level.WARN:
        assert "cpufreq.default_governor=performance" in finding.advice


def test_no_frequency_scaling_is_fine(tmp_path):
    assert doctor.check_governor(tmp_path).level is Level.OK


def test_throttled_bits_are_decoded():
    assert doctor.decode_throttled(0) == []
    assert doctor.decode_throttled(0x50005) == [
        "under-voltage now",
        "throttled now",
        "under-voltage since boot",
        "throttled since boot",
    ]


def vcgencmd(tmp_path: Path, body: str) -> str:
    script = touch(tmp_path / "vcgencmd", f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("said", "level"),
    [
        ("throttled=0x0", Level.OK),
        ("throttled=0x50000", Level.WARN),
        ("throttled=0x50005", Level.FAIL),
    ],
)
def test_power_from_vcgencmd(tmp_path, said, level):
    finding = doctor.check_power(vcgencmd(tmp_path, f"echo {said}"))
    assert finding.level is level
    if level is not Level.OK:
        assert "power supply" in finding.advice


def test_a_silent_vcgencmd_is_not_waited_for(tmp_path):
    finding = doctor.check_power(vcgencmd(tmp_path, "exec sleep 60"), timeout=0.1)
    assert (finding.level, finding.message) == (
        Level.WARN,
        "not checked: vcgencmd did not answer in 0.1 s",
    )


def test_no_vcgencmd_is_not_checked(monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert doctor.check_power().level is Level.WARN


# -- the service -------------------------------------------------------------------------


class StatusApi:
    """A box's control API reduced to ``status``, which can be made to hang."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.requests: list[dict[str, Any]] = []

    def methods(self) -> Mapping[str, Any]:
        return {"status": self.status}

    def status(self, params: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(params)
        self.gate.wait()
        return {"profile": "First steps"}

    def subscribe(self, sink: Any) -> Any:
        return lambda: None


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # A Unix socket path must fit in 107 bytes; pytest's tmp_path may not.
    directory = Path(tempfile.mkdtemp(prefix="td", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_no_socket_means_the_service_is_not_running(sock_dir):
    finding = doctor.check_socket(sock_dir / "control.sock")
    assert finding.level is Level.WARN
    assert finding.message.startswith("the service is not running")
    assert "systemctl start tonic" in finding.advice


def test_a_stale_socket_means_the_service_is_not_running(sock_dir):
    path = sock_dir / "control.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(path))  # bound, never listening: what a killed service leaves
    finding = doctor.check_socket(path)
    assert finding.level is Level.WARN
    assert "stale" in finding.message


def test_the_running_control_server_answers_status(sock_dir):
    api = StatusApi()
    with ControlServer(api, sock_dir / "control.sock", group=None) as server:
        finding = doctor.check_socket(server.path)
    assert (finding.level, finding.message) == (
        Level.OK,
        f"the service answers on {sock_dir / 'control.sock'}",
    )
    assert api.requests == [{}]


def test_a_service_that_does_not_answer_in_time_fails(sock_dir):
    api = StatusApi()
    api.gate.clear()
    try:
        with ControlServer(api, sock_dir / "control.sock", group=None) as server:
            finding = doctor.check_socket(server.path, timeout=0.1)
            api.gate.set()
    finally:
        api.gate.set()
    assert finding.level is Level.FAIL
    assert "restart tonic" in finding.advice


def serve_once(path: Path, reply: bytes) -> threading.Thread:
    """A one-shot server that reads a request line and answers ``reply``."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run() -> None:
        with listener, listener.accept()[0] as conn:
            conn.recv(4096)
            conn.sendall(reply)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"", "the service closed the connection without answering"),
        (b"<html>\n", "the service answered garbage: '<html>'"),
        (
            json.dumps({"id": 1, "error": {"code": 2, "message": "busy"}}).encode() + b"\n",
            'the service refused a status request: {"id": 1, "error": '
            '{"code": 2, "message": "busy"}}',
        ),
    ],
)
def test_a_bad_answer_fails(sock_dir, reply, message):
    thread = serve_once(sock_dir / "control.sock", reply)
    finding = doctor.check_socket(sock_dir / "control.sock")
    thread.join()
    assert (finding.level, finding.message) == (Level.FAIL, message)


# -- the command ---------------------------------------------------------------------------


def test_the_command_prints_one_line_per_check_and_fails_on_a_broken_config(
    tmp_path, sock_dir, capsys
):
    config = touch(tmp_path / "tonic.toml", "switch_pins = [17, 17]\n")
    code = main(
        [
            "doctor",
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path),
            "--socket",
            str(sock_dir / "c.sock"),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines[0].startswith("FAIL config ")
    checks = [line.split()[1] for line in lines]
    for name in ("audio", "soundfont", "i2c", "pads", "gpio", "midi", "groups", "data", "space"):
        assert name in checks
    assert checks[-1] == "socket"
    assert all(line.split()[0] in {"OK", "WARN", "FAIL"} for line in lines)
    assert f"OK   data      {tmp_path} is writable" in lines
