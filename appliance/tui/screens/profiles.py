"""Profiles: each client's settings, kept on the box; load, make, copy, rename, share.

The list is ``profile.list``; every button is one ``profile.*`` method
(docs/control-api.md). Two of them touch files on the machine the UI runs on,
never on the box, because the therapist's files live there:

- **Import** reads the file the therapist names (at most :data:`MAX_IMPORT_BYTES`)
  here and sends its text; the box checks it first with ``profile.validate``,
  so every problem is shown at once, each with the setting it is about.
- **Export** writes ``profile.get``'s TOML to the path the therapist names, through
  a temporary file in the same folder renamed into place, so a half-written
  file is never left behind; an existing file is replaced only when they say so.

File work runs on a thread worker, so a slow disk never freezes the screen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, DataTable

from appliance.control.api import ControlError
from appliance.errors import TonicError
from appliance.tui.link import BoxEvent, Connected
from appliance.tui.profile_files import (
    problems_of,
    read_profile_file,
    typed_path,
    write_atomically,
)
from appliance.tui.screens.base import SetupScreen
from appliance.tui.screens.calls import call, in_thread
from appliance.tui.widgets.dialogs import AskText, Confirm, NewProfile, Problems
from appliance.tui.widgets.words import Words

INTRO = "Each client's settings, kept on the box. Enter on a profile plays it."
PLAYING = "▶"
#: The box's refusal when an imported profile's name is taken (profile.import);
#: the UI then offers to replace it.
NAME_TAKEN = "already exists"
EXPORT_SUFFIX = ".toml"


@dataclass(frozen=True)
class Entry:
    """One row of ``profile.list``."""

    name: str
    slug: str
    starter: bool
    problem: str | None
    current: bool

    @classmethod
    def of(cls, item: dict[str, Any]) -> Entry:
        return cls(
            name=str(item.get("name")),
            slug=str(item.get("slug")),
            starter=bool(item.get("starter")),
            problem=str(item["problem"]) if item.get("problem") else None,
            current=bool(item.get("current")),
        )


class ProfilesScreen(SetupScreen):
    """The box's profiles: load, new from a starter, duplicate, rename, delete, import, export."""

    NAME = "profiles"
    AUTO_FOCUS = "#profile-list"  # its main task first, for the keyboard

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.status: dict[str, Any] = {}

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="profiles"):
            yield Words(INTRO, id="profiles-intro")
            table: DataTable[Any] = DataTable(id="profile-list", cursor_type="row")
            yield table
            yield Words(id="playing")
            yield Words(id="profiles-message")
            with Horizontal(classes="profile-buttons"):
                yield Button("Load", id="load", variant="primary")
                yield Button("New…", id="new")
                yield Button("Duplicate…", id="duplicate")
                yield Button("Rename…", id="rename")
                yield Button("Delete…", id="delete", variant="error")
            with Horizontal(classes="profile-buttons"):
                yield Button("Save", id="save", variant="success")
                yield Button("Save as…", id="save-as")
                yield Button("Import…", id="import")
                yield Button("Export…", id="export")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Profile", key="name")
        table.add_column("Kind", key="kind")
        table.add_column("Problem", key="problem")
        if self.setup.last_status is not None:
            self._take_status(self.setup.last_status)
        self._refresh()

    def on_screen_resume(self) -> None:
        # Events went to the screen shown before: read whether changes are unsaved afresh.
        if self.setup.online:
            self.request("status", then=self._take_status_result, quiet=True)
        self._refresh()

    def _take_status_result(self, status: Any) -> None:
        if isinstance(status, dict):
            self._take_status(status)

    # -- from the link ----------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self._take_status(message.status)
        self._refresh()

    def on_box_event(self, message: BoxEvent) -> None:
        if message.kind == "profile":
            event = message.event
            self._take_status({"profile": event.get("name"), "unsaved": event.get("unsaved")})
            self._refresh()

    # -- what is shown ------------------------------------------------------------------------

    def _refresh(self) -> None:
        if self.setup.online:
            self.request("profile.list", then=self._take_list, quiet=True)

    def _take_status(self, status: dict[str, Any]) -> None:
        self.status = {**self.status, **status}
        name = self.status.get("profile") or "?"
        unsaved = " — unsaved changes: Save keeps them" if self.status.get("unsaved") else ""
        self.query_one("#playing", Words).show(f"Playing now: {name}{unsaved}")

    def _take_list(self, result: Any) -> None:
        if not isinstance(result, list):
            return
        entries = [Entry.of(i) for i in result if isinstance(i, dict)]
        if entries == self.entries:
            return
        table = self.query_one(DataTable)
        chosen = self.chosen()
        self.entries = entries
        table.clear()
        for e in entries:
            name = Text(f"{PLAYING} {e.name}" if e.current else f"  {e.name}")
            if e.current:
                name.stylize("bold")
            kind = "starter" if e.starter else "yours"
            problem = Text(e.problem or "", style="red")
            table.add_row(name, kind, problem, key=e.slug)
        keep = chosen.slug if chosen else next((e.slug for e in entries if e.current), None)
        if keep is not None:
            with contextlib.suppress(Exception):  # it may have gone (deleted elsewhere)
                table.move_cursor(row=table.get_row_index(keep))

    def chosen(self) -> Entry | None:
        """The profile under the list's cursor."""
        table = self.query_one(DataTable)
        if not self.entries or table.row_count == 0:
            return None
        row = table.cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def select(self, name: str) -> None:
        """Put the list's cursor on the profile called ``name`` (for tests and after a change)."""
        for i, e in enumerate(self.entries):
            if e.name == name:
                self.query_one(DataTable).move_cursor(row=i)

    def _told(self, text: str, *, warning: bool = False) -> None:
        self._say(text, "-warning" if warning else "")
        self.notify(text, severity="warning" if warning else "information")
        self._refresh()

    def _refused(self, error: TonicError) -> None:
        """The box's own words, kept on screen after the notification has gone."""
        self._say(f"The box said: {error}", "-error")
        self.notify(str(error), title="Nothing was changed", severity="error")
        self._refresh()

    def _say(self, text: str, kind: str) -> None:
        line = self.query_one("#profiles-message", Words)
        line.show(text)
        line.set_class(kind == "-warning", "-warning")
        line.set_class(kind == "-error", "-error")

    # -- the buttons --------------------------------------------------------------------------

    @on(DataTable.RowSelected)
    @on(Button.Pressed, "#load")
    def load(self) -> None:
        entry = self.chosen()
        if entry is None:
            return

        if self.status.get("unsaved") and not entry.current:
            playing = self.status.get("profile") or "the profile playing"
            self.app.push_screen(
                Confirm(
                    f"Load {entry.name}?",
                    f"{playing} has changes that are not saved; they will be lost.",
                    yes="Load",
                ),
                lambda yes: self._load(entry) if yes else None,
            )
        else:
            self._load(entry)

    def _load(self, entry: Entry) -> None:
        def loaded(result: Any) -> None:
            warning = result.get("warning") if isinstance(result, dict) else None
            if warning:
                self._told(f"Loaded {entry.name}, but: {warning}", warning=True)
            else:
                self._told(f"Now playing: {entry.name}")

        call(self, "profile.load", {"name": entry.slug}, loaded, self._refused)

    @on(Button.Pressed, "#new")
    def new(self) -> None:
        starters = [e.name for e in self.entries if e.starter]

        def made(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                name, source = answer
                self.request(
                    "profile.new",
                    {"name": name, "from": source},
                    then=lambda r: self._made(r, f"from {source}"),
                )

        self.app.push_screen(NewProfile(starters), made)

    @on(Button.Pressed, "#duplicate")
    def duplicate(self) -> None:
        entry = self.chosen()
        if entry is None:
            return

        def named(name: str | None) -> None:
            if name is not None:
                self.request(
                    "profile.new",
                    {"name": name, "from": entry.slug},
                    then=lambda r: self._made(r, f"a copy of {entry.name}"),
                )

        self.app.push_screen(
            AskText(f"A copy of {entry.name}: its name?", value=f"{entry.name} copy"), named
        )

    def _made(self, result: Any, what: str) -> None:
        name = result.get("name") if isinstance(result, dict) else "?"
        self._told(f"Made {name}, {what}. Load it to play it.")
        self._select_later(str(name))

    @on(Button.Pressed, "#rename")
    def rename(self) -> None:
        entry = self.chosen()
        if entry is None:
            return

        def named(name: str | None) -> None:
            if name is not None and name != entry.name:

                def renamed(result: Any) -> None:
                    new = result.get("name") if isinstance(result, dict) else name
                    self._told(f"{entry.name} is now called {new}")
                    self._select_later(str(new))

                self.request("profile.rename", {"name": entry.slug, "new_name": name}, renamed)

        self.app.push_screen(AskText(f"A new name for {entry.name}:", value=entry.name), named)

    @on(Button.Pressed, "#delete")
    def delete(self) -> None:
        entry = self.chosen()
        if entry is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:

                def deleted(result: Any) -> None:
                    shown = result.get("starter_shown") if isinstance(result, dict) else None
                    back = f"; the starter {shown} is back" if shown else ""
                    self._told(f"Deleted {entry.name}{back}")

                # A starter is refused by the box, whose message then says why.
                call(self, "profile.delete", {"name": entry.slug}, deleted, self._refused)

        detail = "This cannot be undone." + (" It is playing now." if entry.current else "")
        self.app.push_screen(Confirm(f"Delete {entry.name}?", detail, yes="Delete"), answered)

    @on(Button.Pressed, "#save")
    def save(self) -> None:
        name = self.status.get("profile") or "the profile"
        self.request("profile.save", then=lambda _: self._told(f"Saved {name}"))

    @on(Button.Pressed, "#save-as")
    def save_as(self) -> None:
        def named(name: str | None) -> None:
            if name is not None:
                self.request(
                    "profile.save_as", {"name": name}, then=lambda r: self._saved_as(r, name)
                )

        current = str(self.status.get("profile") or "")
        self.app.push_screen(
            AskText("Save what is playing as a new profile called:", value=current), named
        )

    def _saved_as(self, result: Any, name: str) -> None:
        saved = result.get("name") if isinstance(result, dict) else name
        self._told(f"Saved as {saved}, which is playing now")
        self._select_later(str(saved))

    # -- import and export: files on this machine ---------------------------------------------

    @on(Button.Pressed, "#import")
    def import_(self) -> None:
        def typed(text: str | None) -> None:
            if text is not None:
                self._in_thread(lambda: read_profile_file(typed_path(text)), self._check_import)

        self.app.push_screen(
            AskText(
                "Import a profile: the path of its file on this computer",
                placeholder="e.g. ~/profiles/sam.toml",
                help="A .toml profile, as Export writes it; at most 1 MB.",
            ),
            typed,
        )

    def _check_import(self, text: str) -> None:
        def checked(result: Any) -> None:
            if not isinstance(result, dict):
                return
            if result.get("ok"):
                self._import(text, overwrite=False)
            else:
                problems = [str(p) for p in result.get("problems") or []]
                self._show_problems(problems)

        self.request("profile.validate", {"text": text}, then=checked)

    def _import(self, text: str, *, overwrite: bool) -> None:
        def imported(result: Any) -> None:
            name = result.get("name") if isinstance(result, dict) else "?"
            self._told(f"Imported {name}. Load it to play it.")
            self._select_later(str(name))

        def refused(error: TonicError) -> None:
            message = str(error)
            if NAME_TAKEN in message and not overwrite:
                self.app.push_screen(
                    Confirm(
                        "A profile of that name is already here.",
                        f"{message}. Replace it?",
                        yes="Replace",
                    ),
                    lambda yes: self._import(text, overwrite=True) if yes else None,
                )
            elif isinstance(error, ControlError):
                self._show_problems(problems_of(message))
            else:
                self._refused(error)

        call(self, "profile.import", {"text": text, "overwrite": overwrite}, imported, refused)

    def _show_problems(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        self.app.push_screen(Problems(f"This profile cannot be used: {count}", problems))

    @on(Button.Pressed, "#export")
    def export(self) -> None:
        entry = self.chosen()
        if entry is None:
            return

        def typed(text: str | None) -> None:
            if text is None:
                return
            path = typed_path(text)
            if path.is_dir():
                path = path / f"{entry.slug}{EXPORT_SUFFIX}"
            if path.exists():
                self.app.push_screen(
                    Confirm(
                        f"{path} is already there.", "Replace it with this profile?", yes="Replace"
                    ),
                    lambda yes: self._export(entry, path) if yes else None,
                )
            else:
                self._export(entry, path)

        self.app.push_screen(
            AskText(
                f"Export {entry.name}: the path of a file on this computer",
                value=f"~/{entry.slug}{EXPORT_SUFFIX}",
                help="A folder is fine too: the file is named after the profile.",
            ),
            typed,
        )

    def _export(self, entry: Entry, path: Path) -> None:
        def got(result: Any) -> None:
            text = result.get("toml") if isinstance(result, dict) else None
            if isinstance(text, str):
                self._in_thread(
                    lambda: write_atomically(path, text),
                    lambda _: self._told(f"Exported {entry.name} to {path}"),
                )

        self.request("profile.get", {"name": entry.slug}, then=got)

    # -- helpers ------------------------------------------------------------------------------

    def _select_later(self, name: str) -> None:
        """After the list is read again, put the cursor on ``name``."""

        def listed(result: Any) -> None:
            self._take_list(result)
            self.select(name)

        self.request("profile.list", then=listed, quiet=True)

    def _in_thread(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """File work off the UI thread; a failure is one notification line."""
        in_thread(self, work, then, self._file_failed)

    def _file_failed(self, error: TonicError) -> None:
        self._say(str(error), "-error")
        self.notify(str(error), title="Nothing was changed", severity="error")
