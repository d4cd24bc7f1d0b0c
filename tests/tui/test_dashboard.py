"""The dashboard against a real box: ``tonic run --simulate`` behind a real socket."""

from __future__ import annotations

import asyncio

import pytest
from service.harness import Stream
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input
from tui.harness import screen_text, until

from appliance.control.client import ControlClient
from appliance.tui.app import SetupApp
from appliance.tui.link import NOT_RUNNING, Link
from appliance.tui.widgets.beam import BeamMeter
from appliance.tui.widgets.inputs import SwitchLamp

pytestmark = pytest.mark.asyncio


def lamp(app: SetupApp, iid: str) -> SwitchLamp:
    return next(w for w in app.screen.query(SwitchLamp) if w.iid == iid)


def first_line(app: SetupApp) -> str:
    return screen_text(app).splitlines()[0]


async def test_the_dashboard_shows_every_switch_and_the_panic_key(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        # The lamps, the pads and the beam come from the first status, drawn in turn.
        await until(
            pilot,
            lambda: all(w in screen_text(app) for w in ("Switch 4", "P12", "Beam 1", "Connected")),
            "switch lamps, pads and the beam",
        )
        text = screen_text(app)
        for n in range(1, 5):
            assert f"Switch {n}" in text
        assert "Panic" in text.splitlines()[-1]  # the footer
        assert 'Connected to the box: playing "Default"' in first_line(app)
        assert "Beam 1" in text and "P12" in text


async def test_a_press_lights_its_switch_and_names_its_note(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.online and app.screen.query(SwitchLamp), "the lamps")
        with ControlClient(box.sock) as c:
            c.call("simulate.press", {"input": "switch:1"})
            await until(pilot, lambda: lamp(app, "switch:1").lit, "switch 1 lit")
            assert "Switch 1  ● C4" in screen_text(app)
            assert "Sounding: Switch 1 C4" in screen_text(app)
            assert not lamp(app, "switch:2").lit
            c.call("simulate.release", {"input": "switch:1"})
            await until(pilot, lambda: not lamp(app, "switch:1").lit, "switch 1 dark again")
        assert "Switch 1  ○" in screen_text(app)
        assert "Sounding: nothing" in screen_text(app)


async def test_a_hand_in_the_beam_shows_its_distance_and_zone(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.online and app.screen.query(BeamMeter), "the beam")
        meter = app.screen.query_one(BeamMeter)
        await until(pilot, lambda: meter.span is not None, "the beam's zones from the profile")
        with ControlClient(box.sock) as c:
            c.call("simulate.beam", {"input": "beam:1", "distance": 0.42})
            await until(pilot, lambda: "42 cm" in screen_text(app), "42 cm on screen")
            # Default profile: 8 zones from 15 to 100 cm, so 42 cm is in the third.
            assert "42 cm · zone 3 of 8" in screen_text(app)
            c.call("simulate.beam", {"input": "beam:1", "distance": 0.95})
            await until(pilot, lambda: "95 cm · zone 8 of 8" in screen_text(app), "95 cm")
            c.call("simulate.beam", {"input": "beam:1", "distance": None})
            await until(pilot, lambda: "Beam 1   no hand" in screen_text(app), "the hand gone")


class Editing(ModalScreen[None]):
    """A dialog with a text field, as the other screens have."""

    def compose(self):
        with Vertical():
            yield Input(id="field")


async def test_panic_works_while_a_text_field_has_focus(box):
    stream = Stream(box.sock)
    app = SetupApp(Link(box.sock))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.online, "connected")
            with ControlClient(box.sock) as c:
                c.call("set", {"switch:1.mode": "latch"})
                c.call("simulate.press", {"input": "switch:1"})
                c.call("simulate.release", {"input": "switch:1"})  # latched: still sounding
                stream.until(lambda e: e["event"] == "note_on" and e["input"] == "switch:1")
                await app.push_screen(Editing())
                field = app.screen.query_one("#field", Input)
                field.focus()
                await pilot.press("h", "i")
                await pilot.press("f12")
                stream.until(lambda e: e["event"] == "all_notes_off")
                assert c.call("status")["notes_sounding"] == 0
                await pilot.press("ctrl+p")
                stream.until(lambda e: e["event"] == "all_notes_off")
            assert field.value == "hi"  # the keys did not reach the text
            assert app.screen is not None and field.has_focus
    finally:
        stream.close()


async def test_the_ui_says_when_the_box_stops_and_comes_back_by_itself(box):
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.online, "connected")
        box.stop()
        await until(pilot, lambda: NOT_RUNNING in first_line(app), "the not-running line")
        assert not app.online
        assert "Traceback" not in screen_text(app)
        box.start()
        await until(pilot, lambda: "Connected to the box" in first_line(app), "reconnected")
        with ControlClient(box.sock) as c:
            c.call("simulate.press", {"input": "switch:2"})
            await until(pilot, lambda: lamp(app, "switch:2").lit, "switch 2 lit after")
            c.call("simulate.release", {"input": "switch:2"})
    assert app.errors == 0


async def test_before_the_box_starts_the_ui_says_it_is_not_running(stopped_box):
    app = SetupApp(Link(stopped_box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: NOT_RUNNING in first_line(app), "the not-running line")
        stopped_box.start()
        await until(pilot, lambda: "Switch 4" in screen_text(app), "the switches")


async def test_two_statuses_with_new_inputs_at_once_leave_one_lamp_each(box):
    # The inputs change twice in quick succession (a status read on connecting, then
    # one from the poll): the second rebuild waits for the first, so no lamp is doubled.
    app = SetupApp(Link(box.sock))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "Switch 4" in screen_text(app), "the lamps")
        screen = app.screen
        full = dict(screen.status)
        two = dict(full, inputs=[i for i in full["inputs"] if i["id"] in ("switch:1", "switch:2")])
        await asyncio.gather(screen._take_status(two, True), screen._take_status(full, True))
        await pilot.pause()
        lamps = [w.iid for w in screen.query(SwitchLamp)]
        assert lamps == ["switch:1", "switch:2", "switch:3", "switch:4"]
