"""Inputs: how each switch, pad and beam plays, changed live.

::

    Switch 2 · Koto                       unsaved changes: ctrl+s saves · ctrl+r reverts
    ┌──────────┐ Mode          [note ▾]
    │ Switch 1 │ note: sounds while held · latch: one press on, the next off · ...
    │ Switch 2 │ Instrument    [ Koto ]
    │ Switch 3 │ the sound this input plays (Enter to choose, ctrl+t to hear it)
    │ Pad 1    │ Accept after  [150   ]  0..5000 ms
    │ ...      │ contact must last this long to count: for a client with tremor, ...

The list comes from the status's inputs; the form from the box's
``profile.schema`` (every field of that kind of input, with its range and
default) and its values from ``profile.get`` (an input the profile does not
name plays with the defaults). A value is sent with ``set`` as soon as it is
chosen, and a refusal shows the box's one line under the field. A ``profile``
event (this UI's change, another UI's, a save or a revert) re-reads the
profile, so two therapists' screens agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from appliance.control.api import Params
from appliance.errors import TonicError
from appliance.tui.link import BoxEvent, Connected, Disconnected
from appliance.tui.screens.base import SetupScreen
from appliance.tui.view import input_kind, input_label, input_settings
from appliance.tui.widgets.fields import FieldType, fields_of, value_text
from appliance.tui.widgets.instrument_picker import Instrument, InstrumentPicker, find
from appliance.tui.widgets.setting_row import SettingRow
from appliance.tui.widgets.words import Words

READING = "Reading the box's settings…"
SAVE_HELP = "unsaved: ctrl+s saves, ctrl+r reverts"
SAVED = "saved"


class BoxTalk:
    """Requests whose refusal a screen shows where it happened, not as a notification.

    Mixed into a :class:`SetupScreen`: ``ask`` calls the box on a thread worker and
    hands ``then`` the result, or ``refused`` the box's one line (a refusal, or why
    the box cannot be reached), both on the UI thread.
    """

    def ask(
        self: Any,
        method: str,
        params: Params | None,
        then: Callable[[Any], None],
        refused: Callable[[str], None],
    ) -> None:
        link = self.setup.link

        def run() -> None:
            try:
                result = link.call(method, params)
            except TonicError as e:
                self.setup._from_worker(refused, _one_line(e))
                return
            self.setup._from_worker(then, result)

        self.run_worker(run, thread=True, group="asks", exit_on_error=False)

    def save_profile(self: Any) -> None:
        def done(result: Any) -> None:
            name = result.get("name") if isinstance(result, dict) else None
            self.notify(f'Saved "{name}".', title="Profile")

        self.request("profile.save", then=done)

    def revert_profile(self: Any) -> None:
        def done(result: Any) -> None:
            self.notify("Back to the last saved copy.", title="Profile")

        self.request("profile.revert", then=done)


class InputsScreen(BoxTalk, SetupScreen):
    """Each input's mode, instrument, note and access timings, set live."""

    NAME = "inputs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "test", "Test note"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "revert", "Revert"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[str, Any] = {}
        self.profile: dict[str, Any] | None = None
        self.schema: dict[str, Any] | None = None
        self.instruments: tuple[Instrument, ...] = ()
        #: The input whose settings the form shows.
        self.selected: str | None = None
        self._ids: tuple[str, ...] = ()
        self._form_for: tuple[str | None, bool] = (None, False)
        #: Rows are being replaced (a count: a replaced build ends after the next
        #: begins): values wait until the new rows are on screen.
        self._building = 0
        #: An instrument to put back if the therapist tries others, then backs out.
        self._before_trying: tuple[str, str] | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="inputs-screen"):
            yield Words(READING, id="inputs-title")
            with Horizontal(id="inputs-main"):
                yield OptionList(id="input-list")
                yield VerticalScroll(id="input-form", can_focus=False)  # its fields take focus

    def on_mount(self) -> None:
        self.query_one("#input-list").border_title = "Inputs"
        if self.setup.last_status is not None:
            self.call_later(self._take_status, self.setup.last_status)
        self._read_all()

    def on_screen_resume(self) -> None:
        self._read_all()

    # -- from the link ----------------------------------------------------------------------

    async def on_connected(self, message: Connected) -> None:
        await self._take_status(message.status)
        self._read_all()

    def on_disconnected(self, message: Disconnected) -> None:
        self._title()

    def on_box_event(self, message: BoxEvent) -> None:
        if message.kind == "profile":
            self.status["unsaved"] = bool(message.event.get("unsaved"))
            self.status["profile"] = message.event.get("name")
            self._read_profile()
            self._title()
        elif message.kind == "dropped":
            self._read_all()

    # -- reading the box ----------------------------------------------------------------------

    def _read_all(self) -> None:
        if not self.setup.online:
            return
        if self.schema is None:
            self.request("profile.schema", then=self._take_schema, quiet=True)
        if not self.instruments:
            self.request("instruments.list", then=self._take_instruments, quiet=True)
        self.request("status", then=self._status_later, quiet=True)
        self._read_profile()

    def _status_later(self, status: Any) -> None:
        self.call_later(self._take_status, status)

    def _read_profile(self) -> None:
        self.request("profile.get", then=self._take_profile, quiet=True)

    def _take_schema(self, schema: Any) -> None:
        if isinstance(schema, dict):
            self.schema = schema
            self._refresh_form()

    def _take_instruments(self, items: Any) -> None:
        if isinstance(items, list):
            self.instruments = tuple(Instrument.of(i) for i in items if isinstance(i, dict))
            self._refresh_form()

    def _take_profile(self, result: Any) -> None:
        if isinstance(result, dict) and isinstance(result.get("profile"), dict):
            self.profile = result["profile"]
            self._refresh_form()

    async def _take_status(self, status: Any) -> None:
        if not isinstance(status, dict) or not self.is_mounted:
            return
        self.status = status
        ids = tuple(str(i.get("id")) for i in status.get("inputs", []) if isinstance(i, dict))
        if ids != self._ids:
            self._ids = ids
            listing = self.query_one("#input-list", OptionList)
            listing.clear_options()
            listing.add_options([Option(input_label(i), id=i) for i in ids])
            if ids:
                keep = self.selected if self.selected in ids else ids[0]
                listing.highlighted = ids.index(keep)
                self.selected = keep
        self._refresh_form()

    # -- the form ------------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#input-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.selected:
            self.selected = event.option.id
            self._refresh_form()

    def settings(self) -> dict[str, Any]:
        return input_settings(self.profile, self.selected) if self.selected else {}

    def _refresh_form(self) -> None:
        """Show the selected input's values; new rows when it is another kind of input."""
        self._title()
        ready = self.schema is not None and self.profile is not None
        if (self.selected, ready) != self._form_for:
            self._form_for = (self.selected, ready)
            if not self._same_rows():
                self._build_form()
                return
        if not self._building:
            self._show_values()

    def _same_rows(self) -> bool:
        """Whether the rows on screen are the selected input's fields: then they stay.

        Moving from switch 1 to switch 2 keeps the focus where the therapist put it,
        and a key pressed meanwhile never lands in rows about to be removed.
        """
        if self._building or self.selected is None or self.schema is None:
            return False
        if self.profile is None:
            return False
        specs = fields_of(self.schema, input_kind(self.selected))
        return list(specs) == [row.spec for row in self.query(SettingRow)]

    def _show_values(self) -> None:
        settings = self.settings()
        for row in self.query(SettingRow):
            shown = self._shown(row.spec.type, value_text(row.spec, settings))
            if self.selected is None or row.owner == self.selected:
                row.show_value(shown)
            elif not row.show_for(self.selected, shown):
                self._build_form()
                return

    @work(exclusive=True, group="form")
    async def _build_form(self) -> None:
        self._building += 1
        try:
            await self._rebuild_rows()
        finally:
            self._building -= 1
        # What changed while the rows were on their way (a set, another UI's change).
        self._show_values()

    async def _rebuild_rows(self) -> None:
        form = self.query_one("#input-form", VerticalScroll)
        # A therapist who pressed Down and then Tab at once is already in a field of
        # the old rows: they stay in that field of the new ones.
        was_in = self._focused_field()
        await form.remove_children()
        if self.selected is None or self.schema is None or self.profile is None:
            await form.mount(Words(READING))
            return
        settings = self.settings()
        specs = fields_of(self.schema, input_kind(self.selected))
        await form.mount_all(
            SettingRow(s, self._shown(s.type, value_text(s, settings)), self.selected)
            for s in specs
        )
        if was_in is not None:
            for row in self.query(SettingRow):
                if row.spec.key == was_in:
                    row.query_one(".setting-value").focus()

    def _focused_field(self) -> str | None:
        """The key of the form's field that has the focus, if one has."""
        focused = self.app.focused
        if focused is None:
            return None
        row = next((a for a in focused.ancestors if isinstance(a, SettingRow)), None)
        return row.spec.key if row is not None else None

    def _shown(self, kind: FieldType, value: str) -> str:
        """An instrument by its title (``Koto``); every other value as the box has it."""
        if kind is FieldType.INSTRUMENT:
            found = find(self.instruments, value)
            return found.title if found is not None else value
        return value

    def _title(self) -> None:
        if not self.is_mounted:
            return
        title = self.query_one("#inputs-title", Words)
        if not self.selected:
            title.show(READING)
            return
        inputs: list[dict[str, Any]] = self.status.get("inputs", [])
        info = next((i for i in inputs if i.get("id") == self.selected), {})
        named = self.settings().get("instrument")  # the profile's: newer than the status's
        shown = self._shown(FieldType.INSTRUMENT, str(named)) if named else info.get("instrument")
        words = f"{input_label(self.selected)} · {shown or '?'}"
        unsaved = SAVE_HELP if self.status.get("unsaved") else SAVED
        title.show(f"{words}   ({unsaved})")

    # -- changes ---------------------------------------------------------------------------

    @on(SettingRow.Commit)
    def _commit(self, message: SettingRow.Commit) -> None:
        self.change(message.row, message.text, owner=message.owner)

    def change(
        self,
        row: SettingRow,
        text: str,
        then: Callable[[], None] | None = None,
        owner: str | None = None,
    ) -> None:
        """Set ``row``'s setting on ``owner`` (its input) to ``text``.

        The answer shows by the row while it still shows that input; a refusal that
        comes after the therapist moved on is a notification, so it is never lost.
        """
        iid = owner or row.owner
        path = f"{iid}.{row.spec.key}"

        def done(_: Any) -> None:
            if row.owner == iid:
                row.accepted(self._shown(row.spec.type, text))
            if then is not None:
                then()

        def refused(message: str) -> None:
            if row.owner == iid:
                row.refused(message)
            else:
                self.notify(message, title=input_label(iid), severity="warning")

        self.ask("set", {path: text}, done, refused)

    @on(SettingRow.Choose)
    def _choose(self, message: SettingRow.Choose) -> None:
        row = message.row
        if self.selected is None or not self.instruments:
            return
        iid = self.selected
        self._before_trying = None

        def play(name: str) -> None:
            if self._before_trying is None:
                self._before_trying = (iid, value_text(row.spec, self.settings()))
            self.change(row, name, then=self.action_test)

        def chosen(name: str | None) -> None:
            before, self._before_trying = self._before_trying, None
            if name is not None:
                self.change(row, name)
            elif before is not None and before[0] == self.selected:
                self.change(row, before[1])  # backed out after trying: as it was

        picker = InstrumentPicker(input_label(iid), self.instruments, row.value, play=play)
        self.app.push_screen(picker, chosen)

    def action_test(self) -> None:
        if self.selected is None:
            return
        who = input_label(self.selected)
        self.request(
            "input.test",
            {"input": self.selected},
            then=lambda _: self.notify(f"{who}: a test note.", title="Test"),
        )

    def action_save(self) -> None:
        self.save_profile()

    def action_revert(self) -> None:
        self.revert_profile()


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
