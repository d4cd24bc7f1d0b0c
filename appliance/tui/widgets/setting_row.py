"""One setting of an input in the Inputs form: its label, its value, what it does.

::

    Accept after  [150     ] ms   0..5000 ms
    contact must last this long to count: for a client with tremor, 150-300 ms ...
    switch:2.accept_ms: must be in range 0..5000, got 99999      (only when refused)

The row never talks to the box: it posts :class:`SettingRow.Commit` when the
therapist has chosen a value (Enter, leaving the field, a choice from a list),
and the screen answers with :meth:`accepted` or :meth:`refused`. A value from
the box (:meth:`show_value`) never overwrites what the therapist is typing.
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static
from textual.widgets._select import SelectCurrent

from appliance.tui.widgets.fields import FieldSpec, FieldType
from appliance.tui.widgets.words import Words

#: The longest choice a short drop-down shows whole (its width less the arrow).
_SHORT_CHOICE = 13

#: What an Input may hold, by the field's type (the box still checks the range).
_INPUT_TYPES = {FieldType.INTEGER: "integer", FieldType.NUMBER: "number"}


class SettingRow(Vertical):
    """A field of the Inputs form (see the module docstring)."""

    class Commit(Message):
        """The therapist chose ``text`` for ``row``'s setting of ``owner``."""

        def __init__(self, row: SettingRow, text: str) -> None:
            super().__init__()
            self.row = row
            self.text = text
            #: Taken now: the row may show another input by the time this is read.
            self.owner = row.owner

    class Choose(Message):
        """The therapist asked for the instrument list (Enter or a click on the name)."""

        def __init__(self, row: SettingRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, spec: FieldSpec, value: str, owner: str = "") -> None:
        super().__init__(id=f"field-{spec.key}", classes="setting")
        self.spec = spec
        #: The input this setting belongs to (``switch:2``): a commit that arrives after
        #: the therapist moved to another input still goes to this one.
        self.owner = owner
        #: The box's value, as text: what the row shows unless it is being edited.
        self.value = value

    def compose(self) -> ComposeResult:
        spec = self.spec
        with Horizontal(classes="setting-line"):
            yield Static(spec.label, classes="setting-label")
            yield self._control()
            yield Static(spec.range_text, classes="setting-range")
        yield _words(spec.explanation, "setting-help")
        yield _words("", "setting-error")

    def _control(self) -> Any:
        spec = self.spec
        if spec.type is FieldType.INSTRUMENT:
            return Button(self.value or "?", compact=True, classes="setting-value")
        if spec.type is FieldType.CHOICE:
            return Select(
                [(spec.choice_label(c), c) for c in spec.choices],
                value=self.value if self.value in spec.choices else Select.NULL,
                allow_blank=self.value not in spec.choices,
                compact=True,
                classes="setting-value -names" if _long(spec) else "setting-value",
            )
        return Input(
            self.value,
            type=_INPUT_TYPES.get(spec.type, "text"),  # type: ignore[arg-type]
            compact=True,
            select_on_focus=True,
            classes="setting-value",
        )

    def on_mount(self) -> None:
        # A Select given its value before it is mounted can keep showing its prompt
        # ("Select") though it holds the value: draw the value's label once it is
        # on screen, without a Changed (which would read as the therapist's choice).
        if self.spec.type is FieldType.CHOICE:
            self.call_after_refresh(self._draw_choice)

    def _draw_choice(self) -> None:
        control = self._control_now()
        if isinstance(control, Select) and isinstance(control.value, str):
            with contextlib.suppress(NoMatches):
                control.query_one(SelectCurrent).update(self.spec.choice_label(control.value))

    # -- the box's side ---------------------------------------------------------------------

    def show_value(self, value: str) -> None:
        """The box's value now; shown unless the therapist is typing another."""
        control = self._control_now()
        editing = isinstance(control, Input) and control.value != self.value
        # Kept first: a row not yet composed draws this value when it is.
        self.value = value
        if isinstance(control, Input):
            if not (control.has_focus and editing):
                control.value = value
        elif isinstance(control, Select):
            if value in self.spec.choices and control.value != value:
                try:
                    control.value = value
                except NoMatches:
                    # The form is still being mounted (a status arrived between
                    # the rows and their dropdowns): show it once it is.
                    self.call_after_refresh(self.show_value, value)
        elif isinstance(control, Button):
            control.label = value or "?"

    def show_for(self, owner: str, value: str) -> bool:
        """Show another input's value of this setting: the form moved to ``owner``.

        False when this row cannot show it (a list without that choice, or a row
        not on screen): the form then makes new rows.
        """
        control = self._control_now()
        if control is None:
            return False
        if isinstance(control, Select) and value not in self.spec.choices:
            return False
        self.owner = owner
        self._error("")
        if isinstance(control, Input):
            self.value = value
            control.value = value
        else:
            self.show_value(value)
        return True

    def accepted(self, value: str) -> None:
        self.value = value
        self._error("")

    def refused(self, message: str) -> None:
        self._error(message)

    @property
    def error(self) -> str:
        return self.query_one(".setting-error", Words).text

    def _error(self, message: str) -> None:
        with contextlib.suppress(NoMatches):
            self.query_one(".setting-error", Words).show(message)
        self.set_class(bool(message), "-refused")

    def _control_now(self) -> Widget | None:
        """The value's control; None while the row is being mounted or removed.

        A status or an answer from the box can arrive in between: the form's rows
        are rebuilt for another input while it is on its way.
        """
        try:
            return self.query_one(".setting-value")
        except NoMatches:
            return None

    # -- the therapist's side ---------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._commit(event.value)

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        if event.value != self.value:
            self._commit(event.value)

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.value:
            self._commit(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Choose(self))

    def _commit(self, text: str) -> None:
        text = text.strip()
        if text:
            self.post_message(self.Commit(self, text))


def _long(spec: FieldSpec) -> bool:
    """Whether the choices are names too long for a short drop-down (songs, loops)."""
    return any(len(spec.choice_label(c)) > _SHORT_CHOICE for c in spec.choices)


def _words(text: str, classes: str) -> Words:
    words = Words(text)
    words.add_class(classes)
    return words
