"""Who this process is, and whether it may open a device."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from appliance.doctor.findings import Finding, Level


def opens(check: str, path: Path, what: str, group: str) -> Finding:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except PermissionError:
        return Finding(
            check,
            Level.FAIL,
            f"{path} is there but {whoami()} may not open it",
            f"add the login to group {group} (sudo usermod -aG {group} $USER), "
            "or check as the service does: sudo -u tonic tonic doctor",
        )
    except OSError as e:
        return Finding(check, Level.FAIL, f"cannot open {path}: {e.strerror}")
    os.close(fd)
    return Finding(check, Level.OK, f"{what} opens ({path})")


def whoami() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def owner_of(path: Path) -> str:
    try:
        return path.owner()
    except KeyError:
        return f"uid {path.stat().st_uid}"
