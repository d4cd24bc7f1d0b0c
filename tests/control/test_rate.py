"""The control socket's request rate, on a clock the test turns."""

from __future__ import annotations

import time

from control.harness import LineClient

from appliance.control.limits import Limits
from appliance.control.rate import RequestRate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_answered_at_once_then_one_per_slot():
    clock = Clock()
    rate = RequestRate(rate=100.0, burst=5, clock=clock)
    assert [rate.reserve() for _ in range(5)] == [0.0] * 5
    waits = [rate.reserve() for _ in range(3)]
    assert [round(w, 6) for w in waits] == [0.01, 0.02, 0.03]  # one slot each, in turn


def test_a_quiet_spell_refills_the_burst():
    clock = Clock()
    rate = RequestRate(rate=100.0, burst=5, clock=clock)
    for _ in range(8):
        rate.reserve()
    clock.now += 1.0
    assert [rate.reserve() for _ in range(5)] == [0.0] * 5


def test_requests_at_the_rate_never_wait():
    clock = Clock()
    rate = RequestRate(rate=100.0, burst=1, clock=clock)
    for _ in range(50):
        assert rate.reserve() == 0.0
        clock.now += 0.01


def test_the_server_answers_no_faster_than_its_rate(serve):
    # A lower bound on the time taken: a busy machine can only make it longer.
    server = serve(Limits(requests_per_second=50.0, request_burst=1))
    client = LineClient(server.path)
    try:
        start = time.monotonic()
        client.send(b"".join(b'{"id": %d, "method": "echo"}\n' % i for i in range(6)))
        assert [client.read()["id"] for _ in range(6)] == list(range(6))
        assert time.monotonic() - start >= 5 / 50.0
    finally:
        client.close()
