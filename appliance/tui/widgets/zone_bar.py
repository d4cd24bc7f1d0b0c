"""A beam's calibration bar: a ruler from the sensor out, its zones, the hand over them.

::

                          ▼ 42 cm
    ·······|  1  |  2  |[ 3 ]|  4  |  5  |  6  |  7  |  8  |··············
    ·······|     |     |[   ]|     |     |     |     |     |··············
    0 cm         25         50         75        100        125        150

Distances run left (the sensor) to right, from 0 to :data:`BAR_TOP_M` or a
little past ``far`` when the beam reaches further. Cells before ``near`` and
after ``far`` are dotted: the hand plays nothing there. The zone the hand is in
is drawn reversed, so it reads without colour; the hand's marker carries its
distance. The widget is handed values and redraws only when one changed, so a
hand moving 20 times a second redraws this one widget, and a still hand nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from appliance.tui.view import CM, BeamRange

#: The bar reaches at least this far (metres): about where a seated client's arm ends.
BAR_TOP_M = 1.5
#: Ruler marks every this many centimetres, widened until their labels fit.
TICK_STEPS_CM = (10, 25, 50, 100)
HAND = "▼"
BEYOND = "▶"
OUTSIDE = "·"
EDGE = "|"
#: The fewest cells a ruler label may have to itself ("125 " is four).
LABEL_ROOM = 5


class ZoneBar(Widget):
    """One beam's zones across a ruler, with the hand's position on it."""

    distance: reactive[float | None] = reactive(None)
    zone: reactive[int | None] = reactive(None)
    span: reactive[BeamRange | None] = reactive(None)

    @property
    def top(self) -> float:
        """Where the bar ends, in metres."""
        return max(BAR_TOP_M, self.span.top if self.span is not None else 0.0)

    def column(self, distance: float, width: int) -> int:
        return min(max(round(distance / self.top * (width - 1)), 0), width - 1)

    def render(self) -> Text:
        width = max(self.content_size.width, 20)
        band = max(self.content_size.height - 2, 1)
        lines = [self.marker_line(width)]
        lines += [self.zone_line(width, labelled=i == 0) for i in range(band)]
        lines.append(self.ruler(width))
        return Text("\n").join(lines)

    def marker_line(self, width: int) -> Text:
        if self.distance is None:
            return Text("no hand in the beam", style="dim")
        label = f"{round(self.distance * CM)} cm"
        if self.distance > self.top:
            return Text(f"{label} {BEYOND}".rjust(width), style="bold")
        at = self.column(self.distance, width)
        if at + 2 + len(label) <= width:  # the distance after the marker, else before
            return Text(" " * at + f"{HAND} {label}", style="bold")
        return Text(" " * (at - len(label) - 1) + f"{label} {HAND}", style="bold")

    def zone_line(self, width: int, *, labelled: bool) -> Text:
        r = self.span
        if r is None:
            return Text(OUTSIDE * width, style="dim")
        start, end = self.column(r.near, width), self.column(r.far, width)
        text = Text(OUTSIDE * start, style="dim", no_wrap=True)
        edges = [start + round(i * (end - start) / r.zones) for i in range(r.zones + 1)]
        for i in range(r.zones):
            cells = max(edges[i + 1] - edges[i], 1)
            label = str(i + 1) if labelled else ""
            inner = label.center(cells - 1) if cells > len(label) else label[: cells - 1]
            text.append(EDGE, style="dim")
            text.append(inner, style="reverse bold" if self.zone == i else "")
        text.append(EDGE, style="dim")
        text.append(OUTSIDE * max(width - len(text), 0), style="dim")
        text.truncate(width)
        return text

    def ruler(self, width: int) -> Text:
        """Centimetre marks under the bar, as close together as their labels allow."""
        top_cm = self.top * CM
        step = next(
            (s for s in TICK_STEPS_CM if s / top_cm * (width - 1) >= LABEL_ROOM),
            TICK_STEPS_CM[-1],
        )
        cells = [" "] * width
        mark = 0
        while mark <= top_cm:
            label = f"{mark} cm" if mark == 0 else str(mark)
            at = self.column(mark / CM, width)
            at = max(min(at - len(label) // 2 if mark else 0, width - len(label)), 0)
            if all(c == " " for c in cells[max(at - 1, 0) : at + len(label) + 1]):
                cells[at : at + len(label)] = label
            mark += step
        return Text("".join(cells), style="dim")
