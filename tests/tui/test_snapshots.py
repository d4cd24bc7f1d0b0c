"""The dashboard's look at 80x24 and 120x40, from a fixed box state (no service).

The app is given a fake link that answers with one fixed status and profile and
sends a few live events, so every run draws the same screen. Refresh the
pictures with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look
at them before committing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tui.harness import screen_text, until

from appliance.tui.app import SetupApp
from appliance.tui.link import BoxEvent, Connected, Target


def _input(iid: str, **extra: Any) -> dict[str, Any]:
    info = {"id": iid, "mode": "note", "instrument": "Marimba", "active": False}
    info |= {"sounding": [], "online": True, "reason": "", "distance": None, "zone": None}
    return info | {"filtered": None, "baseline": None} | extra


PADS = [_input(f"pad:{n}", filtered=700 - n % 4, baseline=700) for n in range(1, 13)]
PADS[4] = _input("pad:5", filtered=680, baseline=700)  # touched, past its threshold of 12
STATUS: dict[str, Any] = {
    "profile": "Sam, Tuesdays",
    "profile_slug": "sam-tuesdays",
    "unsaved": True,
    "key": "D",
    "scale": "major_pentatonic",
    "volume": 0.55,
    "gain_ceiling": 2.8,
    "harmony": "A major",
    "loop": "calypso, bar 5",
    "tempo": 90,
    "audio": {"state": "playing", "reason": "", "period_size": 64, "periods": 3, "latency_ms": 4.0},
    "midi": {"available": True, "reason": "", "devices": [{"id": "midi:keys", "port": "Keys"}]},
    "inputs": [
        _input("switch:1"),
        _input("switch:2", active=True, sounding=["F#4"]),
        _input("switch:3"),
        _input("switch:4", online=False, reason="jack unplugged"),
        *PADS,
        _input("beam:1", mode="zones", distance=0.42, zone=2, sounding=["A4"]),
        _input(
            "midi:keys",
            mode="therapist",
            instrument="Acoustic Grand Piano",
            active=True,
            sounding=["A3", "C#4", "E4"],
        ),
    ],
}
PROFILE: dict[str, Any] = {
    "name": "Sam, Tuesdays",
    "inputs": {
        **{f"pad:{n}": {"touch_threshold": 12, "release_threshold": 6} for n in range(1, 13)},
        "beam:1": {"near": 0.15, "far": 1.0, "zones": 8},
    },
}
EVENTS = [
    {"event": "offline", "input": "switch:4", "reason": "jack unplugged"},
    {"event": "press", "input": "pad:5"},
    {"event": "note_on", "input": "pad:5", "name": "B5", "note": 83},
]


class FixedLink:
    """A link to a box that never changes: the status and profile above."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def start(self, target: Target) -> None:
        target.post_message(Connected(copy.deepcopy(STATUS)))
        for event in EVENTS:
            target.post_message(BoxEvent(dict(event)))

    def stop(self) -> None:
        pass

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.calls.append(method)
        if method == "status":
            status = copy.deepcopy(STATUS)
            status["inputs"][4 + 4]["active"] = True  # pad:5, as the events said
            status["inputs"][4 + 4]["sounding"] = ["B5"]
            return status
        if method == "profile.get":
            return {"name": PROFILE["name"], "profile": copy.deepcopy(PROFILE)}
        return {}


async def _drawn(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: "42 cm" in screen_text(app), "the beam's distance")
    await until(pilot, lambda: "│" in screen_text(app).split("P1 ", 1)[-1][:20], "pad bars")
    await until(pilot, lambda: "Pad 5 B5" in screen_text(app), "the pad's note")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_dashboard(snap_compare, size):
    assert snap_compare(SetupApp(FixedLink()), terminal_size=size, run_before=_drawn)


def test_dashboard_simulating_shows_its_keys(snap_compare):
    app = SetupApp(FixedLink(), simulating=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_drawn)
