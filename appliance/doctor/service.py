"""The running service, through its control socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from appliance.doctor.access import whoami
from appliance.doctor.findings import Finding, Level

#: Seconds the service has to answer a status request.
SOCKET_TIMEOUT_S = 1.0
MAX_REPLY_BYTES = 64 * 1024  # the control socket's own line limit


def check_socket(path: Path, timeout: float = SOCKET_TIMEOUT_S) -> Finding:
    """A status request over the control socket, answered within ``timeout``."""
    not_running = "sudo systemctl start tonic; `journalctl -u tonic` says why it stopped"
    if not path.exists():
        return Finding("socket", Level.WARN, f"the service is not running (no {path})", not_running)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall(b'{"id":1,"method":"status"}\n')
            reply = _read_line(s)
    except PermissionError:
        return Finding(
            "socket",
            Level.WARN,
            f"{whoami()} may not use {path}",
            f"sudo usermod -aG tonic {whoami()}, then log out and in",
        )
    except ConnectionRefusedError:
        return Finding(
            "socket", Level.WARN, f"the service is not running ({path} is stale)", not_running
        )
    except TimeoutError:
        return Finding(
            "socket",
            Level.FAIL,
            f"the service did not answer within {timeout:g} s",
            "sudo systemctl restart tonic; `journalctl -u tonic` may say why it stuck",
        )
    if not reply:
        return Finding("socket", Level.FAIL, "the service closed the connection without answering")
    try:
        answer = json.loads(reply)
    except ValueError:
        return Finding("socket", Level.FAIL, f"the service answered garbage: {reply[:60]!r}")
    if isinstance(answer, dict) and answer.get("id") == 1 and "result" in answer:
        return Finding("socket", Level.OK, f"the service answers on {path}")
    return Finding("socket", Level.FAIL, f"the service refused a status request: {reply[:80]}")


def _read_line(s: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < MAX_REPLY_BYTES:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.partition(b"\n")[0].decode("utf-8", errors="replace")
