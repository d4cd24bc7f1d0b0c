"""A beam on the dashboard: its zones across a bar, the hand over them.

::

    Beam 1   42 cm · zone 3 of 8 · E4                 near 15 cm · far 100 cm
                        ▼
    ·····|  1  |  2  |[ 3 ]|  4  |  5  |  6  |  7  |  8  |·····

Distances run left (the sensor) to right; the zone the hand is in is shown
reversed, so it reads without colour on any terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from appliance.tui.view import CM, BeamRange, input_label

HAND = "▼"
OUTSIDE = "·"
EDGE = "|"


class BeamMeter(Widget):
    """One beam: distance, zone and notes, over its zones."""

    distance: reactive[float | None] = reactive(None)
    zone: reactive[int | None] = reactive(None)
    notes: reactive[tuple[str, ...]] = reactive(())
    span: reactive[BeamRange | None] = reactive(None)
    online: reactive[bool] = reactive(True)
    reason: reactive[str] = reactive("")

    def __init__(self, iid: str) -> None:
        super().__init__(id=iid.replace(":", "-"), classes="beam")
        self.iid = iid

    def watch_online(self, online: bool) -> None:
        self.set_class(not online, "-offline")

    def render(self) -> Text:
        width = max(self.content_size.width, 10)
        return Text("\n").join([self.header(width), self.marker_line(width), self.zone_line(width)])

    def header(self, width: int) -> Text:
        text = Text(f"{input_label(self.iid)}   ", style="bold", no_wrap=True)
        if not self.online:
            text.append(f"offline ({self.reason or 'not answering'})")
            return text
        where = "no hand" if self.distance is None else f"{round(self.distance * CM)} cm"
        text.append(where)
        if self.zone is not None and self.span is not None:
            text.append(f" · zone {self.zone + 1} of {self.span.zones}")
        if self.notes:
            text.append(" · " + " ".join(self.notes))
        if self.span is not None:
            limits = f"near {round(self.span.near * CM)} cm · far {round(self.span.far * CM)} cm"
            gap = width - len(text) - len(limits)
            if gap >= 2:
                text.append(" " * gap + limits, style="dim")
        text.truncate(width, overflow="ellipsis")
        return text

    def column(self, distance: float, width: int) -> int:
        assert self.span is not None
        return min(max(round(distance / self.span.top * (width - 1)), 0), width - 1)

    def marker_line(self, width: int) -> Text:
        if self.distance is None or self.span is None or not self.online:
            return Text("")
        return Text(" " * self.column(self.distance, width) + HAND, style="bold")

    def zone_line(self, width: int) -> Text:
        r = self.span
        if r is None:
            return Text(OUTSIDE * width, style="dim")
        start, end = self.column(r.near, width), self.column(r.far, width)
        text = Text(OUTSIDE * start, style="dim", no_wrap=True)
        edges = [start + round(i * (end - start) / r.zones) for i in range(r.zones + 1)]
        for i in range(r.zones):
            cells = max(edges[i + 1] - edges[i], 1)
            label = str(i + 1)
            inner = label.center(cells - 1) if cells > len(label) else label[: cells - 1]
            style = "reverse bold" if self.zone == i and self.online else ""
            text.append(EDGE, style="dim")
            text.append(inner, style=style)
        text.append(EDGE, style="dim")
        text.append(OUTSIDE * max(width - len(text), 0), style="dim")
        text.truncate(width)
        return text
