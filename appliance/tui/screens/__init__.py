"""The setup UI's screens, one per job, in the order the navigation bar shows them.

Adding a screen is one line here: its name, its key, its title, and the module
and class that build it (a :class:`~appliance.tui.screens.base.SetupScreen`
subclass in ``appliance/tui/screens/<name>.py``). Modules are imported when
the screen is first shown, so a screen being worked on cannot stop the others
from opening.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScreenEntry:
    """One screen: ``key`` opens it from anywhere; ``title`` is its tab's label."""

    name: str
    key: str
    title: str
    module: str
    cls: str


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry(
        "dashboard", "f1", "Dashboard", "appliance.tui.screens.dashboard", "DashboardScreen"
    ),
    ScreenEntry("inputs", "f2", "Inputs", "appliance.tui.screens.inputs", "InputsScreen"),
    ScreenEntry("beam", "f3", "Beam", "appliance.tui.screens.beam", "BeamScreen"),
    ScreenEntry("sound", "f4", "Sound", "appliance.tui.screens.sound", "SoundScreen"),
    ScreenEntry("profiles", "f5", "Profiles", "appliance.tui.screens.profiles", "ProfilesScreen"),
    ScreenEntry("system", "f6", "System", "appliance.tui.screens.system", "SystemScreen"),
)

FIRST = SCREENS[0].name
