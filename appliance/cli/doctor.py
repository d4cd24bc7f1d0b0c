"""``tonic doctor``: check the sound card, sensors, service and Pi, one line each.

It checks with the rights of whoever runs it. ``sudo -u tonic tonic doctor``
sees exactly what the service sees.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.config import BoxConfig, load_config
from appliance.errors import TonicError

if TYPE_CHECKING:
    from appliance.doctor import Check, Finding

# The checks import gpiozero and the sensor code: loaded when the doctor runs,
# so that building the command line (`tonic scales`) does not pay for them.

#: Where the installed service keeps its data (services/tonic.service's
#: StateDirectory=). A therapist's login has no $STATE_DIRECTORY, and the
#: profile library's own default (~/.local/share/tonic) is not the box's.
INSTALLED_DATA_DIR = Path("/var/lib/tonic")
SOCKET_ENV = "TONIC_SOCKET"


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check the hardware and the service, saying what to do",
        description="Check the sound card, soundfont, I2C pads, GPIO, beams, MIDI, "
        "permissions, data directory, CPU, power and the running service.",
        epilog="Exits 1 when any check FAILs. Run as the service runs: sudo -u tonic tonic doctor",
    )
    parser.add_argument("--config", type=Path, help="box config (default: /etc/tonic/tonic.toml)")
    parser.add_argument("--data-dir", type=Path, help="where profiles are kept")
    parser.add_argument("--socket", type=Path, help="the control socket")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from appliance import doctor
    from appliance.doctor import Finding, Level

    findings: list[Finding] = []
    try:
        config = load_config(args.config)
    except TonicError as e:
        # A broken config must not hide the rest: check the built-in wiring.
        findings.append(
            Finding("config", Level.FAIL, str(e), "fix it; the checks below use the defaults")
        )
        config = BoxConfig()
    findings += doctor.run_checks(checks_for(config, args.data_dir, args.socket))
    for finding in findings:
        print(finding.line(), flush=True)
    return doctor.exit_code(findings)


def checks_for(
    config: BoxConfig, data_dir: Path | None = None, socket: Path | None = None
) -> list[tuple[str, Check]]:
    """Every check, aimed at this machine and this box's config."""
    from appliance import doctor
    from appliance.inputs.beams import BeamPins

    root = Path("/")
    data = data_dir or _data_dir(config)
    control = socket or Path(os.environ.get(SOCKET_ENV) or config.control.socket)
    bus = config.pads.i2c_bus if config.pads is not None else None
    address = config.pads.address if config.pads is not None else 0
    beams = [BeamPins(b.trigger, b.echo) for b in config.beams]
    p = functools.partial
    return [
        ("audio", p(doctor.check_audio, root / "proc", config.audio.device)),
        ("soundfont", p(doctor.check_soundfont, config.soundfont)),
        ("i2c", p(doctor.check_i2c, root / "dev", bus)),
        ("pads", p(doctor.check_pads, root / "dev", bus, address)),
        ("gpio", p(doctor.check_gpio, root / "dev")),
        ("beams", p(doctor.check_beams, root / "dev", beams)),
        ("midi", p(doctor.check_midi, root / "dev")),
        ("groups", p(doctor.check_session_groups, root / "etc")),
        ("data", p(doctor.check_data_dir, data)),
        ("space", p(doctor.check_free_space, data)),
        ("governor", p(doctor.check_governor, root / "sys")),
        ("power", doctor.check_power),
        ("socket", p(doctor.check_socket, control)),
    ]


def _data_dir(config: BoxConfig) -> Path:
    if config.data_dir:
        return Path(config.data_dir)
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state)
    if INSTALLED_DATA_DIR.is_dir():
        return INSTALLED_DATA_DIR
    from appliance.profile.library import default_data_dir

    return default_data_dir()
