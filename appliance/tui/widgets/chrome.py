"""The lines every screen shares: the connection banner and the tab bar."""

from __future__ import annotations

from textual.widgets import Static

from appliance.tui.screens import SCREENS


class ConnectionBanner(Static):
    """One line: playing what, or why the box cannot be reached."""

    def on_mount(self) -> None:
        self.watch(self.app, "banner", self._show)
        self.watch(self.app, "online", self._online)

    def _show(self, text: str) -> None:
        self.update(text)

    def _online(self, online: bool) -> None:
        self.set_class(not online, "-offline")


class NavBar(Static):
    """The screens as tabs, with their keys; the one shown is highlighted.

    Each tab is also a link, so a mouse can switch screens too.
    """

    def __init__(self, current: str) -> None:
        super().__init__(self.tabs(current))

    @staticmethod
    def tabs(current: str) -> str:
        """Textual markup: one clickable tab per screen."""
        parts = []
        for entry in SCREENS:
            label = f" {entry.key.upper()} {entry.title} "
            if entry.name == current:
                label = f"[reverse b]{label}[/]"
            parts.append(f"[@click=app.show('{entry.name}')]{label}[/]")
        return " ".join(parts)
