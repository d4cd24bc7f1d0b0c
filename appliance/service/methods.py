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
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from appliance.box import Box
from appliance.control.api import ControlError, ErrorCode, EventSink, Handler, Params
from appliance.errors import ProfileError
from appliance.events import Panic
from appliance.inputs.simulated import SimulatedHardware
from appliance.profile import Profile
from appliance.profile.library import ProfileLibrary
from appliance.service.band_methods import BandMethods
from appliance.service.feed import Feed
from appliance.service.params import changes_param, input_param, no_params
from appliance.service.profile_methods import ProfileMethods
from appliance.service.simulate_methods import SimulateMethods
from appliance.service.system_methods import SystemMethods
from appliance.sound.instruments import all_instruments, instrument_for
from appliance.sound.leveller import Leveller

T = TypeVar("T")

#: How long a method waits for the engine's thread before answering BUSY. A
#: healthy engine answers in well under a millisecond; the watchdog restarts
#: one that stops answering.
ENGINE_TIMEOUT_S = 2.0
#: Longest a method waits for new instruments to be levelled; past it the
#: change still applies and the levels follow a moment later.
LEVEL_TIMEOUT_S = 3.0


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
        system: SystemMethods | None = None,
    ) -> None:
        self.system = system
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
        self.lock = threading.RLock()
        self.slug = slug  # the file the current profile came from, and saves to
        self.saved: Profile = box.engine.profile  # as last loaded or saved

    # -- ControlApi --------------------------------------------------------------------

    def methods(self) -> Mapping[str, Handler]:
        methods: dict[str, Handler] = {
            "status": self.status,
            "set": self.set,
            "panic": self.panic,
            "input.test": self.input_test,
            "instruments.list": self.instruments_list,
        }
        methods |= ProfileMethods(self).methods()
        methods |= BandMethods(self).methods()
        if self.system is not None:
            methods |= self.system.methods()
        if self.hardware is not None:
            methods |= SimulateMethods(self.hardware, self.box.config).methods()
        return methods

    def subscribe(self, sink: EventSink) -> Callable[[], None]:
        return self.feed.subscribe(sink)

    # -- methods -------------------------------------------------------------------------

    def status(self, params: Params) -> dict[str, Any]:
        no_params(params)
        return self.status_dict()

    def status_dict(self) -> dict[str, Any]:
        status = self.on_engine(self.box.status)
        profile = self.current()
        out = _jsonable(dataclasses.asdict(status))
        out["profile_slug"] = self.slug
        out["unsaved"] = profile != self.saved
        audio = self.box.config.audio
        out["gain_ceiling"] = self.box.synth.gain_ceiling
        out["audio"] = {
            "state": status.synth,
            "reason": status.synth_reason,
            "device": f"{audio.driver} {audio.device}",
            "period_size": audio.period_size,
            "periods": audio.periods,
            # What the sound card's buffer adds to every note, when there is one.
            "latency_ms": round(
                audio.period_size * audio.periods / self.box.config.sample_rate * 1000, 2
            ),
        }
        # Which USB-MIDI devices are plugged in, or why there is no MIDI.
        out["midi"] = self.box.midi_status()
        out["data_dir"] = str(self.library.data_dir)
        # The accompaniment as the profile sets it (``loop`` above is what plays now),
        # so a client shows and edits it from the status it already reads.
        out["tempo"] = profile.tempo
        out["harmony_from"] = str(profile.harmony)
        out["loop_settings"] = {
            "name": profile.loop.name,
            "volume": profile.loop.volume,
            "play": profile.loop.play,
            "wait": profile.loop.wait,
            "wait_beats": profile.loop.wait_beats,
        }
        return out

    def set(self, params: Params) -> dict[str, Any]:
        changes = changes_param(params)
        with self.lock:
            self.apply(changes)
        self.changed()
        return {"changed": [path for path, _ in changes], "unsaved": self.unsaved()}

    def panic(self, params: Params) -> dict[str, Any]:
        no_params(params)
        t = self.clock()
        self.on_engine(lambda: self.box.engine.handle(Panic(t, "control")))
        return {"silenced": True}

    def input_test(self, params: Params) -> dict[str, Any]:
        iid = input_param(params)
        t = self.clock()
        self.on_engine(lambda: self.box.engine.sound_check(iid, t))
        return {"input": iid}

    def instruments_list(self, params: Params) -> list[dict[str, Any]]:
        """Every General MIDI instrument and kit, for the setup UI's searchable list."""
        no_params(params)
        return [
            {"number": i.number, "name": i.name, "title": i.title, "drums": i.is_drums}
            for i in all_instruments()
        ]

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
        with self.lock:
            path = self.library.folder / f"{self.slug}.toml"
            if not path.exists():
                return None  # a starter, or never saved: nothing on disk to reload
            try:
                profile = self.library.validate_file(path)
            except ProfileError as e:
                return f"kept the profile playing: {e}"
            self.swap(profile)
            self.saved = profile
        self.changed()
        return None

    # -- inside --------------------------------------------------------------------------

    def apply(self, changes: Iterable[tuple[str, str]]) -> Profile:
        """Change settings together: checked and levelled here, then applied on the engine."""
        changes = list(changes)
        before = self.current()
        after = before.with_settings(changes)  # bad values are refused here, not there
        self._prepare(after)
        t = self.clock()
        return self.on_engine(lambda: self.box.engine.change_settings(changes, t, (before, after)))

    def swap(self, profile: Profile) -> None:
        """Load ``profile`` whole: levelled first, every note released cleanly."""
        self._prepare(profile)
        t = self.clock()
        self.on_engine(lambda: self.box.engine.load_profile(profile, t))

    def _prepare(self, profile: Profile) -> None:
        """Level the instruments ``profile`` plays, here, before the engine meets them."""
        if self.leveller is not None:
            wanted = [
                instrument_for(profile.settings_for(i).instrument) for i in self.box.engine.inputs
            ]
            self.leveller.prepare(wanted, LEVEL_TIMEOUT_S)

    def on_engine(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the engine's owner thread; BUSY when it does not answer in time."""
        try:
            return self.box.loop.call(fn, ENGINE_TIMEOUT_S)
        except FutureTimeout:
            raise ControlError(ErrorCode.BUSY, "the engine did not answer in time") from None

    def changed(self) -> None:
        """Tell subscribers and the status line that the profile changed."""
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


def _jsonable(value: Any) -> Any:
    """A status dict with tuples as lists and non-finite numbers as null."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
