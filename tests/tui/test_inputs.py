"""The Inputs screen against a real box: ``tonic run --simulate`` behind a real socket."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from service.harness import Stream
from textual.widgets import Button, Input, OptionList, Select
from tui.harness import HANG_S, TONIC, screen_text, until
from tui.test_terminal import Terminal

from appliance.control.client import ControlClient
from appliance.tui.app import SetupApp
from appliance.tui.link import Connected, Link, Target
from appliance.tui.screens.inputs import InputsScreen
from appliance.tui.widgets.fields import FieldSpec, FieldType, fields_of, value_text
from appliance.tui.widgets.instrument_picker import Instrument, InstrumentPicker, matching
from appliance.tui.widgets.setting_row import SettingRow


def row(app: SetupApp, key: str) -> SettingRow:
    return app.screen.query_one(f"#field-{key}", SettingRow)


def settings(box_sock: str, iid: str) -> dict[str, Any]:
    with ControlClient(box_sock) as c:
        return c.call("profile.get")["profile"]["inputs"].get(iid, {})


async def open_inputs(pilot, app: SetupApp, iid: str) -> InputsScreen:
    """F2, then down the list to ``iid`` with the keyboard, until its form shows."""
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f2")
    await until(pilot, lambda: isinstance(app.screen, InputsScreen), "the Inputs screen")
    screen = app.screen
    assert isinstance(screen, InputsScreen)
    await until(pilot, lambda: screen.query(SettingRow), "the form")
    listing = screen.query_one("#input-list", OptionList)
    assert listing.has_focus  # the list first: up and down choose the input
    while screen.selected != iid:
        await pilot.press("down")
    await until(pilot, lambda: f"{_label(iid)} ·" in screen_text(app), f"{iid}'s form")
    return screen


def _label(iid: str) -> str:
    kind, _, n = iid.partition(":")
    return f"{kind.capitalize()} {n}"


@pytest.mark.asyncio
async def test_an_instrument_chosen_by_searching_plays_on_the_box(box):
    stream = Stream(box.sock)
    app = SetupApp(Link(box.sock))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_inputs(pilot, app, "switch:2")
            assert row(app, "instrument").query_one(Button).label.plain == "Vibraphone"
            await pilot.press("tab", "tab")  # past the mode, onto the instrument
            assert row(app, "instrument").query_one(Button).has_focus
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, InstrumentPicker), "the list")
            await pilot.press(*"koto")
            await until(pilot, lambda: "108 Koto" in screen_text(app), "koto found")
            assert "Vibraphone" not in screen_text(app)  # filtered out
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, InputsScreen), "back to the form")
            with ControlClient(box.sock) as c:
                await until(
                    pilot,
                    lambda: c.call("status")["inputs"][1]["instrument"] == "Koto",
                    "the box playing Koto on switch 2",
                )
            await until(pilot, lambda: "Switch 2 · Koto" in screen_text(app), "Koto shown")
            await pilot.press("ctrl+t")  # a test note, on the box
            await until(
                pilot,
                lambda: any(
                    e["event"] == "note_on" and e["input"] == "switch:2" for e in stream.log
                ),
                "switch 2's test note in the stream",
            )
            assert settings(box.sock, "switch:2")["instrument"] == "koto"
        assert app.errors == 0
    finally:
        stream.close()


@pytest.mark.asyncio
async def test_a_field_focused_as_the_rows_change_stays_focused_in_the_new_rows(box):
    # A therapist who presses Down and then Tab at once is in the old rows' Mode
    # when the next input's rows replace them (a pad's after a switch's): they stay
    # in Mode, so a second Tab reaches the instrument as it would have.
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inputs(pilot, app, "switch:4")
        switch_rows = tuple(screen.query(SettingRow))
        await pilot.press("tab")
        assert row(app, "mode").query_one(Select).has_focus
        listing = screen.query_one("#input-list", OptionList)
        listing.highlighted = screen._ids.index("pad:1")
        await until(pilot, lambda: row(app, "mode").owner == "pad:1", "pad 1's rows")
        assert row(app, "mode") not in switch_rows  # new rows, with the pad's thresholds
        assert row(app, "touch_threshold")
        await until(pilot, lambda: row(app, "mode").query_one(Select).has_focus, "Mode focused")
        await pilot.press("tab")
        assert row(app, "instrument").query_one(Button).has_focus
    assert app.errors == 0


@pytest.mark.asyncio
async def test_the_next_switch_shows_in_the_same_rows_and_a_late_change_keeps_its_input(box):
    # Switch 1 to switch 2: the same fields, so the rows stay and show switch 2's
    # values; no key can land in rows about to go. A value typed for switch 1 and
    # sent as the therapist moves on is still switch 1's.
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_inputs(pilot, app, "switch:1")
        rows = tuple(screen.query(SettingRow))
        degree = row(app, "degree")
        field = degree.query_one(Input)
        field.focus()
        await pilot.press("ctrl+u", *"5")
        screen.query_one("#input-list", OptionList).focus()  # Blurred: sent for switch 1
        screen.query_one("#input-list", OptionList).highlighted = 1  # switch 2, at once
        await until(pilot, lambda: degree.owner == "switch:2", "switch 2's values")
        await until(
            pilot, lambda: settings(box.sock, "switch:1").get("degree") == 5, "switch 1 at 5"
        )
        assert tuple(screen.query(SettingRow)) == rows
        await until(pilot, lambda: field.value == "3", "switch 2's degree shown")
        assert settings(box.sock, "switch:2")["degree"] == 3
        assert row(app, "instrument").query_one(Button).label.plain == "Vibraphone"
    assert app.errors == 0


@pytest.mark.asyncio
async def test_backing_out_of_the_list_after_trying_puts_the_instrument_back(box):
    stream = Stream(box.sock)
    app = SetupApp(Link(box.sock))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_inputs(pilot, app, "switch:1")
            row(app, "instrument").query_one(Button).press()
            await until(pilot, lambda: isinstance(app.screen, InstrumentPicker), "the list")
            await pilot.press(*"flute", "ctrl+t")  # tried: set and played
            await until(
                pilot,
                lambda: any(
                    e["event"] == "note_on" and e["input"] == "switch:1" for e in stream.log
                ),
                "the tried instrument's note",
            )
            assert settings(box.sock, "switch:1")["instrument"] == "flute"
            await pilot.press("escape")
            await until(
                pilot,
                lambda: settings(box.sock, "switch:1")["instrument"] == "marimba",
                "marimba again",
            )
    finally:
        stream.close()


@pytest.mark.asyncio
async def test_an_access_timing_changes_live_and_a_refusal_shows_by_its_field(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inputs(pilot, app, "switch:3")
        accept = row(app, "accept_ms")
        assert "for a client with" in screen_text(app)  # its explanation, by it
        field = accept.query_one(Input)
        field.focus()
        await pilot.press("ctrl+u", *"150", "enter")
        await until(
            pilot, lambda: settings(box.sock, "switch:3").get("accept_ms") == 150, "150 ms set"
        )
        assert accept.error == ""
        await pilot.press("ctrl+u", *"99999", "enter")
        await until(pilot, lambda: accept.error != "", "the box's refusal")
        assert "must be in range 0..5000" in accept.error
        await until(pilot, lambda: "must be in range 0..5000" in screen_text(app), "shown")
        assert settings(box.sock, "switch:3")["accept_ms"] == 150  # unchanged
        await pilot.press("ctrl+u", *"200", "enter")  # fixed: the message goes
        await until(pilot, lambda: accept.error == "", "the message cleared")
        assert settings(box.sock, "switch:3")["accept_ms"] == 200
    assert app.errors == 0


@pytest.mark.asyncio
async def test_a_pad_shows_its_sensitivity_and_save_keeps_the_change(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inputs(pilot, app, "pad:1")
        touch = row(app, "touch_threshold")
        assert "lower = more sensitive" in touch.spec.explanation
        touch.query_one(Input).focus()
        await pilot.press("ctrl+u", *"20", "enter")
        await until(
            pilot, lambda: settings(box.sock, "pad:1").get("touch_threshold") == 20, "20 set"
        )
        await until(pilot, lambda: "unsaved: ctrl+s saves" in screen_text(app), "unsaved")
        await pilot.press("ctrl+s")
        with ControlClient(box.sock) as c:
            await until(pilot, lambda: c.call("status")["unsaved"] is False, "saved")
            c.call("set", {"pad:1.touch_threshold": "30"})
            c.call("profile.load", {"name": "Default"})  # a fresh load, from the file
            assert c.call("profile.get")["profile"]["inputs"]["pad:1"]["touch_threshold"] == 20
        await until(pilot, lambda: "(saved)" in screen_text(app), "saved shown")
    assert app.errors == 0


@pytest.mark.asyncio
async def test_revert_goes_back_to_the_saved_copy(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inputs(pilot, app, "switch:1")
        with ControlClient(box.sock) as c:
            c.call("set", {"switch:1.lockout_ms": "400"})  # another UI's change
            lockout = row(app, "lockout_ms").query_one(Input)
            await until(pilot, lambda: lockout.value == "400", "the change seen here")
            await pilot.press("ctrl+r")
            await until(pilot, lambda: lockout.value == "30", "back to the saved 30 ms")
            assert c.call("status")["unsaved"] is False


# -- the pure parts --------------------------------------------------------------------


def test_the_form_is_built_from_the_schema_with_defaults_for_missing_settings():
    from appliance.profile.schema import profile_schema

    specs = {s.key: s for s in fields_of(profile_schema(), "pad")}
    assert specs["mode"].type is FieldType.CHOICE and "latch" in specs["mode"].choices
    assert specs["instrument"].type is FieldType.INSTRUMENT
    assert specs["accept_ms"].range_text == "0..5000 ms"
    assert specs["max_note_s"].type is FieldType.NUMBER and specs["max_note_s"].unit == "s"
    assert value_text(specs["lockout_ms"], {}) == "30"  # the schema's default
    assert value_text(specs["max_note_s"], {"max_note_s": 12.5}) == "12.5"
    assert value_text(specs["max_note_s"], {"max_note_s": 30.0}) == "30"
    assert fields_of(None, "pad") == [] and fields_of(profile_schema(), "kazoo") == []


def test_songs_and_choices_are_chosen_from_lists():
    from appliance.profile.schema import profile_schema

    specs = {s.key: s for s in fields_of(profile_schema(), "switch")}
    assert specs["song"].type is FieldType.CHOICE
    assert "twinkle_twinkle" in specs["song"].choices
    choice = specs["choice"]
    assert choice.type is FieldType.CHOICE and {"calypso", "ode_to_joy"} <= set(choice.choices)
    assert choice.choice_label("") == "(the song above)"
    assert choice.choice_label("calypso") == "calypso"
    assert specs["mode"].choice_label("") == "(none)"


def test_an_unknown_field_shows_the_schema_help():
    spec = FieldSpec("wobble_ms", FieldType.INTEGER, "how much it wobbles", minimum=0, maximum=9)
    assert spec.explanation == "how much it wobbles"
    assert spec.label == "Wobble ms" and spec.unit == "ms"


def test_searching_instruments_matches_every_word_by_title_name_or_number():
    kits = [
        Instrument(1, "acoustic_grand_piano", "Acoustic Grand Piano", False),
        Instrument(108, "koto", "Koto", False),
        Instrument(129, "standard_kit", "Standard Kit", True),
    ]
    assert [i.name for i in matching(kits, "KOTO")] == ["koto"]
    assert [i.name for i in matching(kits, "grand piano")] == ["acoustic_grand_piano"]
    assert [i.name for i in matching(kits, "108")] == ["koto"]
    assert [i.name for i in matching(kits, "drums")] == ["standard_kit"]
    assert len(matching(kits, "")) == 3


# -- snapshots, from a fixed box (no service) ---------------------------------------------


def _info(iid: str, instrument: str, **extra: Any) -> dict[str, Any]:
    info = {"id": iid, "mode": "note", "instrument": instrument, "active": False, "sounding": []}
    return info | {"online": True, "reason": "", "distance": None, "zone": None} | extra


FIXED_STATUS: dict[str, Any] = {
    "profile": "Sam, Tuesdays",
    "unsaved": True,
    "key": "D",
    "scale": "major_pentatonic",
    "inputs": [
        _info("switch:1", "Marimba"),
        _info("switch:2", "Koto"),
        *[_info(f"pad:{n}", "Kalimba") for n in range(1, 13)],
        _info("beam:1", "Celesta", mode="zones", distance=0.42, zone=1),
    ],
}
FIXED_PROFILE: dict[str, Any] = {
    "name": "Sam, Tuesdays",
    "inputs": {
        "switch:1": {"instrument": "marimba"},
        "switch:2": {"instrument": "koto", "degree": 3, "accept_ms": 200, "release_ms": 120},
        "beam:1": {"mode": "zones", "instrument": "celesta", "near": 0.2, "far": 0.9, "zones": 6},
    },
}


class FixedBox:
    """A link to a box that never changes: the status and profile above, the real schema
    and the real General MIDI list."""

    def __init__(self) -> None:
        from appliance.profile.schema import profile_schema
        from appliance.sound.instruments import all_instruments

        self.schema = profile_schema()
        self.instruments = [
            {"number": i.number, "name": i.name, "title": i.title, "drums": i.is_drums}
            for i in all_instruments()
        ]

    def start(self, target: Target) -> None:
        target.post_message(Connected(copy.deepcopy(FIXED_STATUS)))

    def stop(self) -> None:
        pass

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        answers = {
            "status": lambda: copy.deepcopy(FIXED_STATUS),
            "profile.get": lambda: {
                "name": "Sam, Tuesdays",
                "profile": copy.deepcopy(FIXED_PROFILE),
            },
            "profile.schema": lambda: self.schema,
            "instruments.list": lambda: self.instruments,
        }
        return answers[method]() if method in answers else {}


async def _inputs_drawn(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f2")
    await until(pilot, lambda: app.screen.query(SettingRow), "the form")
    await pilot.press("down")
    await until(pilot, lambda: "Switch 2 · Koto" in screen_text(app), "switch 2's form")
    await until(pilot, lambda: "Mode          note" in screen_text(app), "its mode")
    await until(pilot, lambda: row(app, "accept_ms").query_one(Input).value == "200", "200 ms")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_inputs_screen(snap_compare, size):
    assert snap_compare(SetupApp(FixedBox()), terminal_size=size, run_before=_inputs_drawn)


async def _picker_drawn(pilot) -> None:
    await _inputs_drawn(pilot)
    row(pilot.app, "instrument").query_one(Button).press()
    await until(pilot, lambda: isinstance(pilot.app.screen, InstrumentPicker), "the list")
    await pilot.press(*"pi")
    await until(pilot, lambda: "Honky-tonk Piano" in screen_text(pilot.app), "pianos")


def test_instrument_picker(snap_compare):
    assert snap_compare(SetupApp(FixedBox()), terminal_size=(80, 24), run_before=_picker_drawn)


# -- a real terminal -----------------------------------------------------------------------


@contextlib.contextmanager
def setup_in_tmux(tmp_path: Path) -> Iterator[tuple[Terminal, Callable[..., Any]]]:
    """``tonic setup --simulate`` in tmux at 80x24, and a ``tonic ctl --json`` on its box."""
    scratch = Path(tempfile.mkdtemp(prefix="tt-"))  # short: a socket path has 108 bytes
    term = Terminal(f"tonic-test-io-{os.getpid()}")
    env = f"TERM=xterm-256color XDG_STATE_HOME={tmp_path / 'state'} TMPDIR={scratch}"
    command = " ".join([*TONIC, "setup", "--simulate"])
    term.tmux("new-session", "-d", "-s", "ui", "-x", "80", "-y", "24", f"{env} {command}")

    def ctl(*args: str) -> Any:
        sock = next(scratch.glob("*/control.sock"))
        out = subprocess.run(
            [*TONIC, "ctl", "--socket", str(sock), "--json", *args],
            capture_output=True,
            text=True,
            timeout=HANG_S,
            check=True,
        )
        return json.loads(out.stdout)

    try:
        term.until(lambda s: "Switch 4" in s and "Connected" in s, "the dashboard")
        yield term, ctl
    finally:
        term.tmux("kill-server")
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_an_instrument_changed_with_the_keyboard_in_a_real_terminal(tmp_path):
    with setup_in_tmux(tmp_path) as (term, ctl):
        term.key_until("F2", lambda s: "Switch 1 · Marimba" in s and "Accept after" in s, "Inputs")
        term.keys("Down")
        # The title changes at once; the rows follow when switch 2's are on screen.
        term.until(
            lambda s: "Switch 2 · Vibraphone" in s and re.search(r"Degree +3 ", s),
            "switch 2's settings",
        )
        term.keys("Tab", "Tab", "Enter")
        term.until(lambda s: "Instrument for Switch 2" in s, "the instrument list")
        term.keys("koto")
        term.until(lambda s: "108 Koto" in s and "Vibraphone" not in s, "koto found")
        term.keys("Enter")
        term.until(lambda s: "Switch 2 · Koto" in s, "koto chosen")
        assert ctl("status")["inputs"][1]["instrument"] == "Koto"
        assert ctl("profile.get")["profile"]["inputs"]["switch:2"]["instrument"] == "koto"
