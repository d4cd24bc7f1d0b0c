"""The live event stream: order, the drop policy, and subscribers that read nothing."""

from __future__ import annotations

import json
import threading

from control.harness import HANG_S, LineClient, wait_until

from appliance.control.events import EventQueue, FanIn, state_key
from appliance.control.limits import Limits
from appliance.control.requests import event_line

# -- the per-subscriber queue, alone --------------------------------------------------


def _line(**event: object) -> bytes:
    return event_line(event)


def _taken(queue: EventQueue) -> list[dict]:
    return [json.loads(line) for line in queue.take(1000)]


def test_news_past_the_capacity_drops_the_oldest_and_says_how_many():
    queue = EventQueue(capacity=4)
    for i in range(6):
        queue.put(_line(event="press", n=i), None)
    assert _taken(queue) == [
        {"event": "dropped", "count": 2},
        *({"event": "press", "n": i} for i in range(2, 6)),
    ]
    assert _taken(queue) == []  # the count is told once


def test_a_state_event_replaces_its_unread_older_copy_in_place():
    queue = EventQueue(capacity=8)
    beam = {"event": "beam", "input": "beam:1"}
    queue.put(_line(**beam, distance=30), state_key(beam))
    queue.put(_line(event="note_on", input="switch:1"), None)
    queue.put(_line(**beam, distance=25), state_key(beam))
    queue.put(
        _line(event="beam", input="beam:2", distance=70), state_key({**beam, "input": "beam:2"})
    )
    assert _taken(queue) == [
        {"event": "beam", "input": "beam:1", "distance": 25},
        {"event": "note_on", "input": "switch:1"},
        {"event": "beam", "input": "beam:2", "distance": 70},
    ]
    # Once read, the next state event is queued afresh.
    queue.put(_line(**beam, distance=20), state_key(beam))
    assert _taken(queue) == [{"event": "beam", "input": "beam:1", "distance": 20}]


def test_a_dropped_state_event_is_forgotten_too():
    queue = EventQueue(capacity=2)
    beam = {"event": "beam", "input": "beam:1"}
    queue.put(_line(**beam, distance=1), state_key(beam))
    queue.put(_line(event="press"), None)
    queue.put(_line(event="release"), None)  # drops the beam
    queue.put(_line(**beam, distance=2), state_key(beam))  # queued anew, drops the press
    assert [e.get("distance", e["event"]) for e in _taken(queue)] == ["dropped", "release", 2]


def test_the_sink_wakes_the_loop_once_per_batch_and_keeps_nothing_unheard():
    wakes: list[int] = []
    fan_in = FanIn(capacity=100, wake=lambda: wakes.append(1))
    fan_in.sink({"event": "press"})
    assert wakes == [] and fan_in.drain() == ([], 0)  # nobody listens: not even kept
    fan_in.listening = True
    for i in range(1000):
        fan_in.sink({"event": "press", "n": i})
    assert len(wakes) == 1
    events, lost = fan_in.drain()
    assert lost == 900 and [e["n"] for e in events] == list(range(900, 1000))
    fan_in.sink({"event": "press"})
    assert len(wakes) == 2


def test_a_sink_whose_loop_is_gone_does_not_raise():
    def closed() -> None:
        raise RuntimeError("Event loop is closed")

    fan_in = FanIn(capacity=10, wake=closed)
    fan_in.listening = True
    fan_in.sink({"event": "press"})


# -- through the server ---------------------------------------------------------------


def test_subscribe_is_answered_then_events_follow_in_order(connect, server, api):
    listener, other = connect(), connect()
    assert listener.request("subscribe", rid=5) == {"id": 5, "result": {"subscribed": True}}
    for n in range(100):
        api.emit({"event": "note_on", "input": "switch:1", "note": n})
    assert [listener.read()["note"] for _ in range(100)] == list(range(100))
    # A client that did not subscribe gets only its answers.
    assert other.request("status", rid=6)["id"] == 6


def test_replies_and_events_share_a_subscribed_connection(connect, api):
    client = connect()
    client.request("subscribe")
    api.emit({"event": "press", "input": "switch:1"})
    client.send(b'{"id": 2, "method": "status"}\n')
    lines = [client.read(), client.read()]
    assert {"event": "press", "input": "switch:1"} in lines
    assert any(line.get("id") == 2 for line in lines)


def test_a_moving_beam_reaches_a_reader_that_keeps_up_every_time(connect, server, api):
    """No rate limit of the server's own: a beam at 20 readings a second, each read."""
    listener = connect()
    listener.request("subscribe")
    for step in range(100):
        for beam in ("beam:1", "beam:2"):
            api.emit({"event": "beam", "input": beam, "distance": 100 - step, "zone": step % 4})
        got = [listener.read(), listener.read()]
        assert [(e["input"], e["distance"]) for e in got] == [
            ("beam:1", 100 - step),
            ("beam:2", 100 - step),
        ]


def test_a_subscriber_that_reads_nothing_costs_the_engine_nothing(serve, api):
    limits = Limits(queue_events=512, write_high_water=16 * 1024)
    server = serve(limits)
    stalled = LineClient(server.path)
    assert stalled.request("subscribe")["result"] == {"subscribed": True}
    wait_until(lambda: server.queued_events() == [0], "the subscriber registered")
    count = 100_000
    pad = "x" * 200  # big enough that the socket's buffers fill long before the end
    # The engine's side: 100,000 calls of the sink while the client reads nothing.
    producer = api.produce(
        count, lambda i: {"event": "note_on", "input": "switch:1", "n": i, "pad": pad}
    )
    producer.join(HANG_S * 6)
    assert not producer.is_alive(), "the sink blocked while a client read nothing"
    # The rest waits in the subscriber's queue, which stops at its bound.
    wait_until(
        lambda: server.queued_events() == [limits.queue_events],
        f"the queue filled (it holds {server.queued_events()})",
    )
    # Other clients are served meanwhile.
    assert LineClient(server.path).request("status", rid=2)["id"] == 2
    # When it reads at last: every event was either delivered, in order, or counted.
    # (A producer this fast outruns the loop too: what it drops there is counted alike.)
    delivered: list[int] = []
    dropped = 0
    while len(delivered) + dropped < count:
        event = stalled.read()
        if event["event"] == "dropped":
            dropped += event["count"]
        else:
            assert not delivered or event["n"] > delivered[-1]
            delivered.append(event["n"])
    assert len(delivered) + dropped == count
    assert dropped > 0 and delivered[-1] == count - 1


def test_a_subscriber_stalled_past_its_timeout_is_closed(serve, api):
    server = serve(Limits(stalled_timeout_s=0.3, write_high_water=4096, queue_events=16))
    stalled = LineClient(server.path)
    stalled.request("subscribe")
    wait_until(lambda: server.queued_events() == [0], "the subscriber registered")
    big = "x" * 1000

    def flood() -> bool:
        for _ in range(200):
            api.emit({"event": "press", "pad": big})
        return server.client_count() == 0

    wait_until(flood, "the stalled subscriber was closed")
    assert LineClient(server.path).request("status", rid=3)["id"] == 3


def test_a_subscriber_leaving_stops_the_server_keeping_events(connect, server, api):
    listener = connect()
    listener.request("subscribe")
    wait_until(lambda: server.queued_events() == [0], "the subscriber registered")
    listener.close()
    wait_until(lambda: server.queued_events() == [], "the subscriber forgotten")
    api.emit({"event": "press"})  # goes nowhere, costs nothing
    assert connect().request("status", rid=4)["id"] == 4


def test_an_event_that_is_not_json_is_skipped_and_the_stream_goes_on(connect, api):
    listener = connect()
    listener.request("subscribe")
    api.emit({"event": "odd", "value": object()})
    api.emit({"event": "odd", "value": float("nan")})
    api.emit({"event": "press", "input": "switch:1"})
    assert listener.read() == {"event": "press", "input": "switch:1"}


def test_events_from_many_threads_all_arrive(connect, api):
    listener = connect()
    listener.request("subscribe")
    threads = [
        threading.Thread(
            target=lambda t=t: [api.emit({"event": "press", "t": t, "n": n}) for n in range(100)]
        )
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    got = [listener.read() for _ in range(400)]
    for thread in threads:
        thread.join(HANG_S)
    for t in range(4):
        assert [e["n"] for e in got if e["t"] == t] == list(range(100))
