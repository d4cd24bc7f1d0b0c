"""Client profiles: typed settings, loaded and saved as TOML."""

from appliance.profile.inputs import (
    Access,
    BeamMode,
    BeamSettings,
    Expression,
    PadSettings,
    PlayMode,
    SwitchSettings,
)
from appliance.profile.library import LoadedProfile, ProfileEntry, ProfileLibrary
from appliance.profile.model import Profile
from appliance.profile.store import default_profile, dump_profile, load_profile, save_profile

__all__ = [
    "Access",
    "BeamMode",
    "BeamSettings",
    "Expression",
    "LoadedProfile",
    "PadSettings",
    "PlayMode",
    "Profile",
    "ProfileEntry",
    "ProfileLibrary",
    "SwitchSettings",
    "default_profile",
    "dump_profile",
    "load_profile",
    "save_profile",
]
