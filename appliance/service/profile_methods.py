"""The control socket's ``profile.*`` methods: the library, on a server worker.

Files are read and written here, never on the engine's thread; a profile
that is loaded swaps in whole through :meth:`BoxApi.swap` (levelled first,
every note released cleanly). The methods that change what is playing, or
what it saves to, hold the box API's lock, so two setup UIs loading and
saving at once each see a whole profile.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import TYPE_CHECKING, Any

from appliance.control.api import Handler, Params
from appliance.errors import ProfileError
from appliance.profile import Profile, dump_profile
from appliance.profile.accompaniment import SECTIONS
from appliance.profile.fields import specs
from appliance.profile.schema import profile_schema
from appliance.profile.store import parse_profile
from appliance.service.params import no_params, text_param
from appliance.textfile import MAX_SETTINGS_BYTES

if TYPE_CHECKING:
    from appliance.service.methods import BoxApi

_PROBLEMS_HEAD = re.compile(r"^.*?: \d+ problems?: ")


class ProfileMethods:
    def __init__(self, api: BoxApi) -> None:
        self.api = api
        self.library = api.library

    def methods(self) -> dict[str, Handler]:
        return {
            "profile.list": self.list,
            "profile.get": self.get,
            "profile.load": self.load,
            "profile.save": self.save,
            "profile.save_as": self.save_as,
            "profile.validate": self.validate,
            "profile.revert": self.revert,
            "profile.new": self.new,
            "profile.rename": self.rename,
            "profile.delete": self.delete,
            "profile.import": self.import_,
            "profile.schema": self.schema,
        }

    def list(self, params: Params) -> list[dict[str, Any]]:
        no_params(params)
        return [
            {
                "name": e.name,
                "slug": e.slug,
                "starter": e.starter,
                "problem": e.problem,
                "current": e.slug == self.api.slug,
            }
            for e in self.library.entries()
        ]

    def get(self, params: Params) -> dict[str, Any]:
        name = text_param(params, "name", required=False)
        if name is None:
            profile, slug = self.api.current(), self.api.slug
        else:
            loaded = self.library.load(name)
            profile, slug = loaded.profile, loaded.slug
        return {
            "name": profile.name,
            "slug": slug,
            "toml": dump_profile(profile),
            "profile": profile_json(profile),
        }

    def load(self, params: Params) -> dict[str, Any]:
        name = text_param(params, "name")
        api = self.api
        with api.lock:
            loaded = self.library.load(name)
            api.swap(loaded.profile)
            api.slug, api.saved = loaded.slug, loaded.profile
            self.library.remember(loaded.slug)
        api.changed()
        return {"name": loaded.profile.name, "slug": loaded.slug, "warning": loaded.warning}

    def save(self, params: Params) -> dict[str, Any]:
        no_params(params)
        api = self.api
        with api.lock:
            profile = api.current()
            path = self.library.save(profile, api.slug)
            api.saved = profile
            self.library.remember(api.slug)
        api.changed()
        return {"name": profile.name, "slug": api.slug, "path": str(path)}

    def save_as(self, params: Params) -> dict[str, Any]:
        name = text_param(params, "name")
        api = self.api
        with api.lock:
            slug = self.library.save_as(api.current(), name)
            saved = self.library.load(slug).profile
            api.apply([("name", saved.name)])
            api.slug, api.saved = slug, saved
            self.library.remember(slug)
        api.changed()
        return {"name": saved.name, "slug": slug}

    def validate(self, params: Params) -> dict[str, Any]:
        text = text_param(params, "text", limit=MAX_SETTINGS_BYTES)
        try:
            profile = parse_profile(text, origin="profile")
        except ProfileError as e:
            return {"ok": False, "problems": problems(str(e))}
        return {"ok": True, "name": profile.name}

    def revert(self, params: Params) -> dict[str, Any]:
        no_params(params)
        api = self.api
        with api.lock:
            api.swap(api.saved)
        api.changed()
        return {"name": api.saved.name, "slug": api.slug}

    def new(self, params: Params) -> dict[str, Any]:
        """A new profile in the library, copied from a starter or another profile."""
        name = text_param(params, "name")
        source = text_param(params, "from", required=False)
        slug = self.library.new(name, source)
        return {"name": self.library.load(slug).profile.name, "slug": slug}

    def rename(self, params: Params) -> dict[str, Any]:
        old, new = text_param(params, "name"), text_param(params, "new_name")
        api = self.api
        with api.lock:
            old_slug = self.library.load(old).slug
            slug = self.library.rename(old, new)
            name = self.library.load(slug).profile.name
            if old_slug == api.slug:  # the profile playing: it keeps playing, renamed
                api.apply([("name", name)])
                api.slug, api.saved = slug, dataclasses.replace(api.saved, name=name)
        api.changed()
        return {"name": name, "slug": slug}

    def delete(self, params: Params) -> dict[str, Any]:
        name = text_param(params, "name")
        with self.api.lock:
            revealed = self.library.delete(name)
        return {"deleted": name, "starter_shown": revealed.name if revealed else None}

    def import_(self, params: Params) -> dict[str, Any]:
        """A profile's TOML text (read by the client from its own files) into the library."""
        text = text_param(params, "text", limit=MAX_SETTINGS_BYTES)
        overwrite = params.get("overwrite", False) is True
        profile = parse_profile(text, origin="the imported profile")
        slug = self.library.save_as(profile, profile.name, overwrite=overwrite)
        return {"name": profile.name, "slug": slug}

    def schema(self, params: Params) -> dict[str, Any]:
        """The profile's JSON Schema, for forms: every field with its type, range and help."""
        no_params(params)
        return profile_schema()


def profile_json(profile: Profile) -> dict[str, Any]:
    """A profile as JSON: the top-level settings, its sections ([loop], [turns]),
    and each input's settings by name."""
    out: dict[str, Any] = {name: _plain(getattr(profile, name)) for name in specs(Profile)}
    for section in SECTIONS:
        values = getattr(profile, section)
        out[section] = {name: _plain(getattr(values, name)) for name in specs(type(values))}
    out["version"] = profile.version
    out["inputs"] = {
        iid: {name: _plain(getattr(s, name)) for name in specs(type(s))}
        for iid, s in sorted(profile.inputs.items())
    }
    return out


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def problems(message: str) -> list[str]:
    """Split ``origin: N problems: a; b`` into its problems."""
    rest = _PROBLEMS_HEAD.sub("", message, count=1)
    return [p.strip() for p in rest.split("; ") if p.strip()]
