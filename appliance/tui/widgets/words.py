"""Plain words on screen, redrawn only when they change."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Words(Static):
    """A Static for text from the box: never read as markup, never redrawn for the same text.

    A box's message may hold brackets (``[switch:1]``) that markup would eat,
    and the dashboard hands the same words over twice a second.
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(Text(text), id=id)
        self.text = text

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.update(Text(text))
