"""Switches and pads on the dashboard: a lamp per switch, a touch meter per pad."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from appliance.tui.view import PAD_SCALE, input_label

LIT = "●"
UNLIT = "○"
FULL = "█"
EMPTY = "·"
MARK = "│"


class SwitchLamp(Widget):
    """A switch: lit while pressed, with the notes it is sounding."""

    lit: reactive[bool] = reactive(False)
    notes: reactive[tuple[str, ...]] = reactive(())
    online: reactive[bool] = reactive(True)

    def __init__(self, iid: str) -> None:
        super().__init__(id=iid.replace(":", "-"), classes="lamp")
        self.iid = iid

    def watch_lit(self, lit: bool) -> None:
        self.set_class(lit, "-lit")

    def watch_online(self, online: bool) -> None:
        self.set_class(not online, "-offline")

    def render(self) -> Text:
        if not self.online:
            state = "offline"
        else:
            state = f"{LIT if self.lit else UNLIT} {' '.join(self.notes)}".rstrip()
        return Text(f"{input_label(self.iid)}  {state}", no_wrap=True, overflow="ellipsis")


class PadMeter(Widget):
    """A pad: its touch depth as a bar, with its touch threshold marked.

    ::

        P3 ████··│·····   depth 4 of a threshold 12: not touched
        P3 ██████████··   past the threshold: touched (and lit)
    """

    depth: reactive[int | None] = reactive(None)
    threshold: reactive[int | None] = reactive(None)
    lit: reactive[bool] = reactive(False)
    online: reactive[bool] = reactive(True)

    def __init__(self, iid: str) -> None:
        super().__init__(id=iid.replace(":", "-"), classes="pad")
        self.iid = iid

    def watch_lit(self, lit: bool) -> None:
        self.set_class(lit, "-lit")

    def watch_online(self, online: bool) -> None:
        self.set_class(not online, "-offline")

    def render(self) -> Text:
        label = f"P{self.iid.partition(':')[2]} "
        width = max(self.content_size.width - len(label), 1)
        text = Text(label, style="bold" if self.lit else "", no_wrap=True)
        if not self.online:
            return text.append("offline"[:width])
        text.append(bar(self.depth, self.threshold, width))
        return text


def bar(depth: int | None, threshold: int | None, width: int) -> str:
    """A touch depth against its threshold in ``width`` cells (the threshold at
    1/:data:`PAD_SCALE` of the way); unknown readings give an empty bar."""
    if threshold is None or threshold <= 0:
        return EMPTY * width
    top = threshold * PAD_SCALE
    filled = 0 if depth is None else min(round(depth / top * width), width)
    mark = min(round(threshold / top * width), width - 1)
    cells = [FULL if i < filled else EMPTY for i in range(width)]
    if mark >= filled:
        cells[mark] = MARK
    return "".join(cells)
