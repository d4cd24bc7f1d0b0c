"""Small typed dialogs the setup screens open over themselves.

Each is a ``ModalScreen[T]``: the screen that pushes it gets ``T`` back
(``push_screen(dialog, callback)``), ``None`` or ``False`` when the therapist
backs out with Escape or "Cancel". Every dialog works with the keyboard alone
(Tab between fields, Enter to accept, Escape to cancel) and with a mouse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static


def _words(text: str, *, id: str | None = None, classes: str = "") -> Static:
    """Text from the box or the therapist: never read as markup."""
    return Static(Text(text), id=id, classes=classes)


class Confirm(ModalScreen[bool]):
    """A yes-or-no question: True only when the therapist chose ``yes``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "no", "Cancel")]

    def __init__(
        self, question: str, detail: str = "", *, yes: str = "Yes", no: str = "Cancel"
    ) -> None:
        super().__init__(classes="dialog")
        self.question, self.detail, self.yes, self.no = question, detail, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield _words(self.question, classes="dialog-title")
            if self.detail:
                yield _words(self.detail, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="warning")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is where Enter lands

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)


class AskText(ModalScreen[str | None]):
    """One line of text (a name, a file path); None when cancelled or left empty."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, question: str, *, value: str = "", placeholder: str = "", help: str = ""
    ) -> None:
        super().__init__(classes="dialog")
        self.question, self.value, self.placeholder, self.help = question, value, placeholder, help

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield _words(self.question, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="answer")
            if self.help:
                yield _words(self.help, classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#answer", Input).value.strip()
        self.dismiss(text or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class NewProfile(ModalScreen[tuple[str, str] | None]):
    """A new profile's name and the profile it starts as a copy of: ``(name, from)``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, sources: Sequence[str], *, source: str | None = None, title: str = ""
    ) -> None:
        super().__init__(classes="dialog")
        self.sources = list(sources)
        first = self.sources[0] if self.sources else None
        self.source: str | None = source if source in self.sources else first
        self.title_text = title or "A new profile, starting as a copy of a starter"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield _words(self.title_text, classes="dialog-title")
            yield Label("Its name (the client's name, for example):")
            yield Input(placeholder="e.g. Sam, Tuesdays", id="name")
            yield Label("Start from:")
            yield Select(
                [(s, s) for s in self.sources],
                value=self.source if self.source is not None else Select.BLANK,
                allow_blank=False,
                id="source",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Create", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        source = self.query_one("#source", Select).value
        if not name:
            self.notify("Give the new profile a name first.", severity="warning")
            self.query_one("#name", Input).focus()
            return
        self.dismiss((name, str(source)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class Problems(ModalScreen[None]):
    """Why a profile was refused: one problem a line, each with the setting it is about."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", show=False),
    ]

    def __init__(self, title: str, problems: Iterable[str]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield _words(self.title_text, classes="dialog-title")
            with VerticalScroll(id="problems"):
                for problem in self.problems:
                    yield _words(f"• {problem}", classes="problem")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
