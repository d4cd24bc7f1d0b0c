"""The UI's link: beam coalescing on an injected clock, and the thread against a real box."""

from __future__ import annotations

import itertools
import queue

import pytest
from textual.message import Message
from tui.harness import HANG_S

from appliance.control.api import ControlError, ErrorCode
from appliance.control.client import ControlClient, ServiceNotRunning
from appliance.tui.link import (
    NOT_RUNNING,
    STOPPED,
    BeamCoalescer,
    BoxEvent,
    Connected,
    Disconnected,
    Link,
    reason_for,
)


def beam(distance, zone, iid="beam:1"):
    return {"event": "beam", "input": iid, "distance": distance, "zone": zone}


# -- coalescing ---------------------------------------------------------------------------


def test_a_beam_reading_that_changes_nothing_is_not_passed_on():
    c = BeamCoalescer(interval=0.05)
    assert c.offer(beam(None, None), 0.0) is not None  # the first says where it is
    assert c.offer(beam(None, None), 1.0) is None
    assert c.offer(beam(None, None), 2.0) is None
    assert c.next_due() is None  # nothing held: the flusher sleeps


def test_changes_faster_than_the_interval_are_held_and_the_newest_sent_when_due():
    c = BeamCoalescer(interval=0.05)
    assert c.offer(beam(0.40, 2), 0.00) == beam(0.40, 2)
    assert c.offer(beam(0.41, 2), 0.01) is None
    assert c.offer(beam(0.42, 2), 0.02) is None  # replaces the held 0.41
    assert c.next_due() == pytest.approx(0.05)
    assert c.due(0.04) == []
    assert c.due(0.05) == [beam(0.42, 2)]
    assert c.next_due() is None
    assert c.offer(beam(0.43, 2), 0.11) == beam(0.43, 2)  # its interval is up


def test_a_held_change_that_goes_back_to_what_is_shown_is_dropped():
    c = BeamCoalescer(interval=0.05)
    c.offer(beam(0.40, 2), 0.00)
    assert c.offer(beam(0.45, 2), 0.01) is None
    assert c.offer(beam(0.40, 2), 0.02) is None
    assert c.next_due() is None
    assert c.due(1.0) == []


def test_beams_are_coalesced_each_on_its_own():
    c = BeamCoalescer(interval=0.05)
    assert c.offer(beam(0.3, 1, "beam:1"), 0.0) is not None
    assert c.offer(beam(0.6, 4, "beam:2"), 0.01) is not None


def test_after_forgetting_the_next_reading_is_passed_on_even_if_unchanged():
    c = BeamCoalescer(interval=0.05)
    c.offer(beam(0.3, 1), 0.0)
    c.forget()
    assert c.offer(beam(0.3, 1), 0.01) == beam(0.3, 1)


def test_at_most_one_beam_update_per_interval_over_a_stream_of_changes():
    c = BeamCoalescer(interval=0.05)
    passed = []
    t = 0.0
    for i in range(200):  # a reading every 10 ms, each different: 100 a second
        t = i * 0.01
        passed += [(t, e) for e in c.due(t)]
        out = c.offer(beam(0.2 + i * 0.001, 1), t)
        if out is not None:
            passed.append((t, out))
    times = [t for t, _ in passed]
    assert all(b - a >= 0.05 - 1e-9 for a, b in itertools.pairwise(times))
    assert passed[-1][1]["distance"] >= 0.2 + 195 * 0.001  # the newest got through


# -- reasons ----------------------------------------------------------------------------


def test_every_reason_is_one_line():
    assert reason_for(ServiceNotRunning("no socket at /x")) == NOT_RUNNING
    refused = reason_for(ControlError(ErrorCode.BUSY, "too many clients"))
    assert "too many clients" in refused and "\n" not in refused


# -- the thread against a real box -------------------------------------------------------


class Inbox:
    """Stands in for the app: collects what the link posts, from its threads."""

    def __init__(self) -> None:
        self.messages: queue.SimpleQueue[Message] = queue.SimpleQueue()

    def post_message(self, message: Message) -> bool:
        self.messages.put(message)
        return True

    def next(self, kind: type[Message], want=lambda m: True) -> Message:
        while True:
            message = self.messages.get(timeout=HANG_S)
            if isinstance(message, kind) and want(message):
                return message


@pytest.fixture
def linked(box):
    inbox = Inbox()
    link = Link(box.sock)
    link.start(inbox)
    yield link, inbox
    link.stop()


def test_the_link_says_connected_with_the_status_then_passes_events_on(box, linked):
    link, inbox = linked
    connected = inbox.next(Connected)
    assert connected.status["profile"] == "Default"
    assert {i["id"] for i in connected.status["inputs"]} >= {"switch:1", "pad:12", "beam:1"}
    link.call("simulate.press", {"input": "switch:3"})
    seen: dict[str, dict] = {}
    while not {"press", "note_on"} <= seen.keys():  # the box sends them in either order
        message = inbox.next(BoxEvent, lambda m: m.kind in ("press", "note_on"))
        seen[message.kind] = message.event
    assert seen["press"]["input"] == seen["note_on"]["input"] == "switch:3"
    assert seen["note_on"]["name"] == "G4"  # switch 3 plays degree 4 of C D E G A
    link.call("simulate.release", {"input": "switch:3"})
    inbox.next(BoxEvent, lambda m: m.kind == "release")


def test_an_idle_beam_is_passed_on_once_not_at_its_ping_rate(box, linked):
    link, inbox = linked
    inbox.next(Connected)
    link.call("simulate.beam", {"input": "beam:1", "distance": 0.5})
    inbox.next(BoxEvent, lambda m: m.kind == "beam" and m.event["distance"] == 0.5)
    # The box pings about 16 times a second; a press after many pings shows
    # how many beam events came through meanwhile: none, nothing changed.
    for _ in range(10):
        link.call("status")
    link.call("simulate.press", {"input": "pad:2"})
    between = []
    while True:
        message = inbox.messages.get(timeout=HANG_S)
        if isinstance(message, BoxEvent) and message.kind == "press":
            break
        between.append(message)
    assert [m for m in between if isinstance(m, BoxEvent) and m.kind == "beam"] == []


def test_a_refusal_is_a_control_error_and_the_link_carries_on(box, linked):
    link, inbox = linked
    inbox.next(Connected)
    with pytest.raises(ControlError) as refused:
        link.call("set", {"key": "H#"})
    assert refused.value.code == ErrorCode.REFUSED
    assert link.call("status")["key"] == "C"


def test_the_link_reconnects_by_itself_when_the_box_comes_back(box, linked):
    _link, inbox = linked
    inbox.next(Connected)
    box.stop()
    gone = inbox.next(Disconnected)
    assert gone.reason in (STOPPED, NOT_RUNNING)
    box.start()
    back = inbox.next(Connected)
    assert back.status["profile"] == "Default"
    with ControlClient(box.sock) as c:
        c.call("simulate.press", {"input": "switch:1"})
    inbox.next(BoxEvent, lambda m: m.kind == "press")


def test_no_box_says_not_running_once_then_waits(stopped_box):
    inbox = Inbox()
    link = Link(stopped_box.sock, retry_s=0.01)
    link.start(inbox)
    try:
        assert inbox.next(Disconnected).reason == NOT_RUNNING
        stopped_box.start()
        inbox.next(Connected)
    finally:
        link.stop()
    # Dozens of failed tries while the box started, one line said.
    said = []
    while not inbox.messages.empty():
        said.append(inbox.messages.get())
    assert [m for m in said if isinstance(m, Disconnected)] == []


def test_stop_ends_the_threads_while_the_stream_waits(box):
    link = Link(box.sock)
    inbox = Inbox()
    link.start(inbox)
    inbox.next(Connected)
    link.stop()
    assert not any(t.is_alive() for t in link._threads)
