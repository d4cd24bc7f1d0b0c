"""service.restart and box.shutdown, with a stand-in for systemctl."""

from __future__ import annotations

import pytest

from appliance.service.system_methods import ShutdownRefused, SystemMethods


def methods(poweroff: tuple[str, ...], can_power_off: bool = True):
    done: list[str] = []
    system = SystemMethods(
        lambda: done.append("restart"),
        lambda: done.append("silence"),
        can_power_off=can_power_off,
        poweroff=poweroff,
    )
    return system, done


def test_shutdown_silences_then_powers_off():
    system, done = methods(("true",))
    assert system.shutdown({}) == {"powering_off": True}
    assert done == ["silence"]


def test_a_refused_poweroff_says_why(tmp_path):
    script = tmp_path / "systemctl"
    script.write_text("#!/bin/sh\necho 'Access denied' >&2\nexit 1\n")
    script.chmod(0o755)
    system, _ = methods((str(script), "poweroff"))
    with pytest.raises(ShutdownRefused, match="Access denied"):
        system.shutdown({})


def test_a_simulated_box_never_powers_off():
    system, done = methods(("true",), can_power_off=False)
    with pytest.raises(ShutdownRefused, match="simulated"):
        system.shutdown({})
    assert done == []


def test_restart_is_asked_for():
    system, done = methods(("true",))
    assert system.restart({}) == {"restarting": True} and done == ["restart"]
