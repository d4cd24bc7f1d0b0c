"""Client profiles: typed settings, loaded and saved as TOML."""

from appliance.profile.inputs import (
    Access,
    BeamMode,
    BeamSettings,
    Expression,
    MidiRole,
    MidiSettings,
    PadSettings,
    PlayMode,
    SwitchSettings,
    VelocityCurve,
)
from appliance.profile.library import LoadedProfile, ProfileEntry, ProfileLibrary
from appliance.profile.model import HarmonySource, Profile
from appliance.profile.store import default_profile, dump_profile, load_profile, save_profile

__all__ = [
    "Access",
    "BeamMode",
    "BeamSettings",
    "Expression",
    "HarmonySource",
    "LoadedProfile",
    "MidiRole",
    "MidiSettings",
    "PadSettings",
    "PlayMode",
    "Profile",
    "ProfileEntry",
    "ProfileLibrary",
    "SwitchSettings",
    "VelocityCurve",
    "default_profile",
    "dump_profile",
    "load_profile",
    "save_profile",
]
