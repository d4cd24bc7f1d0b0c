"""The Sound screen against a real box (``tonic run --simulate``), and its look."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Select
from tui.harness import FixedLink, screen_text, until

from appliance.control.client import ControlClient
from appliance.music import scale_names
from appliance.tui.app import SetupApp
from appliance.tui.link import Link
from appliance.tui.screens.sound import (
    CEILING,
    KEYS,
    SoundScreen,
    instruments_line,
    key_label,
    scale_notes,
)
from appliance.tui.widgets.volume import VolumeBar


def status(sock: str) -> dict[str, Any]:
    with ControlClient(sock) as c:
        return c.call("status")


async def sound_screen(pilot) -> SoundScreen:
    app = pilot.app
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f4")
    await until(pilot, lambda: isinstance(app.screen, SoundScreen), "the Sound screen")
    screen = app.screen
    await until(pilot, lambda: screen.query_one(VolumeBar).volume is not None, "the volume")
    return screen


async def choose(pilot, select_id: str, steps: int) -> None:
    """Open a drop-down with the keyboard and move ``steps`` from its choice (up if negative)."""
    pilot.app.screen.query_one(select_id, Select).focus()
    await pilot.press("enter")
    for _ in range(abs(steps)):
        await pilot.press("down" if steps > 0 else "up")
    await pilot.press("enter")


# -- against a real box ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_key_and_scale_chosen_with_the_keyboard_play_at_once(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await sound_screen(pilot)
        assert "Notes in C major pentatonic: C D E G A" in screen_text(app)
        await choose(pilot, "#key", KEYS.index("G") - KEYS.index("C"))
        await until(pilot, lambda: status(box.sock)["key"] == "G", "the box in G")
        names = scale_names()
        steps = names.index("natural_minor") - names.index("major_pentatonic")
        await choose(pilot, "#scale", steps)
        await until(pilot, lambda: status(box.sock)["scale"] == "natural_minor", "G minor")
        await until(
            pilot,
            lambda: "Notes in G natural minor: G A Bb C D Eb F" in screen_text(app),
            "the scale's notes, spelled with flats",
        )
        assert status(box.sock)["unsaved"] is True
    assert app.errors == 0


@pytest.mark.asyncio
async def test_the_volume_moves_with_the_arrow_keys_within_the_ceiling(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sound_screen(pilot)
        before = status(box.sock)["volume"]
        screen.query_one(VolumeBar).focus()
        await pilot.press("right")
        await until(
            pilot, lambda: status(box.sock)["volume"] == pytest.approx(before + 0.05), "louder"
        )
        await pilot.press("end")
        await until(pilot, lambda: status(box.sock)["volume"] == 1.0, "at the ceiling")
        await pilot.press("right")  # nothing past the ceiling
        await pilot.pause(0.2)
        assert status(box.sock)["volume"] == 1.0
        assert "100 %" in screen_text(app)
        assert CEILING in screen_text(app)


@pytest.mark.asyncio
async def test_a_change_made_elsewhere_shows_here(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sound_screen(pilot)
        with ControlClient(box.sock) as c:
            c.call("set", {"key": "D#", "scale": "blues", "volume": "0.25"})
        await until(pilot, lambda: screen.query_one("#key", Select).value == "Eb", "Eb chosen")
        await until(pilot, lambda: "  25 %" in screen_text(app), "the volume at 25 %")
        assert screen.query_one("#scale", Select).value == "blues"


# -- what it says ----------------------------------------------------------------------------


def test_keys_are_written_as_a_therapist_writes_them():
    assert key_label("D#") == "Eb"
    assert key_label("Gb") == "F#"
    assert key_label("H") is None
    assert scale_notes("D", "natural_minor") == "Notes in D natural minor: D E F G A Bb C"
    assert scale_notes("F#", "major") == "Notes in F# major: F# G# A# B C# D# F"
    assert scale_notes("C", "no such scale") == ""


def test_inputs_playing_the_same_instrument_side_by_side_are_named_once():
    inputs = [
        {"id": "switch:1", "instrument": "Marimba"},
        {"id": "pad:1", "instrument": "Kalimba"},
        {"id": "pad:2", "instrument": "Kalimba"},
        {"id": "pad:3", "instrument": "Flute"},
    ]
    assert instruments_line({"inputs": inputs}) == (
        "Switch 1 Marimba · Pads 1-2 Kalimba · Pad 3 Flute"
    )


# -- its look ---------------------------------------------------------------------------------

STATUS: dict[str, Any] = {
    "profile": "Sam, Tuesdays",
    "unsaved": True,
    "key": "D",
    "scale": "major_pentatonic",
    "volume": 0.55,
    "gain_ceiling": 0.5,
    "audio": {"state": "playing", "reason": "", "device": "hw:0", "latency_ms": 4.0},
    "data_dir": "/var/lib/tonic",
    "inputs": [
        {"id": "switch:1", "instrument": "Marimba", "online": True},
        {"id": "switch:2", "instrument": "Vibraphone", "online": True},
        *({"id": f"pad:{n}", "instrument": "Kalimba", "online": True} for n in range(1, 13)),
        {"id": "beam:1", "instrument": "Celesta", "online": True},
    ],
}


async def _shown(pilot) -> None:
    await pilot.press("f4")
    await until(pilot, lambda: "Notes in D major pentatonic" in screen_text(pilot.app), "notes")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_sound_screen(snap_compare, size):
    assert snap_compare(SetupApp(FixedLink(STATUS)), terminal_size=size, run_before=_shown)
