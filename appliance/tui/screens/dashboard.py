"""The dashboard: every input live, and the box at a glance.

What it shows comes from two places (docs/control-api.md):

- the live stream, for what changes fast: presses and releases light the
  switches and pads, notes on and off name what sounds, beam events move the
  hand, offline/online mark sensors, a profile event re-reads the profile;
- the ``status`` method, re-read twice a second while this screen is shown,
  for what the stream does not carry: pad touch levels, sensor health, the
  volume, audio, the loop playing and its bar. Presses and notes are taken
  from it only when the stream may have missed some (on connecting, and after
  a ``dropped`` event).

Widgets are handed values and redraw only when one changed, so an idle box
costs one status call every half second and no drawing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Any

from textual.containers import Grid, Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget

from appliance.tui.link import BoxEvent, Connected, Disconnected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.view import (
    BAND_SOURCES,
    BeamRange,
    activity_line,
    audio_line,
    band_line,
    health_line,
    input_kind,
    input_settings,
    inputs_of,
    midi_line,
    music_line,
    pad_depth,
    profile_line,
    sounding_line,
    volume_line,
)
from appliance.tui.widgets.beam import BeamMeter
from appliance.tui.widgets.inputs import PadMeter, SwitchLamp
from appliance.tui.widgets.words import Words

#: How often the status is re-read while the dashboard is shown (2 Hz at most).
STATUS_EVERY_S = 0.5
WAITING = "Waiting for the box…"
#: What happened lately, newest first, where the terminal has room for it.
ACTIVITY_LINES = 12


class DashboardScreen(SetupScreen):
    """Every switch, pad and beam, live; profile, key, volume, audio, sensors."""

    NAME = "dashboard"

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self.profile: dict[str, Any] | None = None
        self.pressed: set[str] = set()
        self.sounding: dict[str, list[str]] = {}
        self._ids: tuple[str, ...] = ()
        self._building = asyncio.Lock()
        self._polling = False
        self._timer: Timer | None = None
        self.activity: deque[str] = deque(maxlen=ACTIVITY_LINES)

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="dashboard"):
            yield Words(WAITING, id="waiting")
            yield Horizontal(id="switches")
            yield Grid(id="pads")
            yield Vertical(id="beams")
            yield Words(id="summary")
            yield Words(id="sounding")
            yield Words(id="activity")
            if self.setup.simulating:
                yield Words(self.setup.simulate_help(), id="simhelp")

    def on_mount(self) -> None:
        self._timer = self.set_interval(STATUS_EVERY_S, self._poll)
        if self.setup.last_status is not None:
            self.call_later(self._take_status, self.setup.last_status, True)

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()
        self._poll(resync=True)

    # -- from the link ----------------------------------------------------------------------

    async def on_connected(self, message: Connected) -> None:
        await self._take_status(message.status, True)
        self._fetch_profile()

    def on_disconnected(self, message: Disconnected) -> None:
        self.pressed.clear()
        self.sounding.clear()
        self._show()

    def on_box_event(self, message: BoxEvent) -> None:
        event = message.event
        kind, iid = message.kind, str(event.get("input", ""))
        said = activity_line(event)
        if said:
            self.activity.append(said)
        if iid in BAND_SOURCES:
            return  # the band's notes: the loop line says what plays, and the status its bar
        if kind == "press":
            self.pressed.add(iid)
        elif kind == "release":
            self.pressed.discard(iid)
        elif kind == "note_on":
            self.sounding.setdefault(iid, []).append(str(event.get("name", "?")))
        elif kind == "note_off":
            names = self.sounding.get(iid, [])
            if event.get("name") in names:
                names.remove(event["name"])
            if not names:
                self.sounding.pop(iid, None)
        elif kind == "all_notes_off":
            self.sounding.clear()
        elif kind == "beam":
            self._beam(iid, event)
            return
        elif kind in ("offline", "online"):
            self._online(iid, kind == "online", str(event.get("reason") or ""))
        elif kind == "profile":
            self.status = {**self.status, "profile": event.get("name")}
            self.status["unsaved"] = bool(event.get("unsaved"))
            self._fetch_profile()
        elif kind == "dropped":
            self._poll(resync=True)
        elif kind == "band":  # a loop started or stopped: its line, now
            self._poll()
        else:
            return
        self._show()

    # -- status and profile -------------------------------------------------------------------

    def _poll(self, resync: bool = False) -> None:
        if self._polling or not self.setup.online:
            return
        self._polling = True

        def done(status: Any) -> None:
            self._polling = False
            if isinstance(status, dict):
                self.call_later(self._take_status, status, resync)

        self.request("status", then=done, quiet=True, failed=self._poll_failed)

    def _poll_failed(self) -> None:
        self._polling = False

    def _fetch_profile(self) -> None:
        def done(result: Any) -> None:
            if isinstance(result, dict) and isinstance(result.get("profile"), dict):
                self.profile = result["profile"]
                self._show()

        self.request("profile.get", then=done, quiet=True)

    async def _take_status(self, status: dict[str, Any], resync: bool) -> None:
        self.status = status
        ids = tuple(str(i.get("id")) for i in status.get("inputs", []) if isinstance(i, dict))
        if ids != self._ids:
            await self._build(ids)
        if resync:
            self.pressed = {str(i.get("id")) for i in status.get("inputs", []) if i.get("active")}
            self.sounding = {
                str(i.get("id")): [str(n) for n in i.get("sounding") or []]
                for i in status.get("inputs", [])
                if i.get("sounding") and i.get("id") not in BAND_SOURCES
            }
            for info in inputs_of(status, "beam"):
                self._beam(str(info.get("id")), info)
        self._show()

    async def _build(self, ids: tuple[str, ...]) -> None:
        """Make one widget per input the box has (once, and when its inputs change).

        Two statuses with new inputs can come one straight after the other: the
        second rebuild waits for the first, or both would mount their widgets.
        """
        self._ids = ids
        async with self._building:
            self.query_one("#waiting").display = not ids
            holders = {"switch": "#switches", "pad": "#pads", "beam": "#beams"}
            makers = {"switch": SwitchLamp, "pad": PadMeter, "beam": BeamMeter}
            for kind, selector in holders.items():
                holder = self.query_one(selector)
                await holder.remove_children()
                widgets = [makers[kind](iid) for iid in ids if input_kind(iid) == kind]
                holder.display = bool(widgets)
                await holder.mount_all(widgets)

    # -- onto the widgets ---------------------------------------------------------------------

    def _beam(self, iid: str, values: dict[str, Any]) -> None:
        for meter in self.query(BeamMeter):
            if meter.iid == iid:
                distance = values.get("distance")
                meter.distance = float(distance) if isinstance(distance, int | float) else None
                zone = values.get("zone")
                meter.zone = zone if isinstance(zone, int) else None
                meter.notes = tuple(self.sounding.get(iid, ()))

    def _online(self, iid: str, online: bool, reason: str) -> None:
        for info in self.status.get("inputs", []):
            if info.get("id") == iid:
                info["online"], info["reason"] = online, reason

    def _show(self) -> None:
        """Hand every widget its values; each redraws only if one of them changed."""
        if not self.is_mounted:
            return
        by_id = {str(i.get("id")): i for i in self.status.get("inputs", []) if isinstance(i, dict)}
        for lamp in self.query(SwitchLamp):
            info = by_id.get(lamp.iid, {})
            lamp.lit = lamp.iid in self.pressed
            lamp.notes = tuple(self.sounding.get(lamp.iid, ()))
            lamp.online = info.get("online", True) is not False
        for pad in self.query(PadMeter):
            info = by_id.get(pad.iid, {})
            threshold = input_settings(self.profile, pad.iid).get("touch_threshold")
            pad.threshold = threshold if isinstance(threshold, int) else None
            pad.depth = pad_depth(info)
            pad.lit = pad.iid in self.pressed
            pad.online = info.get("online", True) is not False
        for meter in self.query(BeamMeter):
            info = by_id.get(meter.iid, {})
            meter.span = BeamRange.of(input_settings(self.profile, meter.iid))
            meter.notes = tuple(self.sounding.get(meter.iid, ()))
            meter.online = info.get("online", True) is not False
            meter.reason = str(info.get("reason") or "")
        if self.status:
            self.query_one("#summary", Words).show(
                "\n".join(
                    [
                        f"{profile_line(self.status)}   {music_line(self.status)}",
                        f"{volume_line(self.status)}   {audio_line(self.status)}",
                        health_line(self.status),
                        midi_line(self.status),
                        band_line(self.status),
                    ]
                ),
            )
        self.query_one("#sounding", Words).show(sounding_line(self.sounding))
        self.query_one("#activity", Words).show("\n".join(reversed(self.activity)))
