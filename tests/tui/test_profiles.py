"""The Profiles screen against a real box (``tonic run --simulate``), and its look."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select
from tui.harness import HANG_S, TONIC, FixedLink, screen_text, until

from appliance.control.client import ControlClient
from appliance.tui.app import SetupApp
from appliance.tui.link import Link
from appliance.tui.profile_files import (
    ProfileFileError,
    problems_of,
    read_profile_file,
    write_atomically,
)
from appliance.tui.screens.profiles import ProfilesScreen
from appliance.tui.widgets.dialogs import AskText, Confirm, NewProfile, Problems


def call(sock: str, method: str, params: dict[str, Any] | None = None) -> Any:
    with ControlClient(sock) as c:
        return c.call(method, params)


def names(sock: str) -> list[str]:
    return [p["name"] for p in call(sock, "profile.list")]


async def profiles_screen(pilot) -> ProfilesScreen:
    app = pilot.app
    await until(pilot, lambda: app.online, "connected")
    await pilot.press("f5")
    await until(pilot, lambda: isinstance(app.screen, ProfilesScreen), "the Profiles screen")
    screen = app.screen
    await until(pilot, lambda: screen.query_one(DataTable).row_count > 0, "the list")
    return screen


async def choose(pilot, screen: ProfilesScreen, name: str) -> None:
    """Move the list's cursor to ``name`` with the arrow keys."""
    table = screen.query_one(DataTable)
    table.focus()
    await until(pilot, lambda: any(e.name == name for e in screen.entries), f"{name} listed")
    target = next(i for i, e in enumerate(screen.entries) if e.name == name)
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")


async def press_button(pilot, selector: str) -> None:
    pilot.app.screen.query_one(selector).focus()
    await pilot.press("enter")


async def answer(pilot, text: str) -> None:
    """Type ``text`` into the open dialog's field, replacing what was there, and accept it."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, AskText), "the question")
    field = app.screen.query_one(Input)
    field.focus()
    await pilot.press("ctrl+u", *[c for c in text])
    assert field.value == text
    await pilot.press("enter")


# -- against a real box ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_enter_on_a_starter_loads_it(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_screen(pilot)
        await choose(pilot, screen, "Calm space")
        await pilot.press("enter")
        await until(pilot, lambda: call(box.sock, "status")["profile"] == "Calm space", "loaded")
        await until(pilot, lambda: "▶ Calm space" in screen_text(app), "marked as playing")
        # The list's mark and the line under it are drawn in turn: a busy machine
        # may show the one a frame before the other.
        await until(pilot, lambda: "Playing now: Calm space" in screen_text(app), "said as playing")
    assert app.errors == 0


@pytest.mark.asyncio
async def test_loading_over_unsaved_changes_asks_first(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_screen(pilot)
        call(box.sock, "set", {"key": "A"})
        await until(pilot, lambda: "unsaved changes" in screen_text(app), "unsaved shown")
        await choose(pilot, screen, "First steps")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        await pilot.press("escape")  # keep the changes
        assert call(box.sock, "status")["profile"] == "Default"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "asked again")
        await pilot.press("shift+tab", "enter")  # "Load"
        await until(pilot, lambda: call(box.sock, "status")["profile"] == "First steps", "loaded")


@pytest.mark.asyncio
async def test_new_from_a_starter_then_rename_then_delete_with_confirmation(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_screen(pilot)
        await pilot.click("#new")  # the mouse works too
        await until(pilot, lambda: isinstance(app.screen, NewProfile), "the new-profile dialog")
        dialog = app.screen
        await pilot.press(*"Sam")
        source = dialog.query_one("#source", Select)
        source.focus()
        steps = dialog.sources.index("Calm space") - dialog.sources.index(source.value)
        await pilot.press("enter", *["down"] * steps, "enter")  # a starter further down
        assert source.value == "Calm space"
        dialog.query_one("#name", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: "Sam" in names(box.sock), "Sam made")
        calm = call(box.sock, "profile.get", {"name": "Calm space"})["profile"]
        assert call(box.sock, "profile.get", {"name": "Sam"})["profile"]["key"] == calm["key"]
        await until(pilot, lambda: screen.chosen() and screen.chosen().name == "Sam", "Sam chosen")

        await press_button(pilot, "#rename")
        await answer(pilot, "Sam Tuesdays")
        await until(pilot, lambda: "Sam Tuesdays" in names(box.sock), "renamed")
        assert "Sam" not in names(box.sock)

        await choose(pilot, screen, "Sam Tuesdays")
        await press_button(pilot, "#delete")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "asked to confirm")
        await pilot.press("enter")  # Cancel has the focus: nothing deleted
        await until(pilot, lambda: isinstance(app.screen, ProfilesScreen), "back")
        assert "Sam Tuesdays" in names(box.sock)
        await press_button(pilot, "#delete")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "asked again")
        await pilot.press("shift+tab", "enter")  # "Delete"
        await until(pilot, lambda: "Sam Tuesdays" not in names(box.sock), "deleted")
        await until(
            pilot, lambda: all(e.name != "Sam Tuesdays" for e in screen.entries), "off the list"
        )
        assert "Deleted Sam Tuesdays" in screen_text(app)


@pytest.mark.asyncio
async def test_a_starter_cannot_be_deleted_and_the_box_says_why(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await profiles_screen(pilot)
        await choose(pilot, screen, "Beam explorer")
        await press_button(pilot, "#delete")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "asked to confirm")
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: "cannot be deleted" in screen_text(app), "the box's words")
        assert "Beam explorer" in names(box.sock)


@pytest.mark.asyncio
async def test_duplicate_copies_the_chosen_profile(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_screen(pilot)
        await choose(pilot, screen, "Pentatonic pads")
        await press_button(pilot, "#duplicate")
        await answer(pilot, "Pads for Jo")
        await until(pilot, lambda: "Pads for Jo" in names(box.sock), "the copy")
        copied = call(box.sock, "profile.get", {"name": "Pads for Jo"})["profile"]
        original = call(box.sock, "profile.get", {"name": "Pentatonic pads"})["profile"]
        assert copied["inputs"] == original["inputs"]


@pytest.mark.asyncio
async def test_importing_a_file_with_two_bad_settings_lists_both(box, tmp_path):
    good = call(box.sock, "profile.get", {"name": "Calm space"})["toml"]
    starters = len(names(box.sock))
    lines, top = [], True  # the profile's own settings come before any [section]
    for line in good.splitlines():
        top = top and not line.startswith("[")
        if line.startswith("key =") and top:
            line = 'key = "H#"'
        elif line.startswith("volume =") and top:
            line = "volume = 7"  # the profile's own, not its loop's
        lines.append(line)
    bad = tmp_path / "bad.toml"
    bad.write_text("\n".join(lines) + "\n")
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await profiles_screen(pilot)
        await press_button(pilot, "#import")
        await answer(pilot, str(bad))
        await until(pilot, lambda: isinstance(app.screen, Problems), "the problems")
        problems = app.screen.problems
        assert len(problems) == 2
        assert problems[0].startswith("key: unknown note name 'H#'")
        assert problems[1].startswith("volume: must be in range 0.0..1.0")
        text = screen_text(app)
        assert "2 problems" in text and "• key:" in text and "• volume:" in text
        await pilot.press("escape")
    assert len(names(box.sock)) == starters  # nothing was imported


@pytest.mark.asyncio
async def test_a_good_file_is_imported_and_a_taken_name_is_replaced_only_when_asked(box, tmp_path):
    toml = call(box.sock, "profile.get", {"name": "Calm space"})["toml"]
    path = tmp_path / "jo.toml"
    path.write_text(toml.replace('name = "Calm space"', 'name = "Jo"', 1))
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await profiles_screen(pilot)
        await press_button(pilot, "#import")
        await answer(pilot, str(path))
        await until(pilot, lambda: "Jo" in names(box.sock), "Jo imported")
        await press_button(pilot, "#import")
        await answer(pilot, str(path))
        await until(pilot, lambda: isinstance(app.screen, Confirm), "replace it?")
        await pilot.press("shift+tab", "enter")
        await until(pilot, lambda: "Imported Jo" in screen_text(app), "replaced")
        assert names(box.sock).count("Jo") == 1


@pytest.mark.asyncio
async def test_export_writes_a_file_tonic_accepts_and_asks_before_replacing(box, tmp_path):
    app = SetupApp(Link(box.sock))
    folder = tmp_path / "exports"  # tmp_path also holds the box's own files
    folder.mkdir()
    out = folder / "calm.toml"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await profiles_screen(pilot)
        await choose(pilot, screen, "Calm space")
        await press_button(pilot, "#export")
        await answer(pilot, str(out))
        await until(pilot, out.exists, "the file written")
        checked = subprocess.run(
            [*TONIC, "profile", "validate", str(out)],
            capture_output=True,
            text=True,
            timeout=HANG_S,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert [p.name for p in folder.iterdir()] == ["calm.toml"]  # no temporary file left

        out.write_text("the therapist's own notes\n")
        await press_button(pilot, "#export")
        await answer(pilot, str(out))
        await until(pilot, lambda: isinstance(app.screen, Confirm), "replace it?")
        await pilot.press("enter")  # Cancel
        await until(pilot, lambda: isinstance(app.screen, ProfilesScreen), "back")
        assert out.read_text() == "the therapist's own notes\n"
        await press_button(pilot, "#export")
        await answer(pilot, str(folder))  # a folder: named after the profile
        await until(pilot, (folder / "calm-space.toml").exists, "exported into the folder")


@pytest.mark.asyncio
async def test_save_clears_the_unsaved_flag_and_save_as_makes_a_new_profile(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await profiles_screen(pilot)
        call(box.sock, "set", {"key": "E"})
        await until(pilot, lambda: "unsaved changes" in screen_text(app), "unsaved shown")
        await press_button(pilot, "#save")
        await until(pilot, lambda: call(box.sock, "status")["unsaved"] is False, "saved")
        await until(pilot, lambda: "unsaved changes" not in screen_text(app), "the flag cleared")
        call(box.sock, "set", {"key": "F"})
        await press_button(pilot, "#save-as")
        await answer(pilot, "Ali in F")
        await until(pilot, lambda: call(box.sock, "status")["profile"] == "Ali in F", "saved as")
        status = call(box.sock, "status")
        assert status["key"] == "F" and status["unsaved"] is False


# -- files on this machine ---------------------------------------------------------------------


def test_a_file_too_big_to_be_a_profile_is_not_read(tmp_path):
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * 2048)
    with pytest.raises(ProfileFileError, match="over 1 KB"):
        read_profile_file(big, limit=1024)
    assert read_profile_file(big, limit=2048).startswith("#")
    with pytest.raises(ProfileFileError, match="cannot read"):
        read_profile_file(tmp_path / "missing.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ProfileFileError, match="not a text file"):
        read_profile_file(tmp_path / "bin.toml")


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "p.toml"
    target.write_text("old\n")
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
    with pytest.raises(ProfileFileError, match="cannot write"):
        write_atomically(tmp_path / "no-such-folder" / "p.toml", "x")
    (tmp_path / "a-folder.toml").mkdir()  # a rename onto a folder fails
    with pytest.raises(ProfileFileError):
        write_atomically(tmp_path / "a-folder.toml", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder.toml", "p.toml"]


def test_a_refusal_is_split_into_its_problems():
    message = "the imported profile: 2 problems: key: bad; volume: too loud"
    assert problems_of(message) == ["key: bad", "volume: too loud"]
    assert problems_of("x: 1 problem: name: empty") == ["name: empty"]
    assert problems_of("the disk is full") == ["the disk is full"]


# -- its look ---------------------------------------------------------------------------------

LIST = [
    {"name": "Beam explorer", "slug": "beam-explorer", "starter": True, "current": False},
    {"name": "Default", "slug": "default", "starter": True, "current": False},
    {"name": "Sam, Tuesdays", "slug": "sam-tuesdays", "starter": False, "current": True},
    {
        "name": "Old copy",
        "slug": "old-copy",
        "starter": False,
        "current": False,
        "problem": "volume: must be in range 0.0..1.0, got 7.0",
    },
]
STATUS = {"profile": "Sam, Tuesdays", "unsaved": True, "key": "D", "scale": "major"}


async def _shown(pilot) -> None:
    await pilot.press("f5")
    await until(pilot, lambda: "Old copy" in screen_text(pilot.app), "the list")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_profiles_screen(snap_compare, size):
    assert snap_compare(
        SetupApp(FixedLink(STATUS, {"profile.list": LIST})), terminal_size=size, run_before=_shown
    )


def test_the_problems_dialog(snap_compare):
    async def problems(pilot) -> None:
        await _shown(pilot)
        dialog = Problems(
            "This profile cannot be used: 2 problems",
            ["key: unknown note name 'H#'", "volume: must be in range 0.0..1.0, got 7.0"],
        )
        await pilot.app.push_screen(dialog)
        await until(pilot, lambda: "• volume" in screen_text(pilot.app), "the problems")

    assert snap_compare(
        SetupApp(FixedLink(STATUS, {"profile.list": LIST})),
        terminal_size=(80, 24),
        run_before=problems,
    )
