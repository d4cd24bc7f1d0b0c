"""Beam calibration against a real box: ``tonic run --simulate`` behind a real socket."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from service.harness import Stream
from textual.widgets import Digits
from tui.harness import screen_text, until
from tui.test_inputs import FixedBox, setup_in_tmux

from appliance.control.client import ControlClient
from appliance.tui.app import SetupApp
from appliance.tui.link import Link
from appliance.tui.screens.beam import BeamScreen
from appliance.tui.view import BeamRange
from appliance.tui.widgets.zone_bar import BAR_TOP_M, HAND, ZoneBar


def beam(sock: str) -> dict[str, Any]:
    with ControlClient(sock) as c:
        return c.call("profile.get")["profile"]["inputs"]["beam:1"]


def hand(sock: str, distance: float | None) -> None:
    with ControlClient(sock) as c:
        c.call("simulate.beam", {"input": "beam:1", "distance": distance})


async def open_beam(pilot, app: SetupApp) -> BeamScreen:
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(app.screen, BeamScreen), "the Beam screen")
    screen = app.screen
    assert isinstance(screen, BeamScreen)
    await until(pilot, lambda: "near 15 cm · far 100 cm" in screen_text(app), "the range")
    return screen


def digits(app: SetupApp) -> str:
    return app.screen.query_one("#beam-digits", Digits).value


@pytest.mark.asyncio
async def test_near_and_far_are_set_from_where_the_hand_is(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_beam(pilot, app)
        hand(box.sock, 0.30)
        await until(pilot, lambda: digits(app) == "30", "30 cm on screen")
        assert f"{HAND} 30 cm" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: beam(box.sock)["near"] == 0.3, "near at 30 cm")
        await until(pilot, lambda: "near 30 cm · far 100 cm" in screen_text(app), "shown")
        hand(box.sock, 0.90)
        await until(pilot, lambda: digits(app) == "90", "90 cm on screen")
        await pilot.press("f")
        await until(pilot, lambda: beam(box.sock)["far"] == 0.9, "far at 90 cm")
        await until(pilot, lambda: "near 30 cm · far 90 cm" in screen_text(app), "shown")
        assert beam(box.sock)["near"] == 0.3
        assert "Far set to 90 cm." in screen_text(app)
    assert app.errors == 0


@pytest.mark.asyncio
async def test_the_zone_the_hand_is_in_is_shown_and_the_zone_count_changes(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_beam(pilot, app)
        hand(box.sock, 0.42)
        await until(pilot, lambda: "zone 3 of 8" in screen_text(app), "zone 3 of 8")
        assert screen.query_one(ZoneBar).zone == 2
        await pilot.press("plus")
        await until(pilot, lambda: beam(box.sock)["zones"] == 9, "nine zones")
        await until(pilot, lambda: "· 9 zones" in screen_text(app), "nine shown")
        await pilot.press("minus", "minus")
        await until(pilot, lambda: beam(box.sock)["zones"] == 7, "seven zones")
        with ControlClient(box.sock) as c:
            c.call("set", {"beam:1.zones": "16"})
        await until(pilot, lambda: "· 16 zones" in screen_text(app), "sixteen shown")
        await pilot.press("plus")
        await until(pilot, lambda: "A beam has 2 to 16 zones" in screen_text(app), "the limit")
        assert beam(box.sock)["zones"] == 16


@pytest.mark.asyncio
async def test_with_no_hand_or_near_past_far_the_screen_says_why(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_beam(pilot, app)
        hand(box.sock, None)
        await until(pilot, lambda: digits(app) == "--", "no hand")
        await pilot.press("n")
        await until(pilot, lambda: "No hand in the beam" in screen_text(app), "no hand said")
        hand(box.sock, 1.2)
        await until(pilot, lambda: digits(app) == "120", "120 cm")
        await pilot.press("n")
        await until(pilot, lambda: "must be less than far" in screen_text(app), "the refusal")
        assert beam(box.sock)["near"] == 0.15
    assert app.errors == 0


@pytest.mark.asyncio
async def test_the_test_key_sounds_the_beam(box):
    stream = Stream(box.sock)
    app = SetupApp(Link(box.sock))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_beam(pilot, app)
            await pilot.press("t")
            await until(
                pilot,
                lambda: any(e["event"] == "note_on" and e["input"] == "beam:1" for e in stream.log),
                "the beam's test note",
            )
    finally:
        stream.close()


@pytest.mark.asyncio
async def test_under_simulate_the_arrow_keys_move_the_hand_here_too(box):
    app = SetupApp(Link(box.sock), simulating=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_beam(pilot, app)
        await pilot.press("up")  # the hand appears at 50 cm
        await until(pilot, lambda: digits(app) == "50", "the hand at 50 cm")
        await pilot.press("n")
        await until(pilot, lambda: beam(box.sock)["near"] == 0.5, "near at 50 cm")


# -- the bar, drawn ------------------------------------------------------------------------


def test_the_bar_puts_the_hand_and_the_zones_where_their_distances_are():
    bar = ZoneBar()
    bar.span = BeamRange(0.3, 0.9, 4)
    bar.distance, bar.zone = 0.45, 1
    width = 61  # one cell for every 2.5 cm of 1.5 m
    marker = bar.marker_line(width).plain
    assert marker.index(HAND) == round(0.45 / BAR_TOP_M * (width - 1)) == 18
    zones = bar.zone_line(width, labelled=True)
    assert zones.plain.index("|") == 12  # near, 30 cm
    assert zones.plain.rindex("|") == 36  # far, 90 cm
    assert zones.plain[:12] == "·" * 12 and zones.plain[37:] == "·" * (width - 37)
    reversed_cells = {s.start for s in zones.spans if "reverse" in str(s.style)}
    assert reversed_cells == {19}  # zone 2 (18..24) is the hand's, drawn reversed
    ruler = bar.ruler(width).plain
    assert ruler.startswith("0 cm") and "150" in ruler


def test_a_beam_reaching_far_stretches_the_bar_and_a_hand_beyond_points_off_it():
    bar = ZoneBar()
    bar.span = BeamRange(0.5, 3.0, 8)
    assert bar.top > 3.0
    bar.distance = 3.9
    assert bar.marker_line(40).plain.rstrip().endswith("390 cm ▶")


# -- snapshots, from a fixed box (no service) ---------------------------------------------


async def _beam_drawn(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f3")
    await until(pilot, lambda: "near 20 cm · far 90 cm · 6 zones" in screen_text(app), "range")
    await until(pilot, lambda: digits(app) == "42", "the hand at 42 cm")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_beam_screen(snap_compare, size):
    assert snap_compare(SetupApp(FixedBox()), terminal_size=size, run_before=_beam_drawn)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_near_and_far_set_with_the_keyboard_in_a_real_terminal(tmp_path):
    with setup_in_tmux(tmp_path) as (term, ctl):
        term.key_until("F3", lambda s: "near 15 cm · far 100 cm" in s, "Beam calibration")
        term.keys("Up")  # the simulated hand appears at 50 cm
        term.until(lambda s: f"{HAND} 50 cm" in s, "the hand at 50 cm")
        term.keys("n")
        term.until(lambda s: "near 50 cm · far 100 cm" in s, "near set")
        for _ in range(8):  # 2.5 cm a step: to 70 cm
            term.keys("Up")
        term.until(lambda s: f"{HAND} 70 cm" in s, "the hand at 70 cm")
        term.keys("f")
        term.until(lambda s: "near 50 cm · far 70 cm" in s, "far set")
        settings = ctl("profile.get")["profile"]["inputs"]["beam:1"]
        assert (settings["near"], settings["far"]) == (0.5, 0.7)
