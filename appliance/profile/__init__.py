"""Client profiles: typed settings, loaded and saved as TOML."""

from appliance.profile.model import PlayMode, Profile, SwitchSettings
from appliance.profile.store import default_profile, dump_profile, load_profile, save_profile

__all__ = [
    "PlayMode",
    "Profile",
    "SwitchSettings",
    "default_profile",
    "dump_profile",
    "load_profile",
    "save_profile",
]
