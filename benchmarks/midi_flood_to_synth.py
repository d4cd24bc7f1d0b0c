"""``bench midi_flood_to_synth``: notes through a flood of 5,000 messages a second.

A cheap keyboard can stream aftertouch, and a knob or a wheel streams
controller values; the notes among them must still sound at once, and every
note-off must still arrive. The same box and JACK as ``midi_to_synth`` (see
there), and one device sending, paced to the millisecond, for
:data:`SECONDS` s:

========================  =========  =====================================================
message                   a second   what the box does with it
========================  =========  =====================================================
note-on, note-off         250 each   played; a note is held 2 ms, one at a time
controllers 1, 11, 74     1,000      the latest value of each waits while one is queued
pitch bend                500        the same
aftertouch (poly, chan.)  3,000      dropped by the port's thread, by its first byte
========================  =========  =====================================================

Each note-on's latency is from just before it is sent into JACK to the moment
FluidSynth's note-on returns (the k-th sent against the k-th played: one note
is held at a time, so each press plays exactly one note). The run fails if
the p99 is over :data:`P99_BUDGET_MS`, if any note-on or note-off is
missing, or if latency grows: the last second's p99 over twice the first's.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass
from queue import Empty
from time import perf_counter

from gpiozero.pins.mock import MockFactory

from appliance.box import Box
from appliance.config import BoxConfig
from appliance.inputs.midi import MidiPorts
from appliance.inputs.midi_backend import MidoBackend
from benchmarks.midi_jack import FLOOD_PERIOD_FRAMES, Device, jack_midi
from benchmarks.midi_to_synth import bench_profile
from benchmarks.presser import STUCK_S, progress, rendering_synth
from benchmarks.stats import Summary, summarize

NAME = "midi_flood_to_synth"
#: The issue's budget for a note inside a flood.
P99_BUDGET_MS = 2.0
SECONDS = 5
MESSAGES_PER_MS = 5  # 5,000 a second
#: One cycle of the flood, 20 messages (4 ms): a note-on first, its note-off
#: half-way, four controller values, two bends, twelve aftertouch messages.
CYCLE = 20
NOTES = (60, 62, 64, 65, 67, 69, 71, 72)
CONTROLS = (1, 11, 74)
#: Notes played and thrown away before the flood, one every WARMUP_GAP_S.
WARMUP_NOTES = 200
WARMUP_GAP_S = 0.002
#: Latency may not grow: the last second's p99 against the first's.
GROWTH_LIMIT = 2.0
#: How often the engine's queue is looked at, to report the deepest it got.
SAMPLE_S = 0.005


@dataclass(frozen=True, slots=True)
class FloodResult:
    summary: Summary
    sent: int
    note_offs_sent: int
    note_offs_played: int
    per_second_p99_ms: tuple[float, ...]
    deepest_queue: int
    coalesced: int
    dropped: dict[str, int]

    def line(self) -> str:
        s = self.summary
        return (
            f"bench {s.name} p50_ms={s.p50_ms:.3f} p99_ms={s.p99_ms:.3f} max_ms={s.max_ms:.3f} "
            f"n={s.n} messages={self.sent} note_offs={self.note_offs_played} "
            f"deepest_queue={self.deepest_queue}"
        )

    @property
    def grew(self) -> bool:
        first, last = self.per_second_p99_ms[0], self.per_second_p99_ms[-1]
        return last > GROWTH_LIMIT * max(first, P99_BUDGET_MS / GROWTH_LIMIT)

    @property
    def ok(self) -> bool:
        return (
            self.summary.p99_ms <= P99_BUDGET_MS
            and self.note_offs_played == self.note_offs_sent
            and not self.grew
        )


def message(i: int) -> list[int]:
    """The ``i``-th message of the flood (see the module docstring's table)."""
    step, note = i % CYCLE, NOTES[i // CYCLE % len(NOTES)]
    if step == 0:
        return [0x90, note, 100]
    if step == CYCLE // 2:
        return [0x80, note, 0]
    if step % 3 == 1:
        if step % 4 == 1:
            return [0xE0, i % 128, 64]  # a bend near the centre
        return [0xB0, CONTROLS[i % len(CONTROLS)], i % 128]
    if step % 2:
        return [0xD0, i % 128]  # channel aftertouch
    return [0xA0, note, i % 128]  # polyphonic aftertouch


def run(seconds: int = SECONDS) -> FloodResult:
    config = BoxConfig()
    factory = MockFactory()
    try:
        with (
            jack_midi(FLOOD_PERIOD_FRAMES) as backend_name,
            rendering_synth(config, NAME) as (_, synth, _r),
        ):
            box = Box(
                config,
                bench_profile(),
                synth,
                pin_factory=factory,
                midi_ports=lambda submit: MidiPorts(submit, backend=MidoBackend(backend_name)),
                realtime=True,
            )
            device = Device()
            try:
                with box:
                    assert box.midi is not None
                    if [d.port for d in box.midi.devices] != [device.port]:
                        raise RuntimeError(f"{NAME}: the box did not open {device.port}")
                    _warm_up(device, synth)
                    result = _flood(box, device, synth, seconds)
            finally:
                device.close()
                gc.unfreeze()  # the box froze its objects for the session; this one is over
    finally:
        factory.reset()
    return result


def _warm_up(device: Device, synth) -> None:
    """A few notes first, not measured: the device's instrument is set up and
    levelled when it is plugged in, and its first notes would measure that."""
    for i in range(WARMUP_NOTES):
        note = NOTES[i % len(NOTES)]
        device.send([0x90, note, 100])
        synth.note_ons.get(timeout=STUCK_S)
        device.send([0x80, note, 0])
        synth.note_offs.get(timeout=STUCK_S)
        time.sleep(WARMUP_GAP_S)


def _flood(box: Box, device: Device, synth, seconds: int) -> FloodResult:
    total = seconds * 1000 * MESSAGES_PER_MS
    progress(f"{NAME}: {total} messages in {seconds} s, {total // CYCLE} notes among them")
    starts: list[float] = []
    deepest = 0
    done = threading.Event()

    def watch_queue() -> None:
        nonlocal deepest
        depth = box.loop._queue.qsize  # the engine's inbox; a benchmark may look inside
        while not done.wait(SAMPLE_S):
            deepest = max(deepest, depth())

    watcher = threading.Thread(target=watch_queue, name="bench-queue-watch", daemon=True)
    watcher.start()
    send, begin = device.send, perf_counter()
    for i in range(total):
        if i % MESSAGES_PER_MS == 0:
            due = begin + i / MESSAGES_PER_MS / 1000
            if (wait := due - perf_counter()) > 0:
                time.sleep(wait)
        data = message(i)
        if data[0] == 0x90:
            starts.append(perf_counter())
        send(data)
    sent_for = perf_counter() - begin
    latencies = []
    for i, t0 in enumerate(starts):
        try:
            latencies.append(synth.note_ons.get(timeout=STUCK_S) - t0)
        except Empty:
            raise RuntimeError(f"{NAME}: note-on {i} of {len(starts)} never played") from None
    deadline = perf_counter() + STUCK_S
    offs = 0
    while offs < len(starts) and perf_counter() < deadline:
        try:
            synth.note_offs.get(timeout=max(0.0, deadline - perf_counter()))
            offs += 1
        except Empty:
            break
    done.set()
    watcher.join()
    per_second = []
    for second in range(seconds):
        window = [
            lat for lat, t0 in zip(latencies, starts, strict=True) if int(t0 - begin) == second
        ]
        per_second.append(summarize(NAME, window).p99_ms if window else 0.0)
    midi = box.midi
    assert midi is not None
    result = FloodResult(
        summarize(NAME, latencies),
        total,
        len(starts),
        offs,
        tuple(per_second),
        deepest,
        midi.coalesced,
        midi.dropped(),
    )
    progress(
        f"  {NAME}: sent in {sent_for:.2f} s; p99 by second (ms) "
        f"{', '.join(f'{p:.3f}' for p in per_second)}; note-offs {offs}/{len(starts)}; "
        f"the engine's queue at most {deepest} deep; controller values coalesced "
        f"{result.coalesced}; dropped {result.dropped}"
    )
    return result
