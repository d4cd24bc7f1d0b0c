"""``bench switch_with_slow_subscriber``: presses while a subscriber reads nothing for 10 s.

The whole service runs in the bench's process (:mod:`benchmarks.live_service`),
with a hand moving inside one zone of the simulated beam at every ping, so
beam readings flow to the subscriber as well as the presses and their notes. Switch presses are
timed as in ``switch_to_synth``, first with no subscriber (``quiet_p99_ms``),
then for :data:`STALL_S` while one client, subscribed to the live stream, reads
nothing at all: its socket fills, then the server's queue for it, and the
server drops its oldest events (the documented policy).

It passes when the p99 with the stalled subscriber is within :data:`P99_FACTOR`
of the quiet one and the process's resident memory grew by at most
:data:`RSS_GROWTH_LIMIT_MB` over the stall (``rss_growth_mb``: the largest
``VmRSS`` seen during the stall, sampled every 100 presses, less the one before).
Afterwards the subscriber reads what is left, to show it was kept, not dropped.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from appliance.inputs.simulated import SimulatedHardware
from benchmarks.live_service import live_service
from benchmarks.presser import WARMUP, TimedSynth, drive_presses, progress
from benchmarks.service_process import proc_status_kib
from benchmarks.stats import Summary, summarize

NAME = "switch_with_slow_subscriber"
#: The issue's budget: p99 with the stalled subscriber within this factor of the quiet one's.
P99_FACTOR = 2.0
PRESSES = 2000
STALL_S = 10.0
#: The server keeps at most 512 events (a few hundred bytes each) and 256 KiB
#: of unsent bytes for one subscriber: well under 1 MiB. The limit allows for
#: the allocator's own slack; a queue without a bound grows by megabytes a second here.
RSS_GROWTH_LIMIT_MB = 8.0
#: The beam pings 16 times a second; the hand moves once a ping, between two
#: distances inside the default beam's first zone (0.15-0.26 m), so readings
#: change but no note plays.
BEAM_STEP_S = 1 / 16
HAND_POSITIONS = (0.18, 0.23)
#: Long enough for the beam to confirm the hand and play its arrival note.
HAND_SETTLE_S = 0.5
#: Presses per top-up while the stall is not over.
TOP_UP = 200
#: At the end the subscriber reads until the stream pauses this long, or for DRAIN_S.
DRAIN_IDLE_S = 0.5
DRAIN_S = 2.0
RECV_SIZE = 65536
KIB_PER_MIB = 1024


@dataclass(frozen=True, slots=True)
class SlowSubscriberResult:
    summary: Summary
    quiet: Summary
    rss_growth_mb: float
    stall_s: float

    def line(self) -> str:
        return (
            f"{self.summary.line()} quiet_p99_ms={self.quiet.p99_ms:.3f} "
            f"rss_growth_mb={self.rss_growth_mb:.1f} stall_s={self.stall_s:.1f}"
        )

    @property
    def ok(self) -> bool:
        return (
            self.summary.p99_ms <= P99_FACTOR * self.quiet.p99_ms
            and self.rss_growth_mb <= RSS_GROWTH_LIMIT_MB
        )


@contextmanager
def _hand_in_beam(hardware: SimulatedHardware, synth: TimedSynth) -> Iterator[None]:
    """A hand moving inside one zone of beam 1, a step at every ping, until the block ends.

    Every reading is new (the feed sends each one), but the zone never changes,
    so after the note of the hand's arrival the beam plays nothing: every
    note-on the press driver sees is a press's.
    """
    stop = threading.Event()
    hardware.hand_at(1, HAND_POSITIONS[0])

    def move() -> None:
        i = 0
        while not stop.wait(BEAM_STEP_S):
            i += 1
            hardware.hand_at(1, HAND_POSITIONS[i % 2])

    thread = threading.Thread(target=move, name="bench-hand", daemon=True)
    thread.start()
    try:
        time.sleep(HAND_SETTLE_S)
        for stamps in (synth.note_ons, synth.note_offs):  # the arrival's note is no press
            while not stamps.empty():
                stamps.get_nowait()
        yield
    finally:
        stop.set()
        thread.join()
        hardware.hand_at(1, None)


def _rss_mb() -> float:
    return proc_status_kib(os.getpid(), "VmRSS") / KIB_PER_MIB


def run(presses: int = PRESSES, warmup: int = WARMUP) -> SlowSubscriberResult:
    with live_service(NAME) as live:
        hardware = live.service.hardware
        assert hardware is not None
        with _hand_in_beam(hardware, live.synth):
            progress(f"{NAME}: {warmup} warm-up + {presses} quiet presses, the beam moving")
            started = time.monotonic()
            quiet = drive_presses(live.pins, live.synth, presses, warmup, label=f"{NAME} quiet")
            rate = (presses + warmup) / (time.monotonic() - started)

            rss = [_rss_mb()]
            subscriber = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            subscriber.connect(str(live.socket))
            subscriber.sendall(b'{"id": 1, "method": "subscribe"}\n')
            stall_started = time.monotonic()
            progress(f"{NAME}: a subscriber reads nothing for {STALL_S:.0f} s; presses go on")

            def sample() -> None:
                rss.append(_rss_mb())

            loaded = drive_presses(
                live.pins, live.synth, int(rate * STALL_S * 0.9), 0, label=NAME, observe=sample
            )
            while time.monotonic() - stall_started < STALL_S:
                loaded += drive_presses(
                    live.pins, live.synth, TOP_UP, 0, label=f"{NAME} more", observe=sample
                )
            stall_s = time.monotonic() - stall_started
            sample()
        events, dropped = _drain(subscriber)
        subscriber.close()
    progress(
        f"  {NAME}: after the stall the subscriber read {dict(events)}, "
        f"{dropped} reported dropped; RSS {rss[0]:.1f} MB before, {max(rss):.1f} MB at most"
    )
    return SlowSubscriberResult(
        summarize(NAME, loaded), summarize(f"{NAME} quiet", quiet), max(rss) - rss[0], stall_s
    )


def _drain(sock: socket.socket) -> tuple[Counter[str], int]:
    """Read what the server kept; return (events read by kind, events the server dropped)."""
    sock.settimeout(DRAIN_IDLE_S)
    data = bytearray()
    # The beam keeps reporting, so the stream never goes quiet for long: stop at a deadline.
    deadline = time.monotonic() + DRAIN_S
    try:
        while time.monotonic() < deadline and (chunk := sock.recv(RECV_SIZE)):
            data += chunk
    except TimeoutError:
        pass
    data = data[: data.rfind(b"\n") + 1]  # whole lines only
    kinds: Counter[str] = Counter()
    dropped = 0
    for line in bytes(data).splitlines():
        message = json.loads(line)
        kind = message.get("event")
        if kind == "dropped":
            dropped += message.get("count", 0)
        elif kind is not None:
            kinds[kind] += 1
    return kinds, dropped
