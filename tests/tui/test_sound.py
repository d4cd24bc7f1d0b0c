"""The Sound screen against a real box (``tonic run --simulate``), and its look."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Checkbox, Input, RadioSet, Select
from tui.harness import FixedLink, screen_text, until

from appliance.control.client import ControlClient
from appliance.music import scale_names
from appliance.music.loops import loop_names
from appliance.tui.app import SetupApp
from appliance.tui.link import Link
from appliance.tui.screens.sound import (
    CEILING,
    HARMONIES,
    KEYS,
    SoundScreen,
    instruments_line,
    key_label,
    scale_notes,
)
from appliance.tui.widgets.accompaniment import (
    NOT_PLAYING,
    WAIT,
    loop_choice,
    playing_line,
    tempo_help,
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
    await until(pilot, lambda: screen.query_one("#volume", VolumeBar).volume is not None, "volume")
    loops = screen.query_one("#loop-name", Select)
    await until(pilot, lambda: len(loops._options) > 1, "the box's loops to choose from")
    return screen


async def press(pilot, selector: str, *keys: str) -> None:
    """Focus one control, as Tab would, and press keys on it."""
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press(*keys)


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
        screen.query_one("#volume", VolumeBar).focus()
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


@pytest.mark.asyncio
async def test_a_loop_chosen_started_and_stopped_with_the_keyboard(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await sound_screen(pilot)
        assert NOT_PLAYING in screen_text(app)
        # The list opens on "Choose a loop"; calypso is the second loop down.
        await choose(pilot, "#loop-name", loop_names().index("calypso") + 1)
        await until(pilot, lambda: status(box.sock)["loop_settings"]["name"] == "calypso", "chosen")
        assert status(box.sock)["loop"] == ""  # choosing is not playing
        await press(pilot, "#loop-start", "enter")
        await until(pilot, lambda: status(box.sock)["loop"].startswith("calypso"), "playing")
        await until(pilot, lambda: "▶ calypso" in screen_text(app), "shown playing")
        await pilot.press("f1")  # the dashboard says what plays, with its bar
        await until(pilot, lambda: "Loop: calypso, bar " in screen_text(app), "on the dashboard")
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, SoundScreen), "back on Sound")
        await press(pilot, "#loop-stop", "enter")
        await until(pilot, lambda: status(box.sock)["loop"] == "", "stopped at the bar line")
        await until(pilot, lambda: NOT_PLAYING in screen_text(app), "shown stopped")
        assert status(box.sock)["unsaved"] is True  # the choice, not the preview
    assert app.errors == 0


@pytest.mark.asyncio
async def test_harmony_tempo_loop_volume_and_waiting_from_the_keyboard(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sound_screen(pilot)
        await press(pilot, "#harmony", "right", "right", "enter")  # the third: the loop
        await until(pilot, lambda: status(box.sock)["harmony_from"] == "loop", "harmony")
        await until(pilot, lambda: HARMONIES["loop"][1] in screen_text(app), "what it means")
        await press(pilot, "#tempo", *"90", "enter")
        await until(pilot, lambda: status(box.sock)["tempo"] == 90, "tempo 90")
        await press(pilot, "#loop-volume", "right")
        await until(
            pilot, lambda: status(box.sock)["loop_settings"]["volume"] == 0.75, "louder loop"
        )
        await press(pilot, "#loop-wait", "space")
        await until(pilot, lambda: status(box.sock)["loop_settings"]["wait"] is True, "waiting")
        assert screen.query_one("#loop-wait", Checkbox).value is True
        assert WAIT in screen_text(app)
    assert app.errors == 0


@pytest.mark.asyncio
async def test_a_tempo_the_box_refuses_is_said_and_the_box_tempo_shown_again(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sound_screen(pilot)
        await press(pilot, "#tempo", *"200", "enter")
        await until(pilot, lambda: "40..160" in screen_text(app), "the refusal")
        tempo = screen.query_one("#tempo", Input)
        await until(pilot, lambda: tempo.value == "0", "the box's tempo back")
        assert status(box.sock)["tempo"] == 0
    assert app.errors == 0


@pytest.mark.asyncio
async def test_a_loop_started_elsewhere_shows_here_and_its_choice_too(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await sound_screen(pilot)
        with ControlClient(box.sock) as c:
            c.call("set", {"loop.name": "waltz", "harmony": "therapist"})
            c.call("loop.start")
        await until(pilot, lambda: "▶ waltz" in screen_text(app), "the waltz playing")
        assert screen.query_one("#loop-name", Select).value == "waltz"
        harmony = screen.query_one("#harmony", RadioSet)
        await until(pilot, lambda: harmony.pressed_button.id == "harmony-therapist", "therapist")
        with ControlClient(box.sock) as c:
            c.call("panic")
    assert app.errors == 0


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


def test_the_loop_is_shown_as_a_therapist_reads_it():
    loops = [{"name": "calypso", "title": "Calypso", "mood": "bright, dancing", "tempo": 104}]
    assert loop_choice(loops[0]) == "Calypso · bright, dancing"
    assert playing_line({"loop": "calypso, bar 5"}) == "▶ calypso, bar 5"
    assert playing_line({"loop": ""}) == NOT_PLAYING
    chosen = {"loop_settings": {"name": "calypso"}}
    assert tempo_help(chosen, loops).endswith("(calypso: 104)")
    assert "(" not in tempo_help({}, loops)


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
    "loop": "calypso, bar 5",
    "tempo": 0,
    "harmony_from": "loop",
    "loop_settings": {"name": "calypso", "volume": 0.7, "play": False, "wait": True},
    "inputs": [
        {"id": "switch:1", "instrument": "Marimba", "online": True},
        {"id": "switch:2", "instrument": "Vibraphone", "online": True},
        *({"id": f"pad:{n}", "instrument": "Kalimba", "online": True} for n in range(1, 13)),
        {"id": "beam:1", "instrument": "Celesta", "online": True},
    ],
}


LISTS: dict[str, Any] = {
    "loops.list": [
        {"name": "ambient_pad", "title": "Ambient Pad", "mood": "calm, spacious", "tempo": 52},
        {"name": "calypso", "title": "Calypso", "mood": "bright, dancing", "tempo": 104},
    ],
    "songs.list": [{"name": "twinkle_twinkle", "title": "Twinkle Twinkle Little Star"}],
}


async def _shown(pilot) -> None:
    app = pilot.app
    await pilot.press("f4")
    await until(pilot, lambda: "Notes in D major pentatonic" in screen_text(app), "notes")
    await until(pilot, lambda: "(calypso: 104)" in screen_text(app), "the loop chosen")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_sound_screen(snap_compare, size):
    app = SetupApp(FixedLink(STATUS, LISTS))
    assert snap_compare(app, terminal_size=size, run_before=_shown)
