"""``SetupApp``: the setup UI's application, kept thin.

It holds the link to the box, the connection banner's words, the keys every
screen shares (Panic, the screens' F keys, quit, and the simulated hardware's
keys under ``--simulate``), and the guard that turns a bug into one line on
screen and a traceback in the log. Everything a screen shows is the screen's
own business (``appliance/tui/screens/``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from appliance.control.api import Params
from appliance.errors import TonicError
from appliance.tui.link import NOT_RUNNING, BoxEvent, BoxLink, Connected, Disconnected
from appliance.tui.screens import FIRST, SCREENS, ScreenEntry

log = logging.getLogger(__name__)

CONNECTING = "Connecting to the box…"
#: A tap on a simulated switch or pad: a terminal sends no key-up, so the
#: release follows the press after this long.
TAP_S = 0.2
#: One step of the simulated hand in a beam, and where it first appears.
HAND_STEP_M = 0.025
HAND_START_M = 0.5
HAND_MAX_M = 1.5
#: Keys that touch simulated pads 1..12, in order.
PAD_KEYS = "abcdefghijkl"
SWITCH_KEYS = "1234"
SIMULATE_ACTIONS = frozenset({"tap", "hand", "hand_away"})


def _bindings() -> list[BindingType]:
    keys: list[BindingType] = [
        # priority: Panic must work whatever has focus, mid-edit in an Input too.
        Binding("f12", "panic", "Panic", priority=True),
        Binding("ctrl+p", "panic", "Panic", show=False, priority=True),
    ]
    keys += [Binding(e.key, f"show('{e.name}')", e.title, show=False) for e in SCREENS]
    keys += [Binding(k, f"tap('switch:{i}')", show=False) for i, k in enumerate(SWITCH_KEYS, 1)]
    keys += [Binding(k, f"tap('pad:{i}')", show=False) for i, k in enumerate(PAD_KEYS, 1)]
    keys += [
        Binding("up,plus", f"hand({HAND_STEP_M})", show=False),
        Binding("down,minus", f"hand({-HAND_STEP_M})", show=False),
        Binding("0", "hand_away", show=False),
    ]
    return keys


class BrokenScreen(Screen[None]):
    """Shown instead of a screen whose module cannot be loaded: one line, not a crash."""

    def __init__(self, entry: ScreenEntry, error: Exception) -> None:
        super().__init__()
        self.line = f"The {entry.title} screen could not open: {_one_line(error)}"

    def compose(self) -> Any:
        from appliance.tui.widgets.chrome import ConnectionBanner, NavBar

        yield ConnectionBanner()
        yield NavBar("")
        yield Static(self.line)


class SetupApp(App[None]):
    """The therapist's setup UI: a client of the box's control socket."""

    CSS_PATH = Path(__file__).with_name("setup.tcss")  # absolute: subclasses live elsewhere
    TITLE = "Tonic setup"
    ENABLE_COMMAND_PALETTE = False  # its key (ctrl+p) is a Panic key here
    BINDINGS: ClassVar[list[BindingType]] = _bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012  # Textual's
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    #: The connection banner's one line.
    banner: reactive[str] = reactive(CONNECTING)
    online: reactive[bool] = reactive(False)

    def __init__(
        self, link: BoxLink, *, simulating: bool = False, log_path: Path | None = None
    ) -> None:
        super().__init__()
        self.link = link
        self.simulating = simulating
        self.log_path = log_path
        #: The status the box gave on connecting, for screens opened later.
        self.last_status: dict[str, Any] | None = None
        self.errors = 0
        self._hands: dict[str, float | None] = {}

    # -- screens ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        for entry in SCREENS:
            self.add_mode(entry.name, _factory(entry))
        self.switch_mode(FIRST)
        self.link.start(self)

    def on_unmount(self) -> None:
        self.link.stop()

    def action_show(self, name: str) -> None:
        if name in self._modes and name != self.current_mode:
            self.switch_mode(name)

    # -- the link -----------------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self.last_status = message.status
        self.online = True
        self._playing(message.status.get("profile"), bool(message.status.get("unsaved")))
        self._forward(Connected(message.status))

    def on_disconnected(self, message: Disconnected) -> None:
        self.online = False
        self.banner = message.reason
        self._forward(Disconnected(message.reason))

    def on_box_event(self, message: BoxEvent) -> None:
        if message.kind == "profile":
            self._playing(message.event.get("name"), bool(message.event.get("unsaved")))
        self._forward(BoxEvent(message.event))

    def _forward(self, message: Connected | Disconnected | BoxEvent) -> None:
        """To the screen shown (a screen shown later reads the status afresh)."""
        if self.screen_stack:  # none while the app starts or closes
            self.screen.post_message(message)

    def _playing(self, profile: object, unsaved: bool) -> None:
        box = "the simulated box" if self.simulating else "the box"
        changed = " (unsaved changes)" if unsaved else ""
        self.banner = f'Connected to {box}: playing "{profile}"{changed}'

    # -- requests -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        params: Params | None = None,
        then: Callable[[Any], None] | None = None,
        *,
        quiet: bool = False,
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Call the box on a thread worker; see :meth:`SetupScreen.request`."""

        def work() -> None:
            try:
                result = self.link.call(method, params)
            except TonicError as e:
                log.info("%s refused: %s", method, e)
                self._from_worker(self._refused, method, e, quiet, failed)
                return
            if then is not None:
                self._from_worker(then, result)

        self.run_worker(work, thread=True, group="requests", exit_on_error=False)

    def _refused(
        self, method: str, error: Exception, quiet: bool, failed: Callable[[], None] | None
    ) -> None:
        if failed is not None:
            failed()
        if not quiet:
            self.notify(_one_line(error), title=f"The box did not {method}", severity="error")

    def _from_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing: nobody to tell
            self.call_from_thread(fn, *args)

    # -- keys -------------------------------------------------------------------------------

    def action_panic(self) -> None:
        def done(_: Any) -> None:
            self.notify("Every note is off.", title="Panic")

        self.request("panic", then=done)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in SIMULATE_ACTIONS:
            return self.simulating
        return True

    def simulate_help(self) -> str:
        return (
            f"Simulated: {SWITCH_KEYS[0]}-{SWITCH_KEYS[-1]} switches · "
            f"{PAD_KEYS[0]}-{PAD_KEYS[-1]} pads · ↑/↓ hand in beam 1 · 0 hand away"
        )

    def action_tap(self, iid: str) -> None:
        def work() -> None:
            try:
                self.link.call("simulate.press", {"input": iid})
                time.sleep(TAP_S)  # a terminal sends no key-up: release after a tap
                self.link.call("simulate.release", {"input": iid})
            except TonicError as e:
                self._from_worker(self._refused, "simulate.press", e, False, None)

        self.run_worker(work, thread=True, group="simulate", exit_on_error=False)

    def action_hand(self, step: float, beam: str = "beam:1") -> None:
        at = self._hands.get(beam)
        at = HAND_START_M if at is None else min(max(at + step, 0.0), HAND_MAX_M)
        self._move_hand(beam, round(at, 3))

    def action_hand_away(self, beam: str = "beam:1") -> None:
        self._move_hand(beam, None)

    def _move_hand(self, beam: str, distance: float | None) -> None:
        self._hands[beam] = distance
        self.request("simulate.beam", {"input": beam, "distance": distance}, quiet=True)

    # -- the guard --------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """A bug: its traceback goes to the log, and the UI closes with one line.

        Textual stops the part of the UI whose handler raised, so carrying on
        would leave a screen that no longer answers; Textual's own crash dump (a
        screenful of traceback and locals) never reaches the therapist.
        """
        self.errors += 1
        log.error("setup UI error", exc_info=error)
        where = f" (details in {self.log_path})" if self.log_path else ""
        self.exit(return_code=1, message=f"tonic setup stopped: {_one_line(error)}{where}")


def _factory(entry: ScreenEntry) -> Callable[[], Screen[Any]]:
    """Builds ``entry``'s screen when first shown; a broken module gives a BrokenScreen."""

    def make() -> Screen[Any]:
        try:
            module = importlib.import_module(entry.module)
            screen: Screen[Any] = getattr(module, entry.cls)()
            return screen
        except Exception as e:  # a screen being worked on must not take the others down
            log.error("screen %s did not load", entry.name, exc_info=e)
            return BrokenScreen(entry, e)

    return make


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if not isinstance(error, TonicError) else first


__all__ = ["NOT_RUNNING", "SetupApp"]
