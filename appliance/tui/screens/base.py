"""What every setup screen shares: the connection banner, the tab bar and the footer.

A screen subclasses :class:`SetupScreen` and writes ``compose_body``; the
banner above and the footer (with the Panic key) below come with it. Link
messages (``Connected``, ``Disconnected``, ``BoxEvent``) reach the screen on
show: handle them with ``on_connected``, ``on_disconnected``, ``on_box_event``.
Requests to the box go through :meth:`SetupScreen.request`, which runs them on
a thread worker and turns a refusal into a one-line notification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from appliance.control.api import Params
from appliance.tui.widgets.chrome import ConnectionBanner, NavBar

if TYPE_CHECKING:
    from appliance.tui.app import SetupApp


class SetupScreen(Screen[None]):
    """A screen of the setup UI (see the module docstring)."""

    #: The registry name (appliance/tui/screens/__init__.py) this screen is shown as.
    NAME = ""

    @property
    def setup(self) -> SetupApp:
        return self.app  # type: ignore[return-value]  # always a SetupApp

    def compose(self) -> ComposeResult:
        yield ConnectionBanner()
        yield NavBar(self.NAME)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def request(
        self,
        method: str,
        params: Params | None = None,
        then: Callable[[Any], None] | None = None,
        *,
        quiet: bool = False,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Call ``method`` on a thread worker; ``then(result)`` runs on the UI thread.

        A refusal or a lost connection is one notification line (none if ``quiet``),
        and ``failed()`` runs instead of ``then``."""
        self.setup.request(method, params, then, quiet=quiet, failed=failed)
