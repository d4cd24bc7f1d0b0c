"""The login's groups, the data directory, and the Pi's CPU and power."""

from __future__ import annotations

import grp
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from appliance.doctor.access import owner_of, whoami
from appliance.doctor.findings import Finding, Level

#: Below this much free space a profile save or a session recording may fail.
LOW_SPACE_BYTES = 200 * 1024 * 1024
#: Governors that raise the clock as soon as the synth gets busy.
GOOD_GOVERNORS = ("performance", "ondemand")
#: Bits of ``vcgencmd get_throttled``: now (0..3) and since boot (16..19).
THROTTLE_BITS = {
    0: "under-voltage now",
    1: "CPU clock capped now",
    2: "throttled now",
    3: "soft temperature limit now",
    16: "under-voltage since boot",
    17: "CPU clock capped since boot",
    18: "throttled since boot",
    19: "soft temperature limit since boot",
}
NOW_BITS = 0xF
UNDER_VOLTAGE_BITS = 1 << 0 | 1 << 16  # now, or since boot


def group_table(etc: Path) -> dict[str, set[str]]:
    """Each group in ``etc/group`` with its listed members."""
    table: dict[str, set[str]] = {}
    for line in (etc / "group").read_text().splitlines():
        fields = line.split(":")
        if len(fields) >= 4:
            table[fields[0]] = {m for m in fields[3].split(",") if m}
    return table


def check_groups(
    user: str,
    member_of: set[str],
    existing: set[str],
    wanted: Sequence[str] = ("audio", "gpio", "i2c"),
) -> Finding:
    """The device groups the login needs: ``member_of`` is what this session has."""
    if user == "root":
        return Finding("groups", Level.OK, "root may open every device")
    missing_groups = [g for g in wanted if g not in existing]
    if missing_groups:
        return Finding(
            "groups",
            Level.WARN,
            f"no group {', '.join(missing_groups)} on this system",
            "sudo make install creates them (services/tonic.sysusers)",
        )
    needed = [g for g in wanted if g not in member_of]
    if user != "tonic" and "tonic" in existing and "tonic" not in member_of:
        needed.append("tonic")
    if needed:
        return Finding(
            "groups",
            Level.WARN,
            f"{user} is not in group {', '.join(needed)}",
            f"sudo usermod -aG {','.join(needed)} {user}, then log out and in "
            "(group tonic opens the control socket)",
        )
    return Finding("groups", Level.OK, f"{user} is in {', '.join(wanted)}")


def check_session_groups(etc: Path) -> Finding:
    """:func:`check_groups` for this process: the groups this login session has."""
    names = set()
    for gid in {os.getegid(), *os.getgroups()}:
        try:
            names.add(grp.getgrgid(gid).gr_name)
        except KeyError:
            continue  # a group with no name cannot be one we want
    return check_groups(whoami(), names, set(group_table(etc)))


def existing_ancestor(path: Path) -> Path:
    """``path`` itself, or the nearest directory above it that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_data_dir(data_dir: Path) -> Finding:
    """A file written, synced and removed: the way a profile save uses the directory."""
    if data_dir.exists() and not data_dir.is_dir():
        return Finding("data", Level.FAIL, f"{data_dir} is not a directory", "move it away")
    # A missing data directory is made at the first save, if its parent allows.
    place = existing_ancestor(data_dir)
    probe = place / f".tonic-doctor-{os.getpid()}"
    try:
        with open(probe, "xb") as f:
            f.write(b"tonic doctor\n")
            f.flush()
            os.fsync(f.fileno())
        probe.unlink()
    except PermissionError:
        owner = owner_of(place)
        if owner != whoami() and whoami() != "root":
            return Finding(
                "data",
                Level.WARN,
                f"{place} belongs to {owner}; {whoami()} may not write there",
                f"check as the service does: sudo -u {owner} tonic doctor",
            )
        return Finding("data", Level.FAIL, f"cannot write in {place}: permission denied")
    except OSError as e:
        return Finding("data", Level.FAIL, f"cannot write in {place}: {e.strerror}")
    if place != data_dir:
        return Finding("data", Level.OK, f"{data_dir} will be made at the first save")
    return Finding("data", Level.OK, f"{data_dir} is writable")


def check_free_space(data_dir: Path, low: int = LOW_SPACE_BYTES) -> Finding:
    # A missing data directory will land on the file system above it.
    st = os.statvfs(existing_ancestor(data_dir))
    free = st.f_bavail * st.f_frsize
    text = f"{free / 1e6:,.0f} MB free for {data_dir}"
    if free < low:
        return Finding(
            "space",
            Level.WARN,
            text,
            "free some space: saves and session records need room (sudo apt clean helps)",
        )
    return Finding("space", Level.OK, text)


def check_governor(sys_root: Path) -> Finding:
    path = sys_root / "devices/system/cpu/cpu0/cpufreq/scaling_governor"
    try:
        governor = path.read_text().strip()
    except FileNotFoundError:
        return Finding("governor", Level.OK, "no CPU frequency scaling here")
    if governor in GOOD_GOVERNORS:
        return Finding("governor", Level.OK, f"CPU governor {governor}")
    return Finding(
        "governor",
        Level.WARN,
        f"CPU governor {governor}: the synth may crackle while the clock is low",
        "add cpufreq.default_governor=performance to /boot/firmware/cmdline.txt and reboot",
    )


def decode_throttled(value: int) -> list[str]:
    return [text for bit, text in THROTTLE_BITS.items() if value >> bit & 1]


def check_power(vcgencmd: str | None = None, timeout: float = 2.0) -> Finding:
    command = vcgencmd or shutil.which("vcgencmd")
    if command is None:
        return Finding(
            "power",
            Level.WARN,
            "not checked: no vcgencmd (not Raspberry Pi OS?)",
            "on Raspberry Pi OS: sudo apt install raspi-utils",
        )
    try:
        out = subprocess.run(
            [command, "get_throttled"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return Finding(
            "power", Level.WARN, f"not checked: vcgencmd did not answer in {timeout:g} s"
        )
    m = re.search(r"throttled=(0x[0-9a-fA-F]+)", out.stdout)
    if not m:
        return Finding("power", Level.WARN, f"vcgencmd said: {out.stdout.strip()[:80]!r}")
    value = int(m.group(1), 16)
    problems = decode_throttled(value)
    if not problems:
        return Finding("power", Level.OK, "no under-voltage or throttling since boot")
    advice = (
        "use the Pi's official power supply (5V 3A for a Pi 4, 5A for a Pi 5): "
        "a weak one makes the sound crackle and can corrupt the SD card"
        if value & UNDER_VOLTAGE_BITS
        else "give the Pi air or a heatsink"
    )
    level = Level.FAIL if value & NOW_BITS else Level.WARN
    return Finding("power", level, ", ".join(problems), advice)
