"""A setting row takes the box's value at any moment of its life.

A status from the box can reach the Inputs form while its rows are being
rebuilt for another input: a row then exists before its controls do, or after
they were removed. The value must not be lost, and the screen must not fail.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from appliance.tui.widgets.fields import FieldSpec, FieldType
from appliance.tui.widgets.setting_row import SettingRow

ACCEPT = FieldSpec("accept_ms", FieldType.INTEGER, "contact must last", minimum=0, maximum=5000)


class Form(App[None]):
    def compose(self) -> ComposeResult:
        yield Vertical(id="form")


def test_a_value_given_before_the_row_is_composed_is_the_one_it_shows() -> None:
    row = SettingRow(ACCEPT, "150", "switch:1")
    row.show_value("300")  # the box answered before the row reached the screen
    assert row.value == "300"


@pytest.mark.asyncio
async def test_a_value_given_while_the_row_is_mounted_is_drawn() -> None:
    app = Form()
    async with app.run_test() as pilot:
        row = SettingRow(ACCEPT, "150", "switch:1")
        mounting = app.query_one("#form").mount(row)
        row.show_value("300")
        await mounting
        await pilot.pause()
        assert row.query_one(Input).value == "300"


@pytest.mark.asyncio
async def test_a_value_given_to_a_row_whose_controls_are_gone_is_kept() -> None:
    app = Form()
    async with app.run_test() as pilot:
        row = SettingRow(ACCEPT, "150", "switch:1")
        await app.query_one("#form").mount(row)
        await row.remove_children()  # as the form's rows are torn down, children first
        row.show_value("300")
        row.refused("switch:1.accept_ms: must be in range 0..5000")
        await pilot.pause()
        assert row.value == "300"
        assert row.has_class("-refused")
