"""The systemd unit: it verifies, its hardening scores safe, and it agrees with
the sysusers, tmpfiles and udev files installed beside it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
UNIT = CHECKOUT / "services" / "tonic.service"
SYSUSERS = CHECKOUT / "services" / "tonic.sysusers"
TMPFILES = CHECKOUT / "services" / "tonic.tmpfiles"
UDEV = CHECKOUT / "hardware" / "99-tonic.rules"
MAX_EXPOSURE = 4.0  # the bar for `systemd-analyze security`

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt install systemd)",
)


def settings(text: str) -> dict[str, list[str]]:
    """Every Key=value of a unit, in order; a key may repeat (DeviceAllow=)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


UNIT_SETTINGS = settings(UNIT.read_text())


@needs_analyze
def test_the_unit_verifies_with_nothing_to_say():
    p = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60
    )
    # ExecStart names /opt/tonic/venv, which exists only on an installed box.
    said = [
        line
        for line in (p.stdout + p.stderr).splitlines()
        if line.strip() and "is not executable" not in line and "No such file" not in line
    ]
    assert said == []


@needs_analyze
def test_the_hardening_scores_safe():
    p = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout + p.stderr)
    assert m, p.stdout + p.stderr
    assert float(m.group(1)) <= MAX_EXPOSURE


def test_the_service_speaks_sd_notify_and_is_watched():
    assert UNIT_SETTINGS["Type"] == ["notify"]
    assert UNIT_SETTINGS["NotifyAccess"] == ["main"]
    assert UNIT_SETTINGS["WatchdogSec"]
    assert UNIT_SETTINGS["Restart"] == ["on-failure"]
    assert UNIT_SETTINGS["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_the_hardening_leaves_the_devices_and_real_time_the_box_needs():
    allowed = " ".join(UNIT_SETTINGS["DeviceAllow"])
    for device in ("char-alsa", "char-gpiochip", "char-i2c"):
        assert f"{device} rw" in allowed
    assert UNIT_SETTINGS["DevicePolicy"] == ["closed"]
    assert UNIT_SETTINGS.get("PrivateDevices", ["no"]) == ["no"]
    assert UNIT_SETTINGS.get("RestrictRealtime", ["no"]) == ["no"]
    assert UNIT_SETTINGS.get("PrivateUsers", ["no"]) == ["no"]
    assert UNIT_SETTINGS["LimitMEMLOCK"] == ["infinity"]
    assert int(UNIT_SETTINGS["LimitRTPRIO"][0]) > 0


def test_lgpio_gets_a_writable_working_directory():
    state = UNIT_SETTINGS["StateDirectory"][0]
    assert UNIT_SETTINGS["WorkingDirectory"] == [f"/var/lib/{state}"]


def test_sysusers_creates_the_user_and_every_group_the_unit_names():
    lines = [ln.split() for ln in SYSUSERS.read_text().splitlines() if ln and ln[0] != "#"]
    users = {ln[1] for ln in lines if ln[0] == "u"}
    groups = {ln[1] for ln in lines if ln[0] == "g"} | users  # a `u` line makes its group
    members = {ln[2] for ln in lines if ln[0] == "m" and ln[1] in users}
    wanted = set(UNIT_SETTINGS["SupplementaryGroups"][0].split())
    assert UNIT_SETTINGS["User"][0] in users
    assert UNIT_SETTINGS["Group"][0] in groups
    assert wanted <= groups  # a missing group would stop the unit from starting
    assert wanted <= members


def test_tmpfiles_gives_the_profiles_to_the_service_user():
    entries = {
        ln.split()[1]: ln.split() for ln in TMPFILES.read_text().splitlines() if ln[:2] == "d "
    }
    user = UNIT_SETTINGS["User"][0]
    profiles = entries["/var/lib/tonic/profiles"]
    assert profiles[3:5] == [user, user]
    assert entries["/etc/tonic"][3] == "root"


def test_udev_gives_the_device_groups_their_nodes():
    rules = UDEV.read_text()
    assert re.search(r'KERNEL=="gpiochip\*".*GROUP="gpio".*MODE="0660"', rules)
    assert re.search(r'SUBSYSTEM=="i2c-dev".*GROUP="i2c".*MODE="0660"', rules)
