"""The General MIDI list, searchable: type to filter, Enter to choose, ctrl+t to hear.

::

    ┌ Instrument for Switch 2 ──────────────────────────────┐
    │ Type to search · ↑↓ move · Enter chooses · ctrl+t …   │
    │ ko▏                                                   │
    │  108 Koto                                             │
    └───────────────────────────────────────────────────────┘

The picker is handed the box's ``instruments.list`` and knows nothing else of
the box: ``ctrl+t`` hands the highlighted instrument to ``play`` (the screen
behind it sets and sounds it), and the picker's result is the chosen
instrument's name (``koto``), or None when the therapist backs out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class Instrument:
    """One entry of ``instruments.list``."""

    number: int
    name: str
    title: str
    drums: bool

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Instrument:
        return cls(
            int(item.get("number", 0)),
            str(item.get("name", "")),
            str(item.get("title", item.get("name", ""))),
            bool(item.get("drums", False)),
        )

    @property
    def line(self) -> str:
        return f"{self.number:>3} {self.title}" + ("  (drum kit)" if self.drums else "")

    def matches(self, words: Sequence[str]) -> bool:
        """Every word of the search is in the title, the name or the number."""
        haystack = f"{self.number} {self.title} {self.name} {'drums kit' if self.drums else ''}"
        haystack = haystack.lower()
        return all(w in haystack for w in words)


def matching(instruments: Iterable[Instrument], query: str) -> list[Instrument]:
    """The instruments a search finds, in General MIDI order."""
    words = query.lower().replace("_", " ").split()
    return [i for i in instruments if i.matches(words)]


def find(instruments: Iterable[Instrument], shown: str) -> Instrument | None:
    """The instrument the status or profile names (``Koto``, ``koto``, ``108``)."""
    key = shown.strip().lower().replace(" ", "_")
    for i in instruments:
        if key in (i.name, i.title.lower().replace(" ", "_"), str(i.number)):
            return i
    return None


class InstrumentPicker(ModalScreen[str | None]):
    """Choose an instrument for one input (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+t", "try", "Play it"),
        # The search field has focus; these move through the list below it.
        Binding("down", "move('cursor_down')", show=False, priority=True),
        Binding("up", "move('cursor_up')", show=False, priority=True),
        Binding("pagedown", "move('page_down')", show=False, priority=True),
        Binding("pageup", "move('page_up')", show=False, priority=True),
    ]

    def __init__(
        self,
        who: str,
        instruments: Sequence[Instrument],
        current: str,
        play: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        #: Plays an instrument's name on the input being set up, before it is chosen.
        self.play = play
        self.who = who
        self.instruments = tuple(instruments)
        self.current = find(self.instruments, current)
        self.shown: list[Instrument] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(
                "Type to search · ↑↓ move · Enter chooses · ctrl+t plays · Esc cancels",
                id="picker-help",
            )
            yield Input(placeholder="search: a name or a number", compact=True, id="search")
            yield OptionList(id="instruments")

    def on_mount(self) -> None:
        self.query_one("#picker").border_title = f"Instrument for {self.who}"
        self._fill("")
        self.query_one("#search").focus()

    @property
    def highlighted(self) -> Instrument | None:
        at = self.query_one("#instruments", OptionList).highlighted
        return self.shown[at] if at is not None and 0 <= at < len(self.shown) else None

    def _fill(self, query: str) -> None:
        self.shown = matching(self.instruments, query)
        options = self.query_one("#instruments", OptionList)
        options.clear_options()
        options.add_options([Option(i.line, id=i.name) for i in self.shown])
        if self.shown:
            at = self.shown.index(self.current) if self.current in self.shown else 0
            options.highlighted = at

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        chosen = self.highlighted
        if chosen is not None:
            self.dismiss(chosen.name)

    @on(OptionList.OptionSelected, "#instruments")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(event.option.id)

    def action_move(self, how: str) -> None:
        getattr(self.query_one("#instruments", OptionList), f"action_{how}")()

    def action_try(self) -> None:
        chosen = self.highlighted
        if chosen is not None and self.play is not None:
            self.play(chosen.name)
