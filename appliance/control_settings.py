"""The control socket's settings (``[control]`` in the box config): plain data.

Where the socket goes and who may connect (docs/control-api.md). They live
apart from :mod:`appliance.config`, as :mod:`appliance.audio_settings` does,
and :mod:`appliance.control.client` asks :func:`default_socket_path` where a
running service listens.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from appliance.config_fields import OCTAL, TEXT, absolute_path, setting

#: The Unix socket permission bits; a socket has no use for setuid, setgid or sticky.
MAX_MODE = 0o777
SOCKET_NAME = "control.sock"
SYSTEM_SOCKET_DIR = Path("/run/tonic")
#: ``sun_path`` holds 108 bytes with the terminating NUL.
MAX_SOCKET_PATH_BYTES = 107
#: Debian's rule for user and group names (useradd's NAME_REGEX, 32 at most).
_GROUP_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def socket_path(value: str) -> str:
    absolute_path(value)
    if len(os.fsencode(value)) > MAX_SOCKET_PATH_BYTES:
        raise ValueError(f"a Unix socket path is at most {MAX_SOCKET_PATH_BYTES} bytes")
    return value


def group_name(value: str) -> str:
    if not _GROUP_NAME.fullmatch(value):
        raise ValueError(
            "must be a group name: lower-case letters, digits, '_' and '-', "
            "starting with a letter or '_', at most 32 characters"
        )
    return value


def permission(value: int) -> int:
    if not 0 <= value <= MAX_MODE:
        raise ValueError(f'must be a permission "0000".."0777", got "{value:04o}"')
    return value


def default_socket_path(
    environ: Mapping[str, str] | None = None, system_dir: Path = SYSTEM_SOCKET_DIR
) -> str:
    """Where the control socket goes when the config does not say.

    A socket belongs in a runtime directory: emptied at boot (so no stale
    socket survives a pulled plug), in RAM (the root may be read-only), and
    never in the data directory. In order:

    1. ``$RUNTIME_DIRECTORY``: systemd made it for the service
       (``RuntimeDirectory=tonic``, so ``/run/tonic``) with the right owner.
    2. ``/run/tonic`` when this process can write there (root, the service's
       user) or a service already listens there (``tonic ctl`` as a therapist).
    3. ``$XDG_RUNTIME_DIR/tonic``: a desktop session, private to the user
       (``tonic run --simulate`` on a laptop).
    4. ``/tmp/tonic-<uid>``: nothing better; whoever creates it must make it
       0700 and check its owner, as /tmp is shared.
    """
    env = os.environ if environ is None else environ
    runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if runtime:
        return str(Path(runtime) / SOCKET_NAME)
    if (system_dir / SOCKET_NAME).exists() or _writable(system_dir):
        return str(system_dir / SOCKET_NAME)
    xdg = env.get("XDG_RUNTIME_DIR")
    if xdg:
        return str(Path(xdg) / "tonic" / SOCKET_NAME)
    return f"/tmp/tonic-{os.getuid()}/{SOCKET_NAME}"


def _writable(directory: Path) -> bool:
    if directory.is_dir():
        return os.access(directory, os.W_OK | os.X_OK)
    parent = directory.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


@dataclass(frozen=True, slots=True)
class ControlSettings:
    """The control socket (docs/control-api.md): where, and who may connect."""

    socket: str = setting(
        kind=TEXT,
        help="path of the control socket",
        check=socket_path,
        factory=default_socket_path,
    )
    group: str = setting("tonic", kind=TEXT, help="group that may connect", check=group_name)
    mode: int = setting(
        0o660, kind=OCTAL, help="socket permissions, octal in quotes", check=permission
    )
