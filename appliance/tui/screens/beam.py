"""Beam calibration: the live distance, and near and far set from where the hand is.

::

    Beam 1 · zones · near 15 cm · far 100 cm · 8 zones        (all changes saved)
     _  _
    |_| _|  cm      zone 3 of 8
      | |_
                          ▼ 42 cm
    ·······|  1  |  2  |[ 3 ]|  4  |  5  |  6  |  7  |  8  |··············
    0 cm         25         50         75        100        125        150
    Near set to 30 cm.
    n: near here · f: far here · + / -: zones · t: test note

The distance comes from the live stream's ``beam`` events (smoothed by the
box, at most 20 a second from the link), so the screen follows the hand
without asking; near, far and the zones come from ``profile.get`` and are
re-read on every ``profile`` event. "Near here" sends ``set beam:N.near`` with
the distance now, to the centimetre; the box checks it (near below far) and a
refusal is shown as its one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Digits

from appliance.tui.link import BoxEvent, Connected, Disconnected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.screens.inputs import SAVE_HELP, SAVED, BoxTalk
from appliance.tui.view import CM, BeamRange, input_label, input_settings, inputs_of
from appliance.tui.widgets.fields import fields_of
from appliance.tui.widgets.words import Words
from appliance.tui.widgets.zone_bar import ZoneBar

NO_BEAM = "This box has no beam."
NO_HAND = "No hand in the beam: hold a hand where the {which} note should be, then press {key}."
HELP = (
    "Hold a hand where the client's nearest note should be and press n, "
    "then where the farthest should be and press f. "
    "+ and - change the number of zones; t plays a test note."
)
#: The zone count's range when the box's schema does not say (it always does).
ZONES_MIN, ZONES_MAX = 2, 16
#: Distances are sent to the centimetre: finer than the sensor can tell.
PLACES = 2


class BeamScreen(BoxTalk, SetupScreen):
    """Calibrate a beam to where the client sits."""

    NAME = "beam"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "set_edge('near')", "Near here"),
        Binding("f", "set_edge('far')", "Far here"),
        Binding("minus", "zones(-1)", "Fewer zones", key_display="-"),
        Binding("plus,equals_sign", "zones(1)", "More zones", key_display="+"),
        Binding("t", "test", "Test note"),
        Binding("b", "next_beam", "Next beam"),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("ctrl+r", "revert", "Revert", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self.profile: dict[str, Any] | None = None
        self.schema: dict[str, Any] | None = None
        self.beams: tuple[str, ...] = ()
        self.selected: str | None = None
        self.distance: float | None = None
        self.zone: int | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="beam-screen"):
            yield Words("Waiting for the box…", id="beam-title")
            yield Words(id="beam-saved")
            with Horizontal(id="beam-now"):
                yield Digits("--", id="beam-digits")
                yield Words(id="beam-where")
            yield ZoneBar()
            yield Words(id="beam-message")
            yield Words(HELP, id="beam-help")

    def on_mount(self) -> None:
        if self.setup.last_status is not None:
            self._take_status(self.setup.last_status)
        self._read_all()

    def on_screen_resume(self) -> None:
        self._read_all()

    # -- from the link ----------------------------------------------------------------------

    def on_connected(self, message: Connected) -> None:
        self._take_status(message.status)
        self._read_all()

    def on_disconnected(self, message: Disconnected) -> None:
        self._hand(None, None)

    def on_box_event(self, message: BoxEvent) -> None:
        event = message.event
        if message.kind == "beam" and event.get("input") == self.selected:
            self._hand(event.get("distance"), event.get("zone"))
        elif message.kind == "profile":
            self.status["unsaved"] = bool(event.get("unsaved"))
            self._read_profile()
            self._show()
        elif message.kind == "dropped":
            self._read_all()

    # -- reading the box ----------------------------------------------------------------------

    def _read_all(self) -> None:
        if not self.setup.online:
            return
        if self.schema is None:
            self.request("profile.schema", then=self._take_schema, quiet=True)
        self.request("status", then=self._take_status, quiet=True)
        self._read_profile()

    def _read_profile(self) -> None:
        def done(result: Any) -> None:
            if isinstance(result, dict) and isinstance(result.get("profile"), dict):
                self.profile = result["profile"]
                self._show()

        self.request("profile.get", then=done, quiet=True)

    def _take_schema(self, schema: Any) -> None:
        if isinstance(schema, dict):
            self.schema = schema
            self._show()

    def _take_status(self, status: Any) -> None:
        if not isinstance(status, dict):
            return
        self.status = status
        beams = inputs_of(status, "beam")
        self.beams = tuple(str(b.get("id")) for b in beams)
        if self.selected not in self.beams:
            self.selected = self.beams[0] if self.beams else None
        for info in beams:
            if info.get("id") == self.selected:
                self._hand(info.get("distance"), info.get("zone"))
        self.refresh_bindings()  # "Next beam" shows only with two beams
        self._show()

    # -- onto the screen ------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The selected beam's settings: the profile's, over the schema's defaults."""
        if self.selected is None:
            return {}
        defaults = {f.key: f.default for f in fields_of(self.schema, "beam")}
        return defaults | input_settings(self.profile, self.selected)

    def _hand(self, distance: object, zone: object) -> None:
        self.distance = float(distance) if isinstance(distance, int | float) else None
        self.zone = zone if isinstance(zone, int) else None
        if not self.is_mounted:
            return
        bar = self.query_one(ZoneBar)
        bar.distance, bar.zone = self.distance, self.zone
        self._where()

    def _where(self) -> None:
        digits = self.query_one("#beam-digits", Digits)
        where = self.query_one("#beam-where", Words)
        span = self.query_one(ZoneBar).span
        if self.distance is None:
            digits.update("--")
            where.show("no hand in the beam")
            return
        digits.update(str(round(self.distance * CM)))
        if self.zone is not None and span is not None:
            where.show(f"cm\nzone {self.zone + 1} of {span.zones}")
        else:
            where.show("cm\noutside the zones")

    def _show(self) -> None:
        if not self.is_mounted:
            return
        title = self.query_one("#beam-title", Words)
        if self.selected is None:
            title.show(NO_BEAM if self.status else "Waiting for the box…")
            return
        settings = self.settings()
        span = BeamRange.of(settings)
        self.query_one(ZoneBar).span = span
        words = [input_label(self.selected)]
        if len(self.beams) > 1:
            words[0] += f" (of {len(self.beams)}: b for the next)"
        if settings.get("mode"):
            words.append(str(settings["mode"]))
        if span is not None:
            near, far = round(span.near * CM), round(span.far * CM)
            words.append(f"near {near} cm · far {far} cm · {span.zones} zones")
        title.show(" · ".join(words))
        saved = SAVE_HELP if self.status.get("unsaved") else SAVED
        self.query_one("#beam-saved", Words).show(f"Profile {saved}.")
        self._where()

    def _say(self, text: str, *, refused: bool = False) -> None:
        message = self.query_one("#beam-message", Words)
        message.show(text)
        message.set_class(refused, "-refused")

    # -- keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_beam":
            return len(self.beams) > 1
        return True

    def action_set_edge(self, which: str) -> None:
        if self.selected is None:
            self._say(NO_BEAM, refused=True)
            return
        if self.distance is None:
            key = "n" if which == "near" else "f"
            which_note = "nearest" if which == "near" else "farthest"
            self._say(NO_HAND.format(which=which_note, key=key), refused=True)
            return
        value = f"{round(self.distance, PLACES):.{PLACES}f}"
        said = f"{which.capitalize()} set to {round(float(value) * CM)} cm."
        self._set({f"{self.selected}.{which}": value}, said)

    def action_zones(self, step: int) -> None:
        if self.selected is None:
            self._say(NO_BEAM, refused=True)
            return
        spec = next((f for f in fields_of(self.schema, "beam") if f.key == "zones"), None)
        low = int(spec.minimum) if spec and spec.minimum is not None else ZONES_MIN
        high = int(spec.maximum) if spec and spec.maximum is not None else ZONES_MAX
        now = self.settings().get("zones")
        if not isinstance(now, int):
            return
        wanted = now + step
        if not low <= wanted <= high:
            self._say(f"A beam has {low} to {high} zones; this one has {now}.", refused=True)
            return
        self._set({f"{self.selected}.zones": str(wanted)}, f"{wanted} zones.")

    def _set(self, params: dict[str, str], said: str) -> None:
        self.ask(
            "set",
            params,
            then=lambda _: self._say(said),
            refused=lambda message: self._say(message, refused=True),
        )

    def action_test(self) -> None:
        if self.selected is not None:
            who = input_label(self.selected)
            self.request(
                "input.test",
                {"input": self.selected},
                then=lambda _: self._say(f"{who}: a test note."),
            )

    def action_next_beam(self) -> None:
        if len(self.beams) > 1 and self.selected in self.beams:
            self.selected = self.beams[(self.beams.index(self.selected) + 1) % len(self.beams)]
            self._say("")
            self._read_all()

    def action_save(self) -> None:
        self.save_profile()

    def action_revert(self) -> None:
        self.revert_profile()
