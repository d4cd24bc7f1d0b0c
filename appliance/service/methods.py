"""The box's side of the control socket: each method, on a server worker thread.

Methods never touch musical state themselves. Whatever needs the engine runs
on its owner thread through :meth:`EngineLoop.call`, which returns the
result (or raises the engine's error) to this worker; files are read and
written here, never on the engine's thread; and instruments a change will use
are levelled here, before the change reaches the engine
(:mod:`appliance.sound.leveller`).

One lock serialises the methods that change the profile, so two setup UIs
saving and loading at once each see a whole profile, never half of each.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from appliance.box import Box
from appliance.config import PAD_COUNT
from appliance.control.api import ControlError, ErrorCode, EventSink, Handler, Params
from appliance.errors import ProfileError
from appliance.events import InputId, InputKind, Panic, parse_input_id
from appliance.inputs.beams import MAX_RANGE_M
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import Profile, dump_profile
from appliance.profile.fields import specs
from appliance.profile.library import ProfileLibrary
from appliance.profile.store import parse_profile
from appliance.service.feed import Feed
from appliance.sound.instruments import instrument_for
from appliance.sound.leveller import Leveller

T = TypeVar("T")

#: How long a method waits for the engine's thread before answering BUSY. A
#: healthy engine answers in well under a millisecond; the watchdog restarts
#: one that stops answering.
ENGINE_TIMEOUT_S = 2.0
#: Longest a method waits for new instruments to be levelled; past it the
#: change still applies and the levels follow a moment later.
LEVEL_TIMEOUT_S = 3.0
#: The most settings one ``set`` may change.
MAX_CHANGES = 64
_MAX_PATH_CHARS = 64
_MAX_VALUE_CHARS = 256
_PROBLEMS_HEAD = re.compile(r"^.*?: \d+ problems?: ")


class BoxApi:
    """Implements :class:`appliance.control.api.ControlApi` for a running box."""

    def __init__(
        self,
        box: Box,
        library: ProfileLibrary,
        leveller: Leveller | None,
        feed: Feed,
        *,
        slug: str,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        hardware: SimulatedHardware | None = None,
    ) -> None:
        self.box = box
        #: ``tonic run --simulate``: the simulated switches, pads and beams, which
        #: the ``simulate.*`` methods drive (the setup UI's keys, the tests).
        self.hardware = hardware
        self.library = library
        self.leveller = leveller
        self.feed = feed
        self.clock = clock
        #: Called after anything a status line shows may have changed.
        self.on_change = on_change
        self._lock = threading.RLock()
        self.slug = slug  # the file the current profile came from, and saves to
        self.saved: Profile = box.engine.profile  # as last loaded or saved

    # -- ControlApi --------------------------------------------------------------------

    def methods(self) -> Mapping[str, Handler]:
        methods: dict[str, Handler] = {
            "status": self.status,
            "set": self.set,
            "panic": self.panic,
            "input.test": self.input_test,
            "profile.list": self.profile_list,
            "profile.get": self.profile_get,
            "profile.load": self.profile_load,
            "profile.save": self.profile_save,
            "profile.save_as": self.profile_save_as,
            "profile.validate": self.profile_validate,
            "profile.revert": self.profile_revert,
        }
        if self.hardware is not None:
            methods |= {
                "simulate.press": self.simulate_press,
                "simulate.release": self.simulate_release,
                "simulate.beam": self.simulate_beam,
            }
        return methods

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        return self.feed.subscribe(sink)

    # -- methods -------------------------------------------------------------------------

    def status(self, params: Params) -> dict[str, Any]:
        _no_params(params)
        return self.status_dict()

    def status_dict(self) -> dict[str, Any]:
        status = self._engine(self.box.status)
        profile = self.current()
        out = _jsonable(dataclasses.asdict(status))
        out["profile_slug"] = self.slug
        out["unsaved"] = profile != self.saved
        out["audio"] = {"state": status.synth, "reason": status.synth_reason}
        out["data_dir"] = str(self.library.data_dir)
        return out

    def set(self, params: Params) -> dict[str, Any]:
        changes = _changes(params)
        with self._lock:
            before = self.current()
            after = before.with_settings(changes)  # bad values are refused here, not there
            self._prepare(after)
            t = self.clock()
            self._engine(lambda: self.box.engine.change_settings(changes, t, (before, after)))
        self._changed()
        return {"changed": [path for path, _ in changes], "unsaved": self.unsaved()}

    def panic(self, params: Params) -> dict[str, Any]:
        _no_params(params)
        t = self.clock()
        self._engine(lambda: self.box.engine.handle(Panic(t, "control")))
        return {"silenced": True}

    def input_test(self, params: Params) -> dict[str, Any]:
        iid = _input(params)
        t = self.clock()
        self._engine(lambda: self.box.engine.sound_check(iid, t))
        return {"input": iid}

    def profile_list(self, params: Params) -> list[dict[str, Any]]:
        _no_params(params)
        return [
            {
                "name": e.name,
                "slug": e.slug,
                "starter": e.starter,
                "problem": e.problem,
                "current": e.slug == self.slug,
            }
            for e in self.library.entries()
        ]

    def profile_get(self, params: Params) -> dict[str, Any]:
        name = _text(params, "name", required=False)
        if name is None:
            profile, slug = self.current(), self.slug
        else:
            loaded = self.library.load(name)
            profile, slug = loaded.profile, loaded.slug
        return {
            "name": profile.name,
            "slug": slug,
            "toml": dump_profile(profile),
            "profile": profile_json(profile),
        }

    def profile_load(self, params: Params) -> dict[str, Any]:
        name = _text(params, "name")
        with self._lock:
            loaded = self.library.load(name)
            self._swap(loaded.profile)
            self.slug, self.saved = loaded.slug, loaded.profile
            self.library.remember(loaded.slug)
        self._changed()
        return {"name": loaded.profile.name, "slug": loaded.slug, "warning": loaded.warning}

    def profile_save(self, params: Params) -> dict[str, Any]:
        _no_params(params)
        with self._lock:
            profile = self.current()
            path = self.library.save(profile, self.slug)
            self.saved = profile
            self.library.remember(self.slug)
        self._changed()
        return {"name": profile.name, "slug": self.slug, "path": str(path)}

    def profile_save_as(self, params: Params) -> dict[str, Any]:
        name = _text(params, "name")
        with self._lock:
            slug = self.library.save_as(self.current(), name)
            saved = self.library.load(slug).profile
            t = self.clock()
            self._engine(lambda: self.box.engine.change_settings([("name", saved.name)], t))
            self.slug, self.saved = slug, saved
            self.library.remember(slug)
        self._changed()
        return {"name": saved.name, "slug": slug}

    def profile_validate(self, params: Params) -> dict[str, Any]:
        text = _text(params, "text", limit=None)
        try:
            profile = parse_profile(text, origin="profile")
        except ProfileError as e:
            return {"ok": False, "problems": _problems(str(e))}
        return {"ok": True, "name": profile.name}

    def profile_revert(self, params: Params) -> dict[str, Any]:
        _no_params(params)
        with self._lock:
            self._swap(self.saved)
        self._changed()
        return {"name": self.saved.name, "slug": self.slug}

    # -- simulated hardware ----------------------------------------------------------------

    def simulate_press(self, params: Params) -> dict[str, Any]:
        """Close a simulated switch or touch a simulated pad, at the pin or the chip."""
        return self._contact(params, pressed=True)

    def simulate_release(self, params: Params) -> dict[str, Any]:
        return self._contact(params, pressed=False)

    def simulate_beam(self, params: Params) -> dict[str, Any]:
        """Put a hand ``distance`` metres from a simulated beam's sensor (null: take it away)."""
        iid = _input(params)
        kind, number = parse_input_id(iid)
        distance = params.get("distance")
        if kind is not InputKind.BEAM or number > len(self.box.config.beams):
            raise _bad(f"{iid} is not a beam of this box")
        if distance is not None and (
            isinstance(distance, bool)
            or not isinstance(distance, int | float)
            or not 0.0 <= distance <= MAX_RANGE_M
        ):
            raise _bad(f"distance must be 0..{MAX_RANGE_M} metres or null")
        assert self.hardware is not None
        self.hardware.hand_at(number, None if distance is None else float(distance))
        return {"input": iid, "distance": distance}

    def _contact(self, params: Params, *, pressed: bool) -> dict[str, Any]:
        iid = _input(params)
        kind, number = parse_input_id(iid)
        hw = self.hardware
        assert hw is not None
        if kind is InputKind.SWITCH and number <= len(self.box.config.switch_pins):
            (hw.press if pressed else hw.release)(number)
        elif kind is InputKind.PAD and self.box.config.pads is not None and number <= PAD_COUNT:
            (hw.touch if pressed else hw.untouch)(number)
        else:
            raise _bad(f"{iid} is not a switch or pad of this box")
        return {"input": iid, "pressed": pressed}

    # -- for the service ---------------------------------------------------------------

    def current(self) -> Profile:
        """The profile playing now. Reading the reference is atomic; no engine hop."""
        return self.box.engine.profile

    def unsaved(self) -> bool:
        return self.current() != self.saved

    def reload(self) -> str | None:
        """SIGHUP: read the current profile's file again; a broken file keeps the old one.

        Returns a warning to log, or None.
        """
        with self._lock:
            path = self.library.folder / f"{self.slug}.toml"
            if not path.exists():
                return None  # a starter, or never saved: nothing on disk to reload
            try:
                profile = self.library.validate_file(path)
            except ProfileError as e:
                return f"kept the profile playing: {e}"
            self._swap(profile)
            self.saved = profile
        self._changed()
        return None

    # -- inside --------------------------------------------------------------------------

    def _swap(self, profile: Profile) -> None:
        self._prepare(profile)
        t = self.clock()
        self._engine(lambda: self.box.engine.load_profile(profile, t))

    def _prepare(self, profile: Profile) -> None:
        """Level the instruments ``profile`` plays, here, before the engine meets them."""
        if self.leveller is not None:
            wanted = [
                instrument_for(profile.settings_for(i).instrument) for i in self.box.engine.inputs
            ]
            self.leveller.prepare(wanted, LEVEL_TIMEOUT_S)

    def _engine(self, fn: Callable[[], T]) -> T:
        try:
            return self.box.loop.call(fn, ENGINE_TIMEOUT_S)
        except FutureTimeout:
            raise ControlError(ErrorCode.BUSY, "the engine did not answer in time") from None

    def _changed(self) -> None:
        profile = self.current()
        self.feed.publish(
            {
                "event": "profile",
                "name": profile.name,
                "slug": self.slug,
                "unsaved": profile != self.saved,
            }
        )
        self.on_change()


def profile_json(profile: Profile) -> dict[str, Any]:
    """A profile as JSON: the top-level settings, and each input's settings by name."""
    out: dict[str, Any] = {name: _plain(getattr(profile, name)) for name in specs(Profile)}
    out["version"] = profile.version
    out["inputs"] = {
        iid: {name: _plain(getattr(s, name)) for name in specs(type(s))}
        for iid, s in sorted(profile.inputs.items())
    }
    return out


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


def _jsonable(value: Any) -> Any:
    """A status dict with tuples as lists and non-finite numbers as null."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _problems(message: str) -> list[str]:
    """Split ``origin: N problems: a; b`` into its problems."""
    rest = _PROBLEMS_HEAD.sub("", message, count=1)
    return [p.strip() for p in rest.split("; ") if p.strip()]


# -- params ----------------------------------------------------------------------------------


def _bad(message: str) -> ControlError:
    return ControlError(ErrorCode.INVALID_PARAMS, message)


def _no_params(params: Params) -> None:
    if params:
        raise _bad(f"takes no params, got {', '.join(sorted(map(str, params))[:5])}")


def _text(params: Params, name: str, *, required: bool = True, limit: int | None = 200) -> Any:
    value = params.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _bad(f"'{name}' must be text")
    if limit is not None and len(value) > limit:
        raise _bad(f"'{name}' is longer than {limit} characters")
    return value


def _input(params: Params) -> InputId:
    text = _text(params, "input", limit=_MAX_PATH_CHARS)
    try:
        parse_input_id(text)
    except ValueError as e:
        raise _bad(str(e)) from None
    return InputId(text)


def _changes(params: Params) -> list[tuple[str, str]]:
    """``set``'s params as (path, text) pairs: the text a script's ``set`` would give."""
    if not params:
        raise _bad('nothing to set: give settings as {"key": "G", "switch:2.mode": "latch"}')
    if len(params) > MAX_CHANGES:
        raise _bad(f"at most {MAX_CHANGES} settings at once")
    changes = []
    for path, value in params.items():
        if len(path) > _MAX_PATH_CHARS:
            raise _bad(f"'{path[:_MAX_PATH_CHARS]}…' is not a setting")
        changes.append((path, _value_text(path, value)))
    return changes


def _value_text(path: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if len(value) > _MAX_VALUE_CHARS:
            raise _bad(f"{path}: the value is longer than {_MAX_VALUE_CHARS} characters")
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad(f"{path}: must be a finite number")
        return repr(value)
    raise _bad(f"{path}: must be text or a number, got {type(value).__name__}")
