"""The volume as a bar the therapist moves with the arrow keys or a click.

::

    Volume   ███████████████████░░░░░░░░░░░░░   60 %

The whole bar is the box's ceiling: 100 % is the loudest this box will ever
play. The bar says what the therapist asked for at once; the screen sends it
to the box and puts the box's own value back when it answers. The same bar,
with another label, sets the accompaniment loop's share of the volume.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

FULL = "█"
EMPTY = "░"
#: One press of an arrow key: 5 % of the ceiling.
STEP = 0.05
PERCENT = 100
LABEL = "Volume "
#: Room for " 100 %" after the bar.
FIGURE_WIDTH = 7


def percent(volume: float) -> int:
    return round(volume * PERCENT)


class VolumeBar(Widget, can_focus=True):
    """Volume 0..1 of the box's ceiling; ←/→ (or a click) asks for another."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "step(-1)", "Quieter", show=False),
        Binding("right", "step(1)", "Louder", show=False),
        Binding("home", "to(0)", show=False),
        Binding("end", "to(1)", show=False),
    ]

    volume: reactive[float | None] = reactive(None)

    def __init__(self, label: str = LABEL, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label

    class Changed(Message):
        """The therapist asked for ``volume`` (0..1)."""

        def __init__(self, bar: VolumeBar, volume: float) -> None:
            super().__init__()
            self.bar = bar
            self.volume = volume

        @property
        def control(self) -> VolumeBar:
            return self.bar

    def render(self) -> Text:
        width = self._bar_width()
        text = Text(self.label, style="bold")
        if self.volume is None:
            return text + Text("?")
        filled = round(self.volume * width)
        text.append(FULL * filled, style="green")
        text.append(EMPTY * (width - filled))
        text.append(f"{percent(self.volume):>4} %")
        return text

    def action_step(self, direction: int) -> None:
        if self.volume is not None:
            self._ask(round(self.volume + direction * STEP, 2))

    def action_to(self, volume: float) -> None:
        self._ask(volume)

    def on_click(self, event: events.Click) -> None:
        width = self._bar_width()
        at = event.x - len(self.label)
        if 0 <= at <= width:
            self._ask(round(at / width, 2))

    def _bar_width(self) -> int:
        return max(self.content_size.width - len(self.label) - FIGURE_WIDTH, 4)

    def _ask(self, volume: float) -> None:
        volume = min(max(volume, 0.0), 1.0)
        if volume != self.volume:
            self.volume = volume
            self.post_message(self.Changed(self, volume))
