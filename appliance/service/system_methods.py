"""The control socket's ``service.restart`` and ``box.shutdown``: the System screen's buttons.

A therapist ends a session by pulling the plug; a safe shutdown is the
kinder way, and the box offers it. Both answer first, then act, so the
client hears that its request was taken:

* ``service.restart``: the service stops as on SIGTERM (every note silenced)
  and exits with :data:`EXIT_RESTART`, which the unit restarts at once
  (``RestartForceExitStatus=``), and ``tonic setup --simulate`` restarts too.
* ``box.shutdown``: the service silences the box and asks systemd to power
  off (``systemctl poweroff``; a polkit rule lets the ``tonic`` user ask).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

from appliance.control.api import Handler, Params
from appliance.errors import TonicError
from appliance.service.params import no_params

#: The exit status that means "start me again" (EX_TEMPFAIL).
EXIT_RESTART = 75
POWEROFF = ("systemctl", "poweroff")
#: Longest ``systemctl poweroff`` may take to accept the request.
POWEROFF_TIMEOUT_S = 10.0


class ShutdownRefused(TonicError, RuntimeError):
    """The system would not power off (no permission, no systemd)."""


class SystemMethods:
    def __init__(
        self,
        restart: Callable[[], None],
        silence: Callable[[], None],
        *,
        can_power_off: bool,
        poweroff: tuple[str, ...] = POWEROFF,
    ) -> None:
        self._restart = restart
        self._silence = silence
        self._can_power_off = can_power_off
        self._poweroff = poweroff

    def methods(self) -> dict[str, Handler]:
        return {"service.restart": self.restart, "box.shutdown": self.shutdown}

    def restart(self, params: Params) -> dict[str, Any]:
        no_params(params)
        self._restart()
        return {"restarting": True}

    def shutdown(self, params: Params) -> dict[str, Any]:
        no_params(params)
        if not self._can_power_off:
            raise ShutdownRefused(
                "this is a simulated box: close the setup to stop it; nothing powers off"
            )
        self._silence()
        try:
            done = subprocess.run(
                self._poweroff, capture_output=True, text=True, timeout=POWEROFF_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ShutdownRefused(f"the box could not be powered off: {e}") from None
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no reason given"]
            raise ShutdownRefused(f"the box could not be powered off: {why[0]}")
        return {"powering_off": True}
